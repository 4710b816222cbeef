#pragma once

#include <QObject>

#include <functional>

class QSocketNotifier;

// Turns SIGTERM and SIGINT into a call of onStop, and (when onReload is given) SIGHUP into a
// call of onReload, on the main thread (self-pipe: the signal handler only writes the signal's
// number; a QSocketNotifier reads it inside the event loop). Without onReload, SIGHUP keeps its
// default action.
class ProcessSignals final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProcessSignals)

public:
    explicit ProcessSignals(std::function<void()> onStop, std::function<void()> onReload = {}, QObject *parent = nullptr);
    ~ProcessSignals() override;

private:
    std::function<void()> m_onStop;
    std::function<void()> m_onReload;
    QSocketNotifier *m_notifier = nullptr;
};
