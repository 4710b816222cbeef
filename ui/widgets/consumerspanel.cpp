#include "consumerspanel.h"

#include "consumereditordialog.h"
#include "engineclient.h"
#include "models/consumertablemodel.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QJsonArray>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

ConsumersPanel::ConsumersPanel(EngineClient *client, RoutePluginCatalog *catalog, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_catalog(catalog)
    , m_model(new ConsumerTableModel(this))
{
    setObjectName(QStringLiteral("consumersPanel"));
    m_add = new QPushButton(tr("&Add…"), this);
    m_add->setObjectName(QStringLiteral("consumerAdd"));
    m_edit = new QPushButton(tr("&Edit…"), this);
    m_edit->setObjectName(QStringLiteral("consumerEdit"));
    m_delete = new QPushButton(tr("&Delete"), this);
    m_delete->setObjectName(QStringLiteral("consumerDelete"));
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("consumerMessage"));
    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("consumerTable"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);

    auto *tools = new QHBoxLayout;
    tools->addWidget(m_add);
    tools->addWidget(m_edit);
    tools->addWidget(m_delete);
    tools->addWidget(m_message, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(tools);
    layout->addWidget(m_view, 1);

    connect(m_add, &QPushButton::clicked, this, &ConsumersPanel::addConsumer);
    connect(m_edit, &QPushButton::clicked, this, &ConsumersPanel::editSelected);
    connect(m_delete, &QPushButton::clicked, this, &ConsumersPanel::deleteSelected);
    connect(m_view, &QTableView::activated, this, &ConsumersPanel::editSelected);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ConsumersPanel::updateActions);
    connect(m_model, &QAbstractItemModel::modelReset, this, &ConsumersPanel::updateActions);
    connect(client, &EngineClient::resourcesChanged, this, [this](const QString &kind) {
        if (kind == QLatin1String("consumers"))
            reload();
    });
    updateActions();
    reload();
}

ConsumersPanel::~ConsumersPanel() = default;

void ConsumersPanel::reload()
{
    m_client->adminGet(QByteArrayLiteral("/admin/consumers"), this, [this](const ClientReply &reply) {
        if (!reply.isSuccess()) {
            m_message->setText(reply.errorText());
            return;
        }
        const QString selected = selectedUsername();
        m_model->setConsumers(reply.object().value(QStringLiteral("items")).toArray());
        const int row = m_model->rowOf(selected);
        if (row >= 0)
            m_view->selectRow(row);
    });
}

QString ConsumersPanel::selectedUsername() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(ConsumerTableModel::UsernameRole).toString();
}

QStringList ConsumersPanel::usernames() const
{
    QStringList out;
    for (int row = 0; row < m_model->rowCount(); ++row)
        out.append(m_model->index(row, 0).data(ConsumerTableModel::UsernameRole).toString());
    return out;
}

void ConsumersPanel::updateActions()
{
    const bool selected = !selectedUsername().isEmpty();
    m_edit->setEnabled(selected);
    m_delete->setEnabled(selected);
}

void ConsumersPanel::addConsumer()
{
    auto *dialog = new ConsumerEditorDialog(m_client, m_catalog, ConsumerEditorDialog::Mode::Create, {}, usernames(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ConsumerEditorDialog::saved, this, [this](const QString &username) {
        m_message->setText(tr("Consumer %1 saved.").arg(username));
    });
    dialog->open();
}

void ConsumersPanel::editSelected()
{
    const int row = m_model->rowOf(selectedUsername());
    if (row < 0)
        return;
    auto *dialog = new ConsumerEditorDialog(m_client, m_catalog, ConsumerEditorDialog::Mode::Edit, m_model->consumer(row), usernames(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ConsumerEditorDialog::saved, this, [this](const QString &username) {
        m_message->setText(tr("Consumer %1 saved.").arg(username));
    });
    dialog->open();
}

void ConsumersPanel::deleteSelected()
{
    const QString username = selectedUsername();
    if (username.isEmpty())
        return;
    auto *confirm = new QMessageBox(QMessageBox::Question, tr("Delete consumer"),
                                    tr("Delete consumer %1? Requests with its credentials will be refused.").arg(username),
                                    QMessageBox::Yes | QMessageBox::Cancel, this);
    confirm->setObjectName(QStringLiteral("consumerDeleteConfirm"));
    confirm->setAttribute(Qt::WA_DeleteOnClose);
    connect(confirm, &QMessageBox::buttonClicked, this, [this, confirm, username](QAbstractButton *button) {
        if (confirm->standardButton(button) != QMessageBox::Yes)
            return;
        m_client->admin(QByteArrayLiteral("DELETE"), "/admin/consumers/" + EngineClient::encode(username), {}, this,
                        [this, username](const ClientReply &reply) {
            m_message->setText(reply.isSuccess() ? tr("Consumer %1 deleted.").arg(username) : reply.errorText());
        });
    });
    confirm->open();
}

} // namespace Gatehouse::Ui
