#include "functionspage.h"

#include "engineclient.h"

namespace Gatehouse::Ui {

FunctionsPage::FunctionsPage(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
{
    setObjectName(QStringLiteral("functionsPage"));
}

FunctionsPage::~FunctionsPage() = default;

} // namespace Gatehouse::Ui
