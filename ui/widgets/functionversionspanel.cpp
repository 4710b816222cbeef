#include "functionversionspanel.h"

#include "engineclient.h"
#include "models/jsonrowsmodel.h"
#include "widgets/jscodeeditor.h"

#include <QDateTime>
#include <QHeaderView>
#include <QJsonArray>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace Gatehouse::Ui {

namespace {
QList<JsonRowsModel::Column> columns()
{
    using C = JsonRowsModel::Column;
    return {
        C{QObject::tr("Version"), QStringLiteral("version")},
        C{QObject::tr("Deployed"), QString(), [](const QJsonObject &row) -> QVariant {
              return QDateTime::fromMSecsSinceEpoch(row.value(QLatin1String("deployed_at_ms")).toInteger()).toString(Qt::ISODate);
          }},
        C{QObject::tr("Rolled back from"), QStringLiteral("rolled_back_from")},
    };
}
} // namespace

FunctionVersionsPanel::FunctionVersionsPanel(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_model(new JsonRowsModel(QStringLiteral("version"), columns(), this))
{
    setObjectName(QStringLiteral("functionVersionsPanel"));
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("functionVersions"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_code = new JsCodeEditor(this);
    m_code->setObjectName(QStringLiteral("functionVersionCode"));
    m_code->setReadOnly(true);
    m_rollback = new QPushButton(tr("Roll back to this version"), this);
    m_rollback->setObjectName(QStringLiteral("functionRollback"));
    m_rollback->setEnabled(false);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_table);
    split->addWidget(m_code);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(split, 1);
    layout->addWidget(m_rollback, 0, Qt::AlignLeft);

    connect(m_rollback, &QPushButton::clicked, this, &FunctionVersionsPanel::rollback);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex &current) {
        m_rollback->setEnabled(current.isValid());
        m_code->setPlainText(m_model->item(current.row()).value(QLatin1String("code")).toString());
    });
}

FunctionVersionsPanel::~FunctionVersionsPanel() = default;

void FunctionVersionsPanel::showFunction(const QString &name)
{
    m_name = name;
    m_model->replaceItems({});
    m_code->clear();
    m_rollback->setEnabled(false);
    reload();
}

void FunctionVersionsPanel::reload()
{
    if (m_name.isEmpty())
        return;
    const QString name = m_name;
    m_client->adminGet("/admin/functions/" + EngineClient::encode(name) + "/versions", this, [this, name](const ClientReply &reply) {
        if (name != m_name || !reply.isSuccess())
            return;
        const QJsonArray items = reply.object().value(QLatin1String("items")).toArray();
        QList<QJsonValue> sorted(items.begin(), items.end());
        std::sort(sorted.begin(), sorted.end(), [](const QJsonValue &a, const QJsonValue &b) {
            return a.toObject().value(QLatin1String("version")).toInteger() > b.toObject().value(QLatin1String("version")).toInteger();
        });
        QJsonArray ordered;
        for (const QJsonValue &v : std::as_const(sorted))
            ordered.append(v);
        m_model->replaceItems(ordered);
        m_code->clear();
        m_rollback->setEnabled(false);
    });
}

void FunctionVersionsPanel::rollback()
{
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    if (m_name.isEmpty() || !current.isValid())
        return;
    const qint64 version = m_model->item(current.row()).value(QLatin1String("version")).toInteger();
    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("version"), version}}).toJson(QJsonDocument::Compact);
    m_client->admin("POST", "/admin/functions/" + EngineClient::encode(m_name) + "/rollback", body, this,
                    [this, version](const ClientReply &reply) {
        if (!reply.isSuccess()) {
            Q_EMIT failed(tr("Rollback failed: %1").arg(reply.errorText()));
            return;
        }
        reload();
        Q_EMIT rolledBack(version, reply.object());
    });
}

} // namespace Gatehouse::Ui
