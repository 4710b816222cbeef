#pragma once

#include <QWidget>

namespace Gatehouse::Ui {

class EngineClient;

class EventsPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventsPage)

public:
    explicit EventsPage(EngineClient *client, QWidget *parent = nullptr);
    ~EventsPage() override;

private:
    EngineClient *m_client;
};

} // namespace Gatehouse::Ui
