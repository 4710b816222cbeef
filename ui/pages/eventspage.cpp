#include "eventspage.h"

#include "engineclient.h"

namespace Gatehouse::Ui {

EventsPage::EventsPage(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
{
    setObjectName(QStringLiteral("eventsPage"));
}

EventsPage::~EventsPage() = default;

} // namespace Gatehouse::Ui
