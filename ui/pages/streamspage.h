#pragma once

#include <QWidget>

namespace Gatehouse::Ui {

class EngineClient;

class StreamsPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StreamsPage)

public:
    explicit StreamsPage(EngineClient *client, QWidget *parent = nullptr);
    ~StreamsPage() override;

private:
    EngineClient *m_client;
};

} // namespace Gatehouse::Ui
