#pragma once

#include "api/apirequest.h"
#include "api/apiresponse.h"

#include <functional>

namespace Gatehouse {

class EventStore;
class QueryWorkerPool;

// GET /events?from=&type=&limit= : a page of the log as application/cloudevents-batch+json.
// The asynchronous handle() runs the read on the QueryWorkerPool (503 when it is full); each
// read statement gets the budget `budgetMs()` answers (the engine's --query-timeout-ms; 504
// past it), and a failed read is a 5xx problem, never an empty page.
class EventLogQuery final
{
public:
    static constexpr int kDefaultLimit = 100;
    static constexpr int kMaxLimit = 1000;

    EventLogQuery(const EventStore *store, QueryWorkerPool *workers, std::function<int()> budgetMs)
        : m_store(store), m_workers(workers), m_budgetMs(std::move(budgetMs)) {}
    void handle(ApiRequest &&request, ApiResponder &&respond) const;
    ApiResponse handle(const ApiRequest &request) const;   // on the caller's thread

private:
    const EventStore *m_store;
    QueryWorkerPool *m_workers;
    std::function<int()> m_budgetMs;
};

} // namespace Gatehouse
