#pragma once

#include "api/apirequest.h"
#include "api/apiresponse.h"
#include "api/routeupstream.h"

#include <memory>

namespace Gatehouse {

class CollectionCatalog;
class EventStore;
class ProjectionRunner;
class QueryWorkerPool;
class ReadStore;

// The query side (DESIGN.md "Queries"): get by id with ETag / If-None-Match, filtered and
// sorted lists with stable cursors, read-your-writes through X-Min-Position / min_position
// (waits on the projection's progress, no polling), and ?at_position=N time travel folded
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

    void handle(const RouteUpstream &upstream, ApiRequest &&request, ApiResponder &&respond);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse
