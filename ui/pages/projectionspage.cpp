#include "projectionspage.h"

#include "engineclient.h"

namespace Gatehouse::Ui {

ProjectionsPage::ProjectionsPage(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
{
    setObjectName(QStringLiteral("projectionsPage"));
}

ProjectionsPage::~ProjectionsPage() = default;

} // namespace Gatehouse::Ui
