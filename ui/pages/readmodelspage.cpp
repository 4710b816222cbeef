#include "readmodelspage.h"

#include "engineclient.h"

namespace Gatehouse::Ui {

ReadModelsPage::ReadModelsPage(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
{
    setObjectName(QStringLiteral("readmodelsPage"));
}

ReadModelsPage::~ReadModelsPage() = default;

} // namespace Gatehouse::Ui
