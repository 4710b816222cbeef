#include "readmodeldocumentsmodel.h"

#include "engineclient.h"
#include "models/jsonrowsmodel.h"

#include <QColor>
#include <QDateTime>
#include <QFont>
#include <QJsonArray>
#include <QTimer>

namespace Gatehouse::Ui {

namespace {

bool isDeleted(const QJsonObject &document)
{
    return document.value(QLatin1String("_meta")).toObject().value(QLatin1String("deleted")).toBool();
}

const QStringList kMetaFields{QStringLiteral("_meta.version"), QStringLiteral("_meta.updated_at")};
constexpr int kChangeBatchIds = 100;     // ids per id[in]=… query
constexpr int kChangeIntervalMs = 50;    // at most ~20 live queries a second
constexpr int kFadeTickMs = 100;

} // namespace

ReadModelDocumentsModel::ReadModelDocumentsModel(EngineClient *client, QObject *parent)
    : QAbstractTableModel(parent)
    , m_client(client)
    , m_changeTimer(new QTimer(this))
    , m_fadeTimer(new QTimer(this))
{
    m_changeTimer->setSingleShot(true);
    m_changeTimer->setInterval(kChangeIntervalMs);
    connect(m_changeTimer, &QTimer::timeout, this, &ReadModelDocumentsModel::flushChanges);
    m_fadeTimer->setInterval(kFadeTickMs);
    connect(m_fadeTimer, &QTimer::timeout, this, &ReadModelDocumentsModel::fade);
}

ReadModelDocumentsModel::~ReadModelDocumentsModel() = default;

void ReadModelDocumentsModel::setCollection(const QString &collection)
{
    m_query.collection = collection;
    m_query.sortField.clear();
    m_query.sortDescending = false;
    m_query.filter.clear();
    startOver(false);
}

void ReadModelDocumentsModel::setFilter(const Filter &filter)
{
    m_query.filter = filter;
    startOver(true);
}

void ReadModelDocumentsModel::setIncludeDeleted(bool include)
{
    m_query.includeDeleted = include;
    startOver(true);
}

void ReadModelDocumentsModel::refresh()
{
    startOver(true);
}

void ReadModelDocumentsModel::startOver(bool keepColumns)
{
    ++m_generation;
    beginResetModel();
    m_rows.clear();
    m_rowOfId.clear();
    if (!keepColumns)
        m_fields = QStringList{QStringLiteral("id")};
    m_nextCursor.clear();
    m_pendingIds.clear();
    endResetModel();
    m_fadeTimer->stop();
    m_pageInFlight = false;
    if (m_loading > 0) {
        m_loading = 0;
        Q_EMIT loadingChanged(false);
    }
    setError({});
    if (!m_query.collection.isEmpty())
        requestPage({});
}

void ReadModelDocumentsModel::beginLoad()
{
    if (m_loading++ == 0)
        Q_EMIT loadingChanged(true);
}

void ReadModelDocumentsModel::endLoad()
{
    if (m_loading > 0 && --m_loading == 0)
        Q_EMIT loadingChanged(false);
}

void ReadModelDocumentsModel::setError(const QString &message)
{
    m_error = message;
    if (!message.isEmpty())
        Q_EMIT errorOccurred(message);
}

void ReadModelDocumentsModel::requestPage(const QByteArray &cursor)
{
    m_pageInFlight = true;
    beginLoad();
    const quint64 generation = m_generation;
    const bool first = cursor.isEmpty();
    m_client->get(m_query.pageTarget(cursor), this, [this, generation, first](const ClientReply &reply) {
        if (generation != m_generation)
            return;   // the query changed meanwhile; startOver() reset the counters
        m_pageInFlight = false;
        applyPage(reply, first);
        endLoad();
    });
}

void ReadModelDocumentsModel::applyPage(const ClientReply &reply, bool)
{
    if (!reply.isSuccess()) {
        m_nextCursor.clear();
        setError(reply.errorText());
        return;
    }
    const QJsonObject body = reply.object();
    QList<Row> fresh;
    for (const QJsonValue &v : body.value(QLatin1String("items")).toArray()) {
        const QJsonObject doc = v.toObject();
        const QString id = doc.value(QLatin1String("id")).toString();
        noteFields(doc);
        // A document without an id field (written by a function or a raw event) cannot be
        // told apart: it is shown but never merged, updated live or opened.
        const int existing = id.isEmpty() ? -1 : rowOf(id);
        if (existing >= 0) {   // inserted live before its page came
            m_rows[existing].document = doc;
            Q_EMIT dataChanged(index(existing, 0), index(existing, columnCount() - 1));
            continue;
        }
        fresh.append(Row{id, doc, 0});
    }
    const QJsonValue next = body.value(QLatin1String("next_cursor"));
    m_nextCursor = next.isString() ? next.toString().toUtf8() : QByteArray();
    if (!fresh.isEmpty()) {
        const int first = int(m_rows.size());
        beginInsertRows({}, first, first + int(fresh.size()) - 1);
        m_rows.append(fresh);
        reindex(first);
        endInsertRows();
    }
    setError({});
    Q_EMIT pageLoaded(int(m_rows.size()), hasMore());
}

void ReadModelDocumentsModel::documentsChanged(const QString &collection, const QStringList &ids)
{
    if (collection != m_query.collection || m_query.collection.isEmpty())
        return;
    for (const QString &id : ids) {
        if (!id.contains(QLatin1Char(',')))   // id[in]= splits on commas; such a row updates on refresh
            m_pendingIds.insert(id);
    }
    if (!m_pendingIds.isEmpty() && !m_changeTimer->isActive())
        m_changeTimer->start();
}

void ReadModelDocumentsModel::flushChanges()
{
    if (m_pendingIds.isEmpty() || m_query.collection.isEmpty())
        return;
    if (m_pageInFlight) {
        // Wait for the page: before it, the loaded range is unknown and a changed document
        // would be placed as if it were the whole collection.
        m_changeTimer->start();
        return;
    }
    QStringList ids;
    for (auto it = m_pendingIds.begin(); it != m_pendingIds.end() && ids.size() < kChangeBatchIds;)
    {
        ids.append(*it);
        it = m_pendingIds.erase(it);
    }
    if (!m_pendingIds.isEmpty())
        m_changeTimer->start();
    const QByteArray target = m_query.changesTarget(ids);
    beginLoad();
    const quint64 generation = m_generation;
    m_client->get(target, this, [this, generation, ids](const ClientReply &reply) {
        if (generation != m_generation)
            return;
        applyChanges(ids, reply);
        endLoad();
    });
}

void ReadModelDocumentsModel::applyChanges(const QStringList &asked, const ClientReply &reply)
{
    if (!reply.isSuccess()) {
        setError(reply.errorText());
        return;
    }
    QHash<QString, QJsonObject> found;
    for (const QJsonValue &v : reply.object().value(QLatin1String("items")).toArray()) {
        const QJsonObject doc = v.toObject();
        found.insert(doc.value(QLatin1String("id")).toString(), doc);
    }
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QStringList highlighted;
    for (const QString &id : asked) {
        int row = rowOf(id);
        const auto it = found.constFind(id);
        if (it == found.cend()) {
            if (row >= 0) {   // deleted, or no longer matches the filter
                beginRemoveRows({}, row, row);
                m_rows.removeAt(row);
                m_rowOfId.remove(id);
                reindex(row);
                endRemoveRows();
            }
            continue;
        }
        noteFields(*it);
        if (row >= 0) {
            const bool inOrder = (row == 0 || !m_query.lessThan(*it, m_rows.at(row - 1).document))
                && (row + 1 >= m_rows.size() || !m_query.lessThan(m_rows.at(row + 1).document, *it));
            if (inOrder) {
                m_rows[row].document = *it;
                highlight(row, now);
                Q_EMIT dataChanged(index(row, 0), index(row, columnCount() - 1));
                highlighted.append(id);
                continue;
            }
            // Its sort key changed: take it out and put it where it belongs now.
            beginRemoveRows({}, row, row);
            m_rows.removeAt(row);
            m_rowOfId.remove(id);
            reindex(row);
            endRemoveRows();
        }
        row = insertionRow(*it);
        if (row == m_rows.size() && hasMore())
            continue;   // beyond the loaded range: it comes with a later page
        beginInsertRows({}, row, row);
        m_rows.insert(row, Row{id, *it, 0});
        reindex(row);
        endInsertRows();
        highlight(row, now);
        highlighted.append(id);
    }
    if (!highlighted.isEmpty())
        Q_EMIT rowsHighlighted(highlighted);
}

void ReadModelDocumentsModel::noteFields(const QJsonObject &document)
{
    for (auto it = document.begin(); it != document.end(); ++it) {
        const QString &key = it.key();
        if (key == QLatin1String("_meta") || m_fields.contains(key))
            continue;
        const int at = int(m_fields.size());
        beginInsertColumns({}, at, at);
        m_fields.append(key);
        endInsertColumns();
    }
}

int ReadModelDocumentsModel::insertionRow(const QJsonObject &document) const
{
    // Upper bound: after every row that does not sort after the document.
    int low = 0;
    int high = int(m_rows.size());
    while (low < high) {
        const int mid = (low + high) / 2;
        if (m_query.lessThan(document, m_rows.at(mid).document))
            high = mid;
        else
            low = mid + 1;
    }
    return low;
}

void ReadModelDocumentsModel::highlight(int row, qint64 now)
{
    m_rows[row].highlightedAtMs = now;
    if (!m_fadeTimer->isActive())
        m_fadeTimer->start();
}

void ReadModelDocumentsModel::fade()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    int first = -1;
    int last = -1;
    for (int row = 0; row < m_rows.size(); ++row) {
        Row &r = m_rows[row];
        if (r.highlightedAtMs == 0)
            continue;
        if (now - r.highlightedAtMs >= m_highlightMs)
            r.highlightedAtMs = 0;
        if (first < 0)
            first = row;
        last = row;
    }
    if (first < 0) {
        m_fadeTimer->stop();
        return;
    }
    Q_EMIT dataChanged(index(first, 0), index(last, columnCount() - 1), {Qt::BackgroundRole, HighlightedRole});
}

