#include "overviewpage.h"

#include "engineclient.h"

namespace Gatehouse::Ui {

OverviewPage::OverviewPage(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
{
    setObjectName(QStringLiteral("overviewPage"));
}

OverviewPage::~OverviewPage() = default;

} // namespace Gatehouse::Ui
