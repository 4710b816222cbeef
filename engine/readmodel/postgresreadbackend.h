#pragma once

#include "pgdocumentreadpool.h"
#include "readstorebackend.h"
#include "sql/pgconnection.h"
#include "sql/postgresurl.h"

#include <QByteArray>
#include <QSet>
#include <QString>
#include <QVariantList>

#include <atomic>
#include <functional>
#include <memory>
#include <unordered_map>

class QSqlError;
class QSqlQuery;

namespace Gatehouse {

// The read store in a PostgreSQL database that several engines share: checkpoints and
// secrets (schema by SchemaMigrations, component "readmodel"), and a table "rm_<collection>"
// per collection whose `doc` column is `json` -- which keeps the text exactly as the
// projection stored it, so a GET answers the very bytes SQLite would -- with an expression
// index per "index": true field over its PgFieldKey (SQLite's comparison order).
//
// Writes: one WriteTransaction at a time (ReadStore's lock) on a dedicated connection, as one
// PostgreSQL transaction; put() writes a whole batch in one round trip (unnest of arrays).
// Reads: a PgDocumentReadPool whose statement_timeout is the time budget (57014 -> TimedOut). A
// connection that fails is replaced: a read is retried once on a new one; the writer reopens
// at the next begin(), and the failure counts in storageFailures() so the projection retries.
//
// No DocumentCache: another engine's projection may change a document at any time, and this
// process would not know to forget it. A GET by id is one round trip on the primary key.
//
// The cursor key is read from `secrets` (the first engine to start writes it), so a cursor
// from one engine pages on every other.
class PostgresReadBackend final : public ReadStoreBackend
{
public:
    PostgresReadBackend() = default;
    ~PostgresReadBackend() override;

    bool open(const StorageTarget &target, QString *error) override;
    void close() override;
    bool isOpen() const override;
    QByteArray cursorKey() const override { return m_cursorKey; }
    bool cachesDocuments() const override { return false; }

    std::unique_ptr<Transaction> begin(QString *error) override;
    quint64 storageFailures() const override { return m_storageFailures.load(std::memory_order_relaxed); }
    void setQueryBudgetMs(int ms) override;

    qint64 checkpoint(const QString &projection) const override;
    std::optional<StoredDocument> document(const QString &collection, const QString &id, ReadStatus *status) const override;
    std::optional<StoredDocument> snapshot(const QString &collection, const QString &id, qint64 atOrBefore,
                                           ReadStatus *status) const override;
    ReadStatus list(const QString &collection, const ListQuery &query, ListResult *out) const override;
    QStringList collections(ReadStatus *status) const override;
    qint64 count(const QString &collection, bool includeDeleted, ReadStatus *status) const override;

    // The table of a collection: "rm_<collection>" quoted, or -- when that is longer than
    // PostgreSQL's 63-byte names -- a shortened name with a hash (the full name is the
    // table's comment, which collections() reads).
    static QByteArray tableName(const QString &collection);   // unquoted
    static QByteArray quotedTable(const QString &collection);
    static QByteArray indexName(const QString &collection, const QString &field);   // unquoted
    // id, doc, version, position, updated_at, deleted: a row as both sides select it.
    static StoredDocument rowOf(const QSqlQuery &q, const QString &collection);

private:
    friend class PostgresReadTransaction;
    bool addOriginIndexes(QString *error);
    bool loadCursorKey(QString *error);
    bool openWriter(QString *error);
    // The writer's prepared query for `sql` (kept by SQL text); null with the error noted.
    QSqlQuery *writerQuery(const QByteArray &sql);
    void forgetWriterQueries();
    // Notes a failed writer statement: a lost connection or a full disk counts as a storage
    // failure and has the writer reopened at the next begin().
    void noteWriteFailure(const QSqlError &error);

    // Runs `sql` with `values` on a read connection (`budgetMs` < 0: the default budget) and
    // hands the answered query to `read`. A missing table sets *missingTable and answers Ok.
    ReadStatus run(const char *where, const QByteArray &sql, const QVariantList &values, int budgetMs,
                   const std::function<void(QSqlQuery &)> &read, bool *missingTable = nullptr) const;

    PostgresUrl m_url;
    QByteArray m_cursorKey;
    PgConnection m_writer;
    bool m_writerBroken = false;
    QString m_writerError;
    std::unordered_map<QByteArray, std::unique_ptr<QSqlQuery>> m_writerQueries;
    std::unique_ptr<PgDocumentReadPool> m_readers;
    std::atomic<int> m_budgetMs{0};
    std::atomic<quint64> m_storageFailures{0};
    std::atomic<bool> m_open{false};
};

} // namespace Gatehouse
