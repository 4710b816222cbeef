#pragma once

#include <QWidget>

namespace Gatehouse::Ui {

class EngineClient;

class ProjectionsPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProjectionsPage)

public:
    explicit ProjectionsPage(EngineClient *client, QWidget *parent = nullptr);
    ~ProjectionsPage() override;

private:
    EngineClient *m_client;
};

} // namespace Gatehouse::Ui
