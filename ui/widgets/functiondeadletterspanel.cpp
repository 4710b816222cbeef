#include "functiondeadletterspanel.h"

#include "engineclient.h"
#include "models/jsonrowsmodel.h"

#include <QDateTime>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <utility>

namespace Gatehouse::Ui {

namespace {
QList<JsonRowsModel::Column> columns()
{
    using C = JsonRowsModel::Column;
    return {
        C{QObject::tr("Function"), QStringLiteral("function")},
        C{QObject::tr("Event type"), QStringLiteral("event.type")},
        C{QObject::tr("Subject"), QStringLiteral("event.subject")},
        C{QObject::tr("Position"), QStringLiteral("event.position")},
        C{QObject::tr("Attempts"), QStringLiteral("attempts")},
        C{QObject::tr("Failed at"), QString(), [](const QJsonObject &row) -> QVariant {
              const qint64 ms = row.value(QLatin1String("failed_at_ms")).toInteger();
              return ms > 0 ? QDateTime::fromMSecsSinceEpoch(ms).toString(Qt::ISODate) : QString();
          }},
        C{QObject::tr("Error"), QStringLiteral("error")},
    };
}
} // namespace

FunctionDeadLettersPanel::FunctionDeadLettersPanel(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_model(new JsonRowsModel(QStringLiteral("id"), columns(), this))
{
    setObjectName(QStringLiteral("functionDeadLettersPanel"));
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("functionDeadLetters"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_detail = new QPlainTextEdit(this);
    m_detail->setObjectName(QStringLiteral("deadLetterDetail"));
    m_detail->setReadOnly(true);
    m_detail->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_replay = new QPushButton(tr("Replay"), this);
    m_replay->setObjectName(QStringLiteral("deadLetterReplay"));
    m_replay->setToolTip(tr("Run the event again against the function's current version"));
    m_skip = new QPushButton(tr("Skip"), this);
    m_skip->setObjectName(QStringLiteral("deadLetterSkip"));
    m_skip->setToolTip(tr("Drop the dead letter without running it"));
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("deadLetterStatus"));
    m_status->setWordWrap(true);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_replay);
    buttons->addWidget(m_skip);
    buttons->addWidget(m_status, 1);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_table);
    split->addWidget(m_detail);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split, 1);
    layout->addLayout(buttons);

    connect(m_replay, &QPushButton::clicked, this, &FunctionDeadLettersPanel::replaySelected);
    connect(m_skip, &QPushButton::clicked, this, &FunctionDeadLettersPanel::skipSelected);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &FunctionDeadLettersPanel::showSelected);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &FunctionDeadLettersPanel::showSelected);
    showSelected();
}

FunctionDeadLettersPanel::~FunctionDeadLettersPanel() = default;

void FunctionDeadLettersPanel::refresh()
{
    if (m_inFlight) {
        m_again = true;
        return;
    }
    m_inFlight = true;
    m_client->adminGet("/admin/dead-letters", this, [this](const ClientReply &reply) {
        m_inFlight = false;
        if (std::exchange(m_again, false))
            refresh();
        if (!reply.isSuccess()) {
            m_status->setText(reply.errorText());
            return;
        }
        m_model->setItems(reply.object().value(QLatin1String("items")).toArray());
        showSelected();
    });
}

QString FunctionDeadLettersPanel::selectedId() const
{
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    return current.isValid() ? m_model->key(current.row()) : QString();
}

void FunctionDeadLettersPanel::showSelected()
{
    const QString id = selectedId();
    m_replay->setEnabled(!id.isEmpty());
    m_skip->setEnabled(!id.isEmpty());
    const QJsonObject letter = m_model->item(m_model->rowOf(id));
    m_detail->setPlainText(letter.isEmpty() ? QString() : QString::fromUtf8(QJsonDocument(letter).toJson(QJsonDocument::Indented)));
}

void FunctionDeadLettersPanel::replaySelected()
{
    const QString id = selectedId();
    if (id.isEmpty())
        return;
    m_status->setText(tr("Replaying…"));
    m_client->admin("POST", "/admin/dead-letters/" + EngineClient::encode(id) + "/replay", {}, this, [this](const ClientReply &reply) {
        m_status->setText(reply.isSuccess() ? tr("Replayed: the function handled the event") : tr("Replay failed: %1").arg(reply.errorText()));
        refresh();
        Q_EMIT changed();
    });
}

void FunctionDeadLettersPanel::skipSelected()
{
    const QString id = selectedId();
    if (id.isEmpty())
        return;
    m_client->admin("DELETE", "/admin/dead-letters/" + EngineClient::encode(id), {}, this, [this](const ClientReply &reply) {
        m_status->setText(reply.isSuccess() ? tr("Skipped") : tr("Skip failed: %1").arg(reply.errorText()));
        refresh();
        Q_EMIT changed();
    });
}

} // namespace Gatehouse::Ui
