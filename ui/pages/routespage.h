#pragma once

#include <QWidget>

namespace Gatehouse::Ui {

class EngineClient;

class RoutesPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RoutesPage)

public:
    explicit RoutesPage(EngineClient *client, QWidget *parent = nullptr);
    ~RoutesPage() override;

private:
    EngineClient *m_client;
};

} // namespace Gatehouse::Ui
