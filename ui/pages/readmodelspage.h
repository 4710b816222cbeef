#pragma once

#include <QWidget>

namespace Gatehouse::Ui {

class EngineClient;

class ReadModelsPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReadModelsPage)

public:
    explicit ReadModelsPage(EngineClient *client, QWidget *parent = nullptr);
    ~ReadModelsPage() override;

private:
    EngineClient *m_client;
};

} // namespace Gatehouse::Ui
