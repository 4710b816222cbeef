#pragma once

#include "api/apirequest.h"
#include "api/apiresponse.h"
#include "api/routeupstream.h"

#include <functional>
#include <memory>

namespace Gatehouse {

class CollectionCatalog;
class EventStore;
class ProjectionRunner;
class QueryWorkerPool;
class ReadStore;

// The query side (DESIGN.md "Queries"): get by id with ETag / If-None-Match, filtered and
// sorted lists with stable cursors, read-your-writes through X-Min-Position / min_position
// (waits on the projection's progress -- and on the functions that write the collection, if
// any -- no polling), and ?at_position=N time travel folded
// from the entity's stream. Every answer carries X-Read-Position.
//
// Threads: handle() is called on a network thread and only checks the request there (and
// answers a read by id from the document cache); everything that reads SQLite runs on the
// QueryWorkerPool, whose bounded queue answers 503 when full. Each read statement has the
// read store's time budget (504 past it); a failed read is a 5xx problem, never an empty 200.
class QueryService final
{
public:
    QueryService(ReadStore *readStore, EventStore *store, const CollectionCatalog *catalog, ProjectionRunner *upsert,
                 QueryWorkerPool *workers);
    ~QueryService();
    QueryService(const QueryService &) = delete;
    QueryService &operator=(const QueryService &) = delete;

    void setMaxWaitMs(int ms);
    int maxWaitMs() const;
    // Others that write collections besides the upsert projection (event-triggered functions):
    // X-Min-Position waits for them too. `wait` calls `done` once every writer of `collection`
    // has applied `position`, or with false after `timeoutMs`. Set before handle() is called.
    using WritersWait = std::function<void(const QString &collection, qint64 position, int timeoutMs, std::function<void(bool)> done)>;
    void setWritersWait(WritersWait wait);

    void handle(const RouteUpstream &upstream, ApiRequest &&request, ApiResponder &&respond);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse
