#pragma once

#include <QWidget>

namespace Gatehouse::Ui {

class EngineClient;

class FunctionsPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FunctionsPage)

public:
    explicit FunctionsPage(EngineClient *client, QWidget *parent = nullptr);
    ~FunctionsPage() override;

private:
    EngineClient *m_client;
};

} // namespace Gatehouse::Ui
