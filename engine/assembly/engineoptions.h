#pragma once

#include "queries/queryworkerpool.h"
#include "readmodel/readstore.h"
#include "sql/postgresurl.h"
#include "store/eventstore.h"

#include <QString>

namespace Gatehouse {

struct EngineOptions
{
    QString dataDir;                                             // events.db, readmodel.db, config.db (SQLite); simulation.db
    // The event log, read models and configuration in this PostgreSQL database, shared with
    // every other engine started on it, instead of SQLite files in dataDir.
    std::optional<PostgresUrl> database;
    EventStore::Durability durability = EventStore::Durability::Full;
    QString projectFile;                                         // empty: the embedded product catalog
    QString adminKey;                                            // empty: from config.db, generated on first start
    int queryWaitMs = 5000;                                      // longest X-Min-Position wait before 504
    qint64 readCacheBytes = ReadStore::kDefaultCacheBytes;       // documents read by id kept in memory; 0: none
    int queryTimeoutMs = ReadStore::kDefaultQueryBudgetMs;       // budget of each read statement of a request; 0: none
    int queryThreads = QueryWorkerPool::kDefaultThreads;         // threads that run queries off the network threads
    int queryQueue = QueryWorkerPool::kDefaultQueue;             // queries waiting for one of them before 503
    QString functionWorker;                                      // runs `function-worker` processes; empty: this executable
};

} // namespace Gatehouse
