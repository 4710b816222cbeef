#pragma once

#include "api/apirequest.h"
#include "api/apiresponse.h"

#include <functional>

namespace Gatehouse {

class EventStore;
struct ReadStatus;
class QueryWorkerPool;

// GET /events?from=&type=&limit= : a page of the log as application/cloudevents-batch+json.
// The asynchronous handle() runs the read on the QueryWorkerPool (503 when it is full); each
// read statement gets the budget `budgetMs()` answers (the engine's --query-timeout-ms; 504
// past it), and a failed read is a 5xx problem, never an empty page.
//
// Searching the whole log: subject=<glob>, since=/until=<time> (RFC 3339 or ms since the
// epoch; since inclusive, until exclusive) and q=<text> (case-insensitive, in the type, the
// subject or the data) filter on the engine. Such a request examines at most kMaxScan events
// and says where it stopped: x-next-from (forward) or x-next-before (backward, with before=)
// is where the next request goes on, and x-scan-complete: true once the head (or the start of
// the log) was reached, so a client pages through a log of any size with a progress bar and
// can stop at any time, while each request stays bounded. since= without from= starts at the
// first event at or after that time, until= with before= ends at it (found by bisecting the
// log by position: times grow with positions, up to a step of the clock).
class EventLogQuery final
{
public:
    static constexpr int kDefaultLimit = 100;
    static constexpr int kMaxLimit = 1000;
    static constexpr qint64 kMaxScan = 20000;   // events examined by one filtered request
    static constexpr int kMaxTextLength = 256;  // of q, subject and type

    EventLogQuery(const EventStore *store, QueryWorkerPool *workers, std::function<int()> budgetMs)
        : m_store(store), m_workers(workers), m_budgetMs(std::move(budgetMs)) {}
    void handle(ApiRequest &&request, ApiResponder &&respond) const;
    ApiResponse handle(const ApiRequest &request) const;   // on the caller's thread

private:
    // The first position whose event's time is >= timeMs (head + 1 when none is).
    qint64 firstAtOrAfter(qint64 timeMs, qint64 head, ReadStatus *status, int budgetMs) const;

    const EventStore *m_store;
    QueryWorkerPool *m_workers;
    std::function<int()> m_budgetMs;
};

} // namespace Gatehouse
