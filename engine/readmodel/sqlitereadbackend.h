#pragma once

#include "readstorebackend.h"
#include "sql/sqliteconnection.h"
#include "sql/sqlitereadpool.h"

#include <QByteArray>
#include <QString>

#include <atomic>
#include <memory>
#include <unordered_map>

namespace Gatehouse {

// The read store in one SQLite file (readmodel.db): a table per collection, documents as JSON
// text, expression indexes on json_extract() of the indexed fields. One writer connection
// with its prepared statements kept by SQL text; reads through a SqliteReadPool whose leases
// carry the time budget (the progress handler interrupts a statement past it). Only this
// process writes the file, so ReadStore may cache documents.
//
// The file is derived data: it runs with synchronous=NORMAL, and since documents and
// checkpoints commit together, whatever a crash loses is replayed from the event log.
class SqliteReadBackend final : public ReadStoreBackend
{
public:
    SqliteReadBackend() = default;
    ~SqliteReadBackend() override;

    bool open(const StorageTarget &target, QString *error) override;
    void close() override;
    bool isOpen() const override;
    QByteArray cursorKey() const override { return m_cursorKey; }
    bool cachesDocuments() const override { return true; }

    std::unique_ptr<Transaction> begin(QString *error) override;
    quint64 storageFailures() const override;
    void setQueryBudgetMs(int ms) override;

    qint64 checkpoint(const QString &projection) const override;
    std::optional<StoredDocument> document(const QString &collection, const QString &id, ReadStatus *status) const override;
    std::optional<StoredDocument> snapshot(const QString &collection, const QString &id, qint64 atOrBefore,
                                           ReadStatus *status) const override;
    ReadStatus list(const QString &collection, const ListQuery &query, ListResult *out) const override;
    QStringList collections(ReadStatus *status) const override;
    qint64 count(const QString &collection, bool includeDeleted, ReadStatus *status) const override;

    static StoredDocument readRow(const SqliteStatement &st, const QString &collection);
    // The partial index over the documents functions wrote (ReadStoreBackend::kOriginIndexField).
    static QByteArray originIndexDdl(const QString &collection);

private:
    friend class SqliteReadTransaction;
    bool addOriginColumns(QString *why);
    bool loadCursorKey(QString *why);
    // The writer's statement for `sql`, prepared once and reset for reuse; null on failure.
    SqliteStatement *statement(const QByteArray &sql);
    void forgetStatementsOn(const QByteArray &quotedTable);

    QString m_path;
    QByteArray m_cursorKey;
    SqliteConnection m_writer;
    std::unordered_map<QByteArray, std::unique_ptr<SqliteStatement>> m_statements;   // writer's, by SQL text
    std::unique_ptr<SqliteReadPool> m_readers;
    std::atomic<int> m_budgetMs{0};
};

} // namespace Gatehouse
