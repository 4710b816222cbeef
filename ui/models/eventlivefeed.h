#pragma once

#include "store/recordedevent.h"

#include <QObject>

namespace Gatehouse::Ui {

class EventBufferModel;

// Feeds the client's live batches into an EventBufferModel, one model update per batch, and
// implements pause: while paused the model stays still, arrivals are counted ("N new") and
// held, at most one buffer's worth (the newest); resuming applies what is held as one batch.
// Rows the buffer set aside to make room for older pages are held the same way, ahead of the
// live ones, so resuming restores an unbroken tail. Also totals what the client reports as
// dropped (the GUI fell behind). GUI thread only.
class EventLiveFeed final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventLiveFeed)

public:
    explicit EventLiveFeed(EventBufferModel *model, QObject *parent = nullptr);
    ~EventLiveFeed() override;

    void receive(const RecordedEvents &events, qint64 dropped);
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    // Older rows the buffer had to give up; they go back in on resume.
    void holdBack(const RecordedEvents &displaced);
    // Forgets what is held and the count of new events (the view starts over from the log).
    void discardHeld();

    qint64 newWhilePaused() const { return m_newWhilePaused; }
    qint64 held() const { return m_held.size(); }
    qint64 dropped() const { return m_dropped; }   // by the client, since start

Q_SIGNALS:
    void changed();   // paused, counters or held events changed

private:
    void trimHeld();

    EventBufferModel *m_model;
    RecordedEvents m_held;
    bool m_paused = false;
    qint64 m_newWhilePaused = 0;
    qint64 m_dropped = 0;
};

} // namespace Gatehouse::Ui
