#pragma once

#include "models/readmodelquery.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QSet>
#include <QStringList>

#include <utility>

class QTimer;

namespace Gatehouse::Ui {

class EngineClient;
struct ClientReply;

// The documents of one read-model collection as a table, fetched page by page through the
// public query API (GET /api/{collection}?filter&sort=…&limit=…&cursor=…). Columns are `id`,
// then every top-level field seen so far (in order of first appearance), then _meta.version
// and _meta.updated_at. Sorting and filtering are the API's: sort() re-queries with
// sort=field / sort=-field, setFilter() with field=value / field[op]=value pairs.
//
// Live: documentsChanged() takes the ids the engine announced; they are coalesced (at most
// about 20 queries a second) and re-queried with the current filter plus id[in]=…, so a changed
// row is replaced, a row that stopped matching is removed, and a new match is inserted at its
// sorted place when it falls inside the loaded range. Changed rows are highlighted: the
// background fades out over highlightDuration(). GUI thread only.
class ReadModelDocumentsModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReadModelDocumentsModel)

public:
    using Filter = ReadModelQuery::Filter;
    enum Roles { IdRole = Qt::UserRole + 1, DocumentRole, DeletedRole, HighlightedRole };

    explicit ReadModelDocumentsModel(EngineClient *client, QObject *parent = nullptr);
    ~ReadModelDocumentsModel() override;

    // Each of these starts over from the first page.
    void setCollection(const QString &collection);
    void setFilter(const Filter &filter);
    void setIncludeDeleted(bool include);
    void refresh();

    QString collection() const { return m_query.collection; }
    Filter filter() const { return m_query.filter; }
    bool includeDeleted() const { return m_query.includeDeleted; }
    QString sortField() const { return m_query.sortField; }   // empty: by id
    bool sortDescending() const { return m_query.sortDescending; }
    void setPageSize(int rows) { m_query.pageSize = qBound(1, rows, 1000); }
    void setHighlightDuration(int ms) { m_highlightMs = qMax(1, ms); }
    int highlightDuration() const { return m_highlightMs; }

    static bool parseFilter(const QString &text, Filter *out, QString *error)
    {
        return ReadModelQuery::parseFilter(text, out, error);
    }
    // The first page's request, as sent to the gateway.
    QByteArray listTarget() const { return m_query.pageTarget(); }

    // The engine's change notification for one collection (ignored for the others).
    void documentsChanged(const QString &collection, const QStringList &ids);

    bool isLoading() const { return m_loading > 0; }
    bool hasMore() const { return !m_nextCursor.isEmpty(); }
    QString lastError() const { return m_error; }
    QString field(int column) const;   // "name", "_meta.version"
    QStringList fields() const;
    int columnOf(const QString &field) const;
    int rowOf(const QString &id) const { return m_rowOfId.value(id, -1); }
    QString idAt(int row) const;
    QJsonObject documentAt(int row) const;
    bool isHighlighted(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

Q_SIGNALS:
    void loadingChanged(bool loading);
    void pageLoaded(int rows, bool more);
    void errorOccurred(const QString &message);
    void rowsHighlighted(const QStringList &ids);   // after the rows got their new data

private:
    struct Row
    {
        QString id;
        QJsonObject document;     // with _meta
        qint64 highlightedAtMs = 0;
    };

    void startOver(bool keepColumns);
    void requestPage(const QByteArray &cursor);
    void applyPage(const ClientReply &reply, bool first);
    void flushChanges();
    void applyChanges(const QStringList &asked, const ClientReply &reply);
    void noteFields(const QJsonObject &document);
    int insertionRow(const QJsonObject &document) const;
    void highlight(int row, qint64 now);
    void fade();
    void reindex(int fromRow);
    void setError(const QString &message);
    void beginLoad();
    void endLoad();

    EngineClient *m_client;
    ReadModelQuery m_query;
    int m_highlightMs = 1500;

    QStringList m_fields{QStringLiteral("id")};   // document fields, before the _meta columns
    QList<Row> m_rows;
    QHash<QString, int> m_rowOfId;
    QByteArray m_nextCursor;
    bool m_pageInFlight = false;
    int m_loading = 0;
    quint64 m_generation = 0;   // answers to an older query are dropped
    QString m_error;

    QSet<QString> m_pendingIds;
    QTimer *m_changeTimer = nullptr;
    QTimer *m_fadeTimer = nullptr;
};

} // namespace Gatehouse::Ui
