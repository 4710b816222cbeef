#pragma once

// Private parts of ReadStore shared by its two source files (reads and the store in
// readstore.cpp, WriteTransaction in readstorewritetransaction.cpp).

#include "readstore.h"
#include "sql/sqliteconnection.h"
#include "sql/sqlitereadpool.h"

#include <QMutex>

#include <atomic>
#include <unordered_map>
#include <vector>

namespace Gatehouse {

struct ReadStore::Private
{
    QString path;
    QString error;
    QMutex writeLock;
    SqliteConnection writer;
    std::unordered_map<QByteArray, std::unique_ptr<SqliteStatement>> statements;   // writer's, by SQL text
    std::unique_ptr<SqliteReadPool> readers;
    mutable DocumentCache cache;
    CursorSigner signer;
    std::atomic<int> budgetMs{kDefaultQueryBudgetMs};   // read by every thread that reads

    bool loadCursorKey(QString *why)
    {
        SqliteStatement get(writer, "SELECT value FROM secrets WHERE name = 'cursor_key'");
        if (get.step() && get.columnView(0).size() >= CursorSigner::kKeyBytes) {
            signer = CursorSigner(get.columnText(0));
            return true;
        }
        const QByteArray key = CursorSigner::generateKey();
        SqliteStatement put(writer, "INSERT OR REPLACE INTO secrets(name, value) VALUES ('cursor_key', ?1)");
        put.bindBlob(1, key);
        if (!put.exec()) {
            *why = QStringLiteral("cannot store the cursor key in %1: %2").arg(path, writer.errorString());
            return false;
        }
        signer = CursorSigner(key);
        return true;
    }

    static StoredDocument readRow(const SqliteStatement &st, const QString &collection)
    {
        StoredDocument doc;
        doc.collection = collection;
        doc.id = st.columnString(0);
        doc.doc = st.columnText(1);
        doc.version = st.columnInt(2);
        doc.position = st.columnInt(3);
        doc.updatedAtMs = st.columnInt(4);
        doc.deleted = st.columnInt(5) != 0;
        return doc;
    }

    SqliteStatement *statement(const QByteArray &sql)
    {
        auto it = statements.find(sql);
        if (it == statements.end()) {
            auto st = std::make_unique<SqliteStatement>();
            if (!st->prepare(writer, sql.constData()))
                return nullptr;
            it = statements.emplace(sql, std::move(st)).first;
        } else {
            it->second->reset();
        }
        return it->second.get();
    }
};

struct ReadStore::WriteTransaction::Private
{
    ReadStore::Private *store = nullptr;
    bool committed = false;
    // What the cache must forget once this commits: these documents, or (past a few
    // thousand, or after a drop) everything.
    std::vector<std::pair<QString, QString>> changed;
    bool changedAll = false;

    void touch(const QString &collection, const QString &id)
    {
        if (changedAll)
            return;
        if (changed.size() >= kMaxTracked) {
            changedAll = true;
            changed.clear();
            return;
        }
        changed.emplace_back(collection, id);
    }
    static constexpr size_t kMaxTracked = 4096;
};

} // namespace Gatehouse
