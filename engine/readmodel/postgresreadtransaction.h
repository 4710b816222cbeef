#pragma once

#include "readstorebackend.h"

#include <QSet>
#include <QVariantList>

class QSqlQuery;

namespace Gatehouse {

class PostgresReadBackend;

// One PostgreSQL transaction on the read store's writer connection. A statement that fails
// aborts it (PostgreSQL refuses everything after), so commit() then rolls back and fails.
// Reads and removals of a collection first check that its table exists, so a missing one is
// "nothing there" as on SQLite instead of an aborted transaction.
class PostgresReadTransaction final : public ReadStoreBackend::Transaction
{
public:
    explicit PostgresReadTransaction(PostgresReadBackend *store) : m_store(store) {}
    ~PostgresReadTransaction() override;

    bool ensureCollection(const QString &collection, const QStringList &indexedFields) override;
    bool put(const QList<StoredDocument> &docs) override;
    bool putSnapshots(const QList<StoredDocument> &snapshots) override;
    std::optional<StoredDocument> get(const QString &collection, const QString &id) override;
    bool remove(const QString &collection, const QString &id) override;
    bool dropCollection(const QString &collection) override;
    bool deleteProjected(const QString &collection) override;
    std::optional<bool> hasFunctionDocuments(const QString &collection) override;
    bool markByFunction(const QString &collection, const QStringList &ids) override;
    bool dropSnapshots(const QString &collection, const QString &keepKey) override;
    bool dropIndexesExcept(const QString &collection, const QStringList &keep) override;
    bool createIndex(const QString &collection, const QString &field, const std::function<bool(double)> &progress) override;
    bool setCheckpoint(const QString &projection, qint64 position, qint64 firstApplied) override;
    bool relaxDurability() override;
    bool commit() override;
    QString errorString() const override;

private:
    // Runs a prepared writer statement; false (and the transaction failed) on error.
    QSqlQuery *exec(const QByteArray &sql, const QVariantList &values);
    bool execDirect(const QString &sql);
    bool lockSchema();
    bool putRun(const QString &collection, const QList<const StoredDocument *> &docs);
    std::optional<bool> tableExists(const QString &collection);
    bool fail(const QString &error);

    PostgresReadBackend *m_store;
    bool m_committed = false;
    bool m_failed = false;
    bool m_schemaLocked = false;
    QString m_error;
    QSet<QString> m_tables;   // collections whose table this transaction saw exist
};

} // namespace Gatehouse
