#pragma once

#include <QWidget>

namespace Gatehouse::Ui {

class EngineClient;

class OverviewPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OverviewPage)

public:
    explicit OverviewPage(EngineClient *client, QWidget *parent = nullptr);
    ~OverviewPage() override;

private:
    EngineClient *m_client;
};

} // namespace Gatehouse::Ui