void ReadModelDocumentsModel::reindex(int fromRow)
{
    for (int row = qMax(0, fromRow); row < m_rows.size(); ++row) {
        if (!m_rows.at(row).id.isEmpty())
            m_rowOfId.insert(m_rows.at(row).id, row);
    }
}

QString ReadModelDocumentsModel::field(int column) const
{
    if (column < 0)
        return {};
    if (column < m_fields.size())
        return m_fields.at(column);
    return kMetaFields.value(column - int(m_fields.size()));
}

QStringList ReadModelDocumentsModel::fields() const
{
    return m_fields + kMetaFields;
}

int ReadModelDocumentsModel::columnOf(const QString &name) const
{
    return int(fields().indexOf(name));
}

QString ReadModelDocumentsModel::idAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row).id : QString();
}

QJsonObject ReadModelDocumentsModel::documentAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row).document : QJsonObject();
}

bool ReadModelDocumentsModel::isHighlighted(int row) const
{
    return row >= 0 && row < m_rows.size() && m_rows.at(row).highlightedAtMs != 0;
}

int ReadModelDocumentsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ReadModelDocumentsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_fields.size() + kMetaFields.size());
}

QVariant ReadModelDocumentsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return JsonRowsModel::displayText(ReadModelQuery::fieldValue(row.document, field(index.column())));
    case Qt::ToolTipRole: {
        const QJsonValue v = ReadModelQuery::fieldValue(row.document, field(index.column()));
        return v.isObject() || v.isArray() || v.isString() ? JsonRowsModel::displayText(v) : QVariant();
    }
    case Qt::TextAlignmentRole:
        if (ReadModelQuery::fieldValue(row.document, field(index.column())).isDouble())
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::BackgroundRole: {
        if (row.highlightedAtMs == 0)
            return {};
        const qint64 age = QDateTime::currentMSecsSinceEpoch() - row.highlightedAtMs;
        const double left = qBound(0.0, 1.0 - double(age) / double(m_highlightMs), 1.0);
        return QColor(255, 196, 0, 40 + int(160 * left));
    }
    case Qt::ForegroundRole:
        return isDeleted(row.document) ? QVariant(QColor(Qt::gray)) : QVariant();
    case Qt::FontRole:
        if (isDeleted(row.document)) {
            QFont font;
            font.setStrikeOut(true);
            return font;
        }
        return {};
    case IdRole:
        return row.id;
    case DocumentRole:
        return QVariant::fromValue(row.document);
    case DeletedRole:
        return isDeleted(row.document);
    case HighlightedRole:
        return row.highlightedAtMs != 0;
    default:
        return {};
    }
}

QVariant ReadModelDocumentsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && section >= 0 && section < columnCount()) {
        const QString name = field(section);
        if (role == Qt::DisplayRole)
            return name;
        if (role == Qt::ToolTipRole)
            return ReadModelQuery::isMetaField(name) ? tr("%1 (not sortable by the query API)").arg(name)
                                                              : tr("Click to sort by %1").arg(name);
    }
    return QAbstractTableModel::headerData(section, orientation, role);
}

bool ReadModelDocumentsModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && hasMore() && !m_pageInFlight;
}

void ReadModelDocumentsModel::fetchMore(const QModelIndex &parent)
{
    if (canFetchMore(parent))
        requestPage(m_nextCursor);
}

void ReadModelDocumentsModel::sort(int column, Qt::SortOrder order)
{
    const QString name = field(column);
    if (name.isEmpty() || ReadModelQuery::isMetaField(name)) {
        setError(tr("the query API sorts by document fields, not by %1").arg(name));
        return;
    }
    m_query.sortField = name;
    m_query.sortDescending = order == Qt::DescendingOrder;
    startOver(true);
}

} // namespace Gatehouse::Ui
