#include "readmodeldetailview.h"

#include "engineclient.h"
#include "models/jsonrowsmodel.h"

#include <QDateTime>
#include <QFontDatabase>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QMenu>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

namespace {
// The time of each event is in its row's tooltip: the pane is narrow at small window sizes and
// the data needs the room.
enum HistoryColumn { Position, Version, Type, Data };

QString pretty(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Indented));
}
} // namespace

ReadModelDetailView::ReadModelDetailView(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
{
    setObjectName(QStringLiteral("readModelDetail"));
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_title = new QLabel(tr("Select a document"), this);
    m_title->setObjectName(QStringLiteral("readModelDetailTitle"));
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_document = new QPlainTextEdit(this);
    m_document->setObjectName(QStringLiteral("readModelDocument"));
    m_document->setReadOnly(true);
    m_document->setFont(mono);
    m_meta = new QLabel(this);
    m_meta->setObjectName(QStringLiteral("readModelMeta"));
    m_meta->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_meta->setWordWrap(true);
    m_history = new QTreeWidget(this);
    m_history->setObjectName(QStringLiteral("readModelHistory"));
    m_history->setRootIsDecorated(false);
    m_history->setUniformRowHeights(true);
    m_history->setHeaderLabels({tr("#"), tr("v"), tr("Type"), tr("Data")});
    m_history->headerItem()->setToolTip(Position, tr("Position in the log"));
    m_history->headerItem()->setToolTip(Version, tr("Version of the stream"));
    m_history->headerItem()->setToolTip(Type, tr("Event type (hover a row for its time)"));
    // Narrow columns sized to what they hold once loaded (Type at most a third of the pane),
    // the data in what is left: nothing cut off at the window's smallest useful size.
    m_history->header()->setSectionResizeMode(QHeaderView::Interactive);
    m_history->header()->setStretchLastSection(true);
    m_history->header()->setMinimumSectionSize(24);
    m_history->setContextMenuPolicy(Qt::CustomContextMenu);
    m_history->setToolTip(tr("Double-click an event to step through the stream to it on the Streams page; right-click for more"));
    connect(m_history, &QWidget::customContextMenuRequested, this, [this](const QPoint &pos) {
        const QTreeWidgetItem *item = m_history->itemAt(pos);
        if (!item)
            return;
        QMenu menu(this);
        menu.setObjectName(QStringLiteral("readModelHistoryMenu"));
        addEventLinks(&menu, eventOf(item), Location::Kind::Document, [this](const Location &l) { Q_EMIT openRequested(l); });
        menu.exec(m_history->viewport()->mapToGlobal(pos));
    });
    connect(m_history, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem *item) {
        const EventRef event = eventOf(item);
        if (!event.collection().isEmpty())
            Q_EMIT openRequested(Location::ofStream(event.collection(), event.subject, event.position));
    });
    m_eventData = new QPlainTextEdit(this);
    m_eventData->setObjectName(QStringLiteral("readModelEventData"));
    m_eventData->setReadOnly(true);
    m_eventData->setFont(mono);
    m_eventData->setPlaceholderText(tr("Select an event to see its data"));
    connect(m_history, &QTreeWidget::currentItemChanged, this, &ReadModelDetailView::showEventData);

    auto *top = new QWidget(this);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(m_title);
    topLayout->addWidget(m_document, 1);
    topLayout->addWidget(m_meta);
    auto *bottom = new QWidget(this);
    auto *bottomLayout = new QVBoxLayout(bottom);
    bottomLayout->setContentsMargins(0, 0, 0, 0);
    bottomLayout->addWidget(new QLabel(tr("History"), bottom));
    bottomLayout->addWidget(m_history, 2);
    bottomLayout->addWidget(m_eventData, 1);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(bottom);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);
}

ReadModelDetailView::~ReadModelDetailView() = default;

