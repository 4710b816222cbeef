#include "eventbuffermodel.h"

#include "store/cloudevent.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <limits>

namespace Gatehouse::Ui {

namespace {
constexpr int kSummaryChars = 160;

QString metadataValue(const QByteArray &metadata, const QString &key)
{
    return QJsonDocument::fromJson(metadata).object().value(key).toString();
}
} // namespace

EventBufferModel::EventBufferModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

EventBufferModel::~EventBufferModel() = default;

QString EventBufferModel::summaryOf(const QByteArray &data)
{
    // The compact JSON text is the summary: no parsing per row, and it reads well enough.
    QString text = QString::fromUtf8(data.left(kSummaryChars * 4)).simplified();
    if (text.size() > kSummaryChars)
        text = text.left(kSummaryChars - 1) + QChar(0x2026);
    return text;
}

EventBufferModel::Row EventBufferModel::makeRow(const RecordedEvent &event)
{
    Row row{event, CloudEvent::subjectOf(event), summaryOf(event.data), {}};
    row.searchText = (event.type + QLatin1Char('\n') + row.subject + QLatin1Char('\n') + QString::fromUtf8(event.data)).toLower();
    return row;
}

void EventBufferModel::setCapacity(int rows)
{
    m_capacity = qMax(1, rows);
    const int excess = rowCount() - m_capacity;
    if (excess > 0)
        removeOldest(excess);
}

int EventBufferModel::appendEvents(const RecordedEvents &events)
{
    // Skip what is already here (a live batch can overlap the page loaded at start). An
    // overlapping event replaces its row: the page came in the CloudEvent form, which carries
    // only some of the stored metadata (no commandid), the live batch carries all of it.
    const qint64 newest = newestPosition();
    const auto first = std::find_if(events.cbegin(), events.cend(), [newest](const RecordedEvent &e) { return e.position > newest; });
    for (auto it = events.cbegin(); it != first; ++it) {
        const auto row = std::lower_bound(m_rows.begin(), m_rows.end(), it->position,
                                          [](const Row &r, qint64 position) { return r.event.position < position; });
        if (row != m_rows.end() && row->event.position == it->position && row->event.id == it->id && row->event.metadata != it->metadata) {
            *row = makeRow(*it);
            const int index = int(row - m_rows.begin());
            Q_EMIT dataChanged(this->index(index, 0), this->index(index, columnCount() - 1));
        }
    }
    const int incoming = int(events.cend() - first);
    if (incoming == 0)
        return 0;
    const int before = rowCount();
    if (incoming >= m_capacity) {
        // The batch alone fills the buffer: one reset beats removing and inserting everything.
        beginResetModel();
        m_rows.clear();
        for (auto it = events.cend() - m_capacity; it != events.cend(); ++it)
            m_rows.push_back(makeRow(*it));
        endResetModel();
        return before + incoming - m_capacity;
    }
    const int overflow = before + incoming - m_capacity;
    if (overflow > 0)
        removeOldest(overflow);
    const int start = rowCount();
    beginInsertRows({}, start, start + incoming - 1);
    for (auto it = first; it != events.cend(); ++it)
        m_rows.push_back(makeRow(*it));
    endInsertRows();
    return qMax(0, overflow);
}

RecordedEvents EventBufferModel::prependEvents(const RecordedEvents &events, bool displaceNewest)
{
    const qint64 oldest = m_rows.empty() ? std::numeric_limits<qint64>::max() : oldestPosition();
    const auto end = std::find_if(events.cbegin(), events.cend(), [oldest](const RecordedEvent &e) { return e.position >= oldest; });
    // A page bigger than the room keeps its newest part, the part next to the rows here.
    const int room = displaceNewest ? m_capacity : m_capacity - rowCount();
    const auto begin = end - std::clamp<qsizetype>(end - events.cbegin(), 0, room);
    const int incoming = int(end - begin);
    RecordedEvents displaced;
    if (incoming == 0)
        return displaced;
    const int overflow = rowCount() + incoming - m_capacity;
    if (overflow > 0) {
        displaced.reserve(overflow);
        for (int i = rowCount() - overflow; i < rowCount(); ++i)
            displaced.append(m_rows[size_t(i)].event);
        removeNewest(overflow);
    }
    beginInsertRows({}, 0, incoming - 1);
    for (auto it = end; it != begin;)
        m_rows.push_front(makeRow(*--it));
    endInsertRows();
    return displaced;
}

void EventBufferModel::clear()
{
    if (m_rows.empty())
        return;
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

void EventBufferModel::removeOldest(int count)
{
    beginRemoveRows({}, 0, count - 1);
    m_rows.erase(m_rows.begin(), m_rows.begin() + count);
    endRemoveRows();
}

void EventBufferModel::removeNewest(int count)
{
    const int size = rowCount();
    beginRemoveRows({}, size - count, size - 1);
    m_rows.erase(m_rows.end() - count, m_rows.end());
    endRemoveRows();
}

qint64 EventBufferModel::oldestPosition() const
{
    return m_rows.empty() ? 0 : m_rows.front().event.position;
}

qint64 EventBufferModel::newestPosition() const
{
    return m_rows.empty() ? 0 : m_rows.back().event.position;
}

const RecordedEvent &EventBufferModel::eventAt(int row) const
{
    return m_rows.at(size_t(row)).event;
}

int EventBufferModel::rowOfEventOrCommand(const QString &id) const
{
    // A linear scan: 10,000 string compares, and only when someone follows a link.
    for (size_t i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].event.id == id)
            return int(i);
    }
    const QByteArray needle = id.toUtf8();
    for (size_t i = 0; i < m_rows.size(); ++i) {
        const QByteArray &metadata = m_rows[i].event.metadata;
        if (metadata.contains(needle) && metadataValue(metadata, QStringLiteral("commandid")) == id)
            return int(i);
    }
    return -1;
}

