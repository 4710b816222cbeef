#pragma once

#include "readstorebackend.h"

namespace Gatehouse {

class SqliteReadBackend;

// One SQLite write transaction (BEGIN IMMEDIATE) on the read store's writer connection,
// through the writer's cached prepared statements.
class SqliteReadTransaction final : public ReadStoreBackend::Transaction
{
public:
    explicit SqliteReadTransaction(SqliteReadBackend *store) : m_store(store) {}
    ~SqliteReadTransaction() override;

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
    bool commit() override;
    QString errorString() const override;

private:
    SqliteReadBackend *m_store;
    bool m_committed = false;
    QString m_fencedError;   // setCheckpoint's fence closed (rolled back by the destructor)
};

} // namespace Gatehouse
