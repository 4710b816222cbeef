#pragma once

#include "api/apiresponse.h"
#include "sql/readstatus.h"

namespace Gatehouse {

class QueryWorkerPool;

// The problem documents of the read side's failures, one place for their status codes:
//   BadRequest  -> 400 bad-parameter
//   TimedOut    -> 504 query-timeout: the engine, a gateway in front of its read store, did not
//                  get the answer in time. Not 503: the same query would time out again, so
//                  there is nothing to retry after; the detail names the budget and its flag.
//   Failed      -> 500 read-failed (the cause is logged once, see SqlErrorLog)
//   Unavailable -> 503 read-store-unavailable
// and of a full worker pool: 503 query-workers-busy with Retry-After.
struct ReadProblem
{
    static ApiResponse of(const ReadStatus &status);
    static ApiResponse busy(const QueryWorkerPool &pool);
};

} // namespace Gatehouse
