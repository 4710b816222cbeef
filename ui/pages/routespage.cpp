#include "routespage.h"

#include "engineclient.h"

namespace Gatehouse::Ui {

RoutesPage::RoutesPage(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
{
    setObjectName(QStringLiteral("routesPage"));
}

RoutesPage::~RoutesPage() = default;

} // namespace Gatehouse::Ui
