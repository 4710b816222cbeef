#include "parkedeventspanel.h"

#include "engineclient.h"
#include "eventlinks.h"
#include "models/jsonrowsmodel.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

#include <utility>

namespace Gatehouse::Ui {

namespace {
QList<JsonRowsModel::Column> columns()
{
    using C = JsonRowsModel::Column;
    return {
        C{QObject::tr("Position"), QStringLiteral("position")},
        C{QObject::tr("Event type"), QStringLiteral("type")},
        C{QObject::tr("Event id"), QStringLiteral("event_id")},
        C{QObject::tr("Parked at"), QString(), [](const QJsonObject &row) -> QVariant {
              const qint64 ms = row.value(QLatin1String("parked_at_ms")).toInteger();
              return ms > 0 ? QDateTime::fromMSecsSinceEpoch(ms).toString(Qt::ISODate) : QString();
          }},
        C{QObject::tr("Error"), QStringLiteral("error")},
    };
}
} // namespace

ParkedEventsPanel::ParkedEventsPanel(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_model(new JsonRowsModel(QStringLiteral("position"), columns(), this))
{
    setObjectName(QStringLiteral("parkedEventsPanel"));
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("parkedEvents"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    // A parked event's context menu shows it on the Events page.
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_table, &QWidget::customContextMenuRequested, this, [this](const QPoint &pos) {
        const QModelIndex index = m_table->indexAt(pos);
        if (!index.isValid())
            return;
        const QJsonObject row = m_model->item(index.row());
        EventRef event;
        event.id = row.value(QLatin1String("event_id")).toString();
        event.position = row.value(QLatin1String("position")).toInteger(-1);
        event.type = row.value(QLatin1String("type")).toString();
        QMenu menu(this);
        menu.setObjectName(QStringLiteral("parkedEventsMenu"));
        addEventLinks(&menu, event, Location::Kind::Page, [this](const Location &l) { Q_EMIT openRequested(l); });
        menu.exec(m_table->viewport()->mapToGlobal(pos));
    });
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_release = new QPushButton(tr("Release"), this);
    m_release->setObjectName(QStringLiteral("parkedRelease"));
    m_release->setToolTip(tr("Stop leaving this event out: the next rebuild applies it again"));
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("parkedStatus"));
    m_status->setWordWrap(true);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(new QLabel(tr("Parked events (left out of this projection and its rebuilds)"), this), 1);
    buttons->addWidget(m_release);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(buttons);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_status);

    connect(m_release, &QPushButton::clicked, this, &ParkedEventsPanel::releaseSelected);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &ParkedEventsPanel::updateButtons);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &ParkedEventsPanel::updateButtons);
    updateButtons();
}

ParkedEventsPanel::~ParkedEventsPanel() = default;

void ParkedEventsPanel::setProjection(const QString &name)
{
    if (name == m_projection)
        return;
    m_projection = name;
    m_model->replaceItems({});
    refresh();
}

void ParkedEventsPanel::refresh()
{
    if (m_projection.isEmpty())
        return;
    if (m_inFlight) {
        m_again = true;
        return;
    }
    m_inFlight = true;
    const QString projection = m_projection;
    m_client->adminGet("/admin/projections/" + EngineClient::encode(projection) + "/parked", this,
                       [this, projection](const ClientReply &reply) {
        m_inFlight = false;
        if (std::exchange(m_again, false) || projection != m_projection) {
            refresh();
            return;
        }
        if (!reply.isSuccess()) {
            m_status->setText(reply.errorText());
            return;
        }
        m_model->setItems(reply.object().value(QLatin1String("items")).toArray());
        updateButtons();
    });
}

QString ParkedEventsPanel::selectedKey() const
{
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    return current.isValid() ? m_model->key(current.row()) : QString();
}

void ParkedEventsPanel::updateButtons()
{
    m_release->setEnabled(!selectedKey().isEmpty());
}

void ParkedEventsPanel::releaseSelected()
{
    const QString position = selectedKey();
    if (position.isEmpty() || m_projection.isEmpty())
        return;
    const QByteArray target = "/admin/projections/" + EngineClient::encode(m_projection) + "/parked/" + position.toLatin1();
    m_client->admin("DELETE", target, {}, this, [this, position](const ClientReply &reply) {
        m_status->setText(reply.isSuccess() ? tr("Released the event at position %1: the next rebuild applies it").arg(position)
                                            : tr("Release failed: %1").arg(reply.errorText()));
        refresh();
        Q_EMIT changed();
    });
}

} // namespace Gatehouse::Ui