QList<int> EventBufferModel::rowsWithMetadata(const QString &key, const QString &value, int max) const
{
    QList<int> out;
    if (value.isEmpty())
        return out;
    const QByteArray needle = value.toUtf8();
    for (size_t i = 0; i < m_rows.size() && out.size() < max; ++i) {
        const QByteArray &metadata = m_rows[i].event.metadata;
        // Cheap byte search first; parse only the candidates.
        if (metadata.contains(needle) && metadataValue(metadata, key) == value)
            out.append(int(i));
    }
    return out;
}

int EventBufferModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int EventBufferModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EventBufferModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows[size_t(index.row())];
    const RecordedEvent &e = row.event;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case PositionColumn: return e.position;
        case TimeColumn: return QDateTime::fromMSecsSinceEpoch(e.timeMs).toString(QStringLiteral("HH:mm:ss.zzz"));
        case TypeColumn: return e.type;
        case SubjectColumn: return row.subject;
        case SummaryColumn: return row.summary;
        default: return {};
        }
    case Qt::ToolTipRole:
        if (index.column() == TimeColumn)
            return QDateTime::fromMSecsSinceEpoch(e.timeMs).toString(Qt::ISODateWithMs);
        return index.column() == SummaryColumn ? QVariant(QString::fromUtf8(e.data.left(2000))) : QVariant();
    case Qt::TextAlignmentRole:
        return index.column() == PositionColumn ? QVariant(int(Qt::AlignRight | Qt::AlignVCenter)) : QVariant();
    case PositionRole: return e.position;
    case EventIdRole: return e.id;
    case TypeRole: return e.type;
    case SubjectRole: return row.subject;
    case SearchTextRole: return row.searchText;
    default: return {};
    }
}

QVariant EventBufferModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case PositionColumn: return tr("Position");
    case TimeColumn: return tr("Time");
    case TypeColumn: return tr("Type");
    case SubjectColumn: return tr("Subject");
    case SummaryColumn: return tr("Summary");
    default: return {};
    }
}

} // namespace Gatehouse::Ui
