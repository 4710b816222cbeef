#include "streamspage.h"

#include "engineclient.h"

namespace Gatehouse::Ui {

StreamsPage::StreamsPage(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
{
    setObjectName(QStringLiteral("streamsPage"));
}

StreamsPage::~StreamsPage() = default;

} // namespace Gatehouse::Ui
