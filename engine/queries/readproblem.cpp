#include "readproblem.h"

#include "queryworkerpool.h"

namespace Gatehouse {

ApiResponse ReadProblem::of(const ReadStatus &status)
{
    switch (status.kind) {
    case ReadStatus::Kind::Ok:
        break;
    case ReadStatus::Kind::BadRequest:
        return ApiResponse::problem(400, status.detail, QStringLiteral("bad-parameter"));
    case ReadStatus::Kind::TimedOut:
        return ApiResponse::problem(504, QStringLiteral("the query ran past its time budget of %1 ms and was stopped "
                                                        "(--query-timeout-ms); narrow it with filters on indexed fields or a smaller limit")
                                             .arg(status.budgetMs),
                                    QStringLiteral("query-timeout"));
    case ReadStatus::Kind::Failed:
        return ApiResponse::problem(500, status.detail, QStringLiteral("read-failed"));
    case ReadStatus::Kind::Unavailable:
        return ApiResponse::problem(503, status.detail, QStringLiteral("read-store-unavailable"));
    }
    return ApiResponse::problem(500, QStringLiteral("no answer"), QStringLiteral("read-failed"));
}

ApiResponse ReadProblem::busy(const QueryWorkerPool &pool)
{
    ApiResponse r = ApiResponse::problem(503, QStringLiteral("every query worker is busy (%1 running, %2 waiting at most); try again shortly")
                                                  .arg(pool.threads()).arg(pool.queueLimit()),
                                         QStringLiteral("query-workers-busy"));
    r.setHeader(QByteArrayLiteral("retry-after"), QByteArrayLiteral("1"));
    return r;
}

} // namespace Gatehouse