void ReadModelDetailView::showDocument(const QString &collection, const QString &id)
{
    m_collection = collection;
    m_id = id;
    reload();
}

void ReadModelDetailView::reload()
{
    const quint64 generation = ++m_generation;
    if (m_id.isEmpty()) {
        m_title->setText(tr("Select a document"));
        m_document->clear();
        m_meta->clear();
        m_history->clear();
        m_eventData->clear();
        return;
    }
    m_title->setText(QStringLiteral("%1 / %2").arg(m_collection, m_id));
    const QByteArray path = "/api/" + EngineClient::encode(m_collection) + '/' + EngineClient::encode(m_id);
    m_client->get(path + "?include_deleted=true", this, [this, generation](const ClientReply &reply) {
        if (generation != m_generation)
            return;
        if (!reply.isSuccess()) {
            m_document->setPlainText(reply.errorText());
            m_meta->clear();
            return;
        }
        QJsonObject doc = reply.object();
        const QJsonObject meta = doc.take(QLatin1String("_meta")).toObject();
        m_document->setPlainText(pretty(doc));
        QStringList parts;
        for (auto it = meta.begin(); it != meta.end(); ++it)
            parts.append(QStringLiteral("<b>%1</b> %2").arg(it.key().toHtmlEscaped(), JsonRowsModel::displayText(it.value()).toHtmlEscaped()));
        m_meta->setText(QStringLiteral("_meta: ") + parts.join(QStringLiteral(" · ")));
    });
    const QString stream = m_collection + QLatin1Char('-') + m_id;
    m_client->get("/events?stream=" + EngineClient::encode(stream), this, [this, generation](const ClientReply &reply) {
        if (generation != m_generation)
            return;
        const QString selected = m_history->currentItem() ? m_history->currentItem()->text(Position) : QString();
        m_history->clear();
        if (!reply.isSuccess()) {
            m_eventData->setPlainText(reply.errorText());
            return;
        }
        for (const RecordedEvent &e : EngineClient::parseEventBatch(reply.body)) {
            auto *item = new QTreeWidgetItem(m_history);
            item->setText(Position, QString::number(e.position));
            item->setText(Version, QString::number(e.version));
            item->setText(Type, e.type);
            const QString when = tr("#%1, %2, at %3").arg(e.position).arg(e.type, QDateTime::fromMSecsSinceEpoch(e.timeMs).toString(Qt::ISODateWithMs));
            for (int column : {Position, Version, Type})
                item->setToolTip(column, when);
            item->setData(Position, Qt::UserRole, e.id);
            item->setText(Data, QString::fromUtf8(e.data.left(200)));
            item->setData(Data, Qt::UserRole, e.data);
            if (item->text(Position) == selected)
                m_history->setCurrentItem(item);
        }
        for (int column : {Position, Version, Type})
            m_history->resizeColumnToContents(column);
        m_history->setColumnWidth(Type, qMin(m_history->columnWidth(Type), qMax(80, m_history->viewport()->width() / 3)));
    });
}

EventRef ReadModelDetailView::eventOf(const QTreeWidgetItem *item) const
{
    EventRef event;
    if (!item)
        return event;
    event.id = item->data(Position, Qt::UserRole).toString();
    event.position = item->text(Position).toLongLong();
    event.type = item->text(Type);
    event.subject = m_id;
    event.stream = m_collection + QLatin1Char('-') + m_id;
    return event;
}

void ReadModelDetailView::showEventData()
{
    const QTreeWidgetItem *item = m_history->currentItem();
    if (!item) {
        m_eventData->clear();
        return;
    }
    const QByteArray json = item->data(Data, Qt::UserRole).toByteArray();
    const QJsonDocument doc = QJsonDocument::fromJson(json);
    m_eventData->setPlainText(doc.isNull() ? QString::fromUtf8(json) : QString::fromUtf8(doc.toJson(QJsonDocument::Indented)));
}

} // namespace Gatehouse::Ui
