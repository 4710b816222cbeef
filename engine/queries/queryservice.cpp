#include "queryservice.h"

#include "base/logposition.h"
#include "base/steadyclock.h"
#include "config/collectioncatalog.h"
#include "projections/projectionrunner.h"
#include "queryworkerpool.h"
#include "readmodel/entityfold.h"
#include "readmodel/listquery.h"
#include "readmodel/readstore.h"
#include "readproblem.h"
#include "store/cloudevent.h"
#include "store/eventstore.h"

#include <atomic>

namespace Gatehouse {

namespace {
ApiResponse badParameter(const QString &detail)
{
    return ApiResponse::problem(400, detail, QStringLiteral("bad-parameter"));
}

ApiResponse withReadPosition(ApiResponse r, qint64 position)
{
    r.setHeader(QByteArrayLiteral("x-read-position"), QByteArray::number(position));
    return r;
}
} // namespace

struct QueryService::Private
{
    ReadStore *readStore;
    EventStore *store;
    const CollectionCatalog *catalog;
    ProjectionRunner *upsert;
    QueryWorkerPool *workers;
    std::atomic<int> maxWaitMs{5000};
    WritersWait writersWait;

    // After the upsert projection reached minPosition: the collection's other writers, then dispatch.
    void dispatchAfterWriters(const Collection &collection, qint64 minPosition, qint64 deadlineMs, ApiRequest &&request,
                              ApiResponder &&respond) const;
    void dispatch(const Collection &collection, ApiRequest &&request, ApiResponder &&respond) const;
    void startJob(std::function<ApiResponse()> job, ApiResponder &&respond) const;
    ApiResponse getOne(const Collection &collection, const QString &id, const ApiRequest &request,
                       const std::optional<StoredDocument> &cached) const;
    ApiResponse timeTravel(const Collection &collection, const QString &id, qint64 at) const;
    ApiResponse list(const Collection &collection, const ListQuery &query) const;
};

QueryService::QueryService(ReadStore *readStore, EventStore *store, const CollectionCatalog *catalog, ProjectionRunner *upsert,
                           QueryWorkerPool *workers)
    : d(std::make_unique<Private>())
{
    d->readStore = readStore;
    d->store = store;
    d->catalog = catalog;
    d->upsert = upsert;
    d->workers = workers;
}

QueryService::~QueryService() = default;

void QueryService::setMaxWaitMs(int ms) { d->maxWaitMs = ms; }
void QueryService::setWritersWait(WritersWait wait) { d->writersWait = std::move(wait); }

void QueryService::Private::dispatchAfterWriters(const Collection &collection, qint64 minPosition, qint64 deadlineMs,
                                                 ApiRequest &&request, ApiResponder &&respond) const
{
    if (!writersWait || minPosition <= 0) {
        dispatch(collection, std::move(request), std::move(respond));
        return;
    }
    const int waitMs = int(std::max<qint64>(0, deadlineMs - steadyNowMs()));
    auto shared = std::make_shared<std::pair<ApiRequest, ApiResponder>>(std::move(request), std::move(respond));
    writersWait(collection.name, minPosition, waitMs, [this, shared, collection, minPosition, waitMs](bool reached) {
        if (!reached) {
            ApiResponse r = ApiResponse::problem(504, QStringLiteral("the functions writing collection '%1' did not reach position %2 within %3 ms")
                                                          .arg(collection.name).arg(minPosition).arg(waitMs),
                                                 QStringLiteral("read-model-behind"));
            shared->second(withReadPosition(std::move(r), upsert->position()));
            return;
        }
        dispatch(collection, std::move(shared->first), std::move(shared->second));
    });
}
int QueryService::maxWaitMs() const { return d->maxWaitMs; }

void QueryService::handle(const RouteUpstream &upstream, ApiRequest &&request, ApiResponder &&respond)
{
    const std::optional<Collection> collection = d->catalog->collection(upstream.collection);
    if (!collection) {
        respond(ApiResponse::problem(404, QStringLiteral("unknown collection '%1'").arg(upstream.collection),
                                     QStringLiteral("unknown-collection")));
        return;
    }
    if (request.query.size() > ListQuery::kMaxQueryChars) {
        respond(withReadPosition(badParameter(QStringLiteral("the query string is %1 bytes long; at most %2")
                                                  .arg(request.query.size()).arg(ListQuery::kMaxQueryChars)),
                                 d->upsert->position()));
        return;
    }
    if (QString error; !request.checkQuery(&error)) {
        respond(withReadPosition(badParameter(error), d->upsert->position()));
        return;
    }
    qint64 minPosition = 0;
    QString minText = QString::fromUtf8(request.header("x-min-position"));
    if (minText.isEmpty())
        minText = request.queryItem(QStringLiteral("min_position"));
    if (!minText.isEmpty() && !parseLogPosition(minText, &minPosition)) {
        respond(badParameter(QStringLiteral("X-Min-Position / min_position must be a position >= 0, got '%1'").arg(minText.left(64))));
        return;
    }
    const int waitMs = d->maxWaitMs;
    const qint64 deadlineMs = steadyNowMs() + waitMs;
    if (minPosition <= d->upsert->position()) {
        d->dispatchAfterWriters(*collection, minPosition, deadlineMs, std::move(request), std::move(respond));
        return;
    }
    // Read-your-writes: answer once the read model has applied minPosition.
    Private *p = d.get();
    auto shared = std::make_shared<std::pair<ApiRequest, ApiResponder>>(std::move(request), std::move(respond));
    d->upsert->whenReached(minPosition, waitMs, [p, shared, collection = *collection, minPosition, waitMs, deadlineMs](bool reached) {
        if (!reached) {
            ApiResponse r = ApiResponse::problem(504, QStringLiteral("the read model did not reach position %1 within %2 ms (it is at %3)")
                                                          .arg(minPosition).arg(waitMs).arg(p->upsert->position()),
                                                 QStringLiteral("read-model-behind"));
            shared->second(withReadPosition(std::move(r), p->upsert->position()));
            return;
        }
        p->dispatchAfterWriters(collection, minPosition, deadlineMs, std::move(shared->first), std::move(shared->second));
    });
}

void QueryService::Private::dispatch(const Collection &collection, ApiRequest &&request, ApiResponder &&respond) const
{
    // Read the position first: the data read afterwards reflects at least this much.
    const qint64 readPosition = upsert->position();
    const QString id = request.params.value(QStringLiteral("id"));
    if (!id.isEmpty()) {
        // The fast path: a document in the cache is answered right here.
        if (!request.hasQueryItem(QStringLiteral("at_position"))) {
            if (std::optional<StoredDocument> cached = readStore->cachedDocument(collection.name, id)) {
                respond(withReadPosition(getOne(collection, id, request, cached), readPosition));
                return;
            }
        }
        startJob([this, collection, id, request = std::move(request)] {
            const qint64 position = upsert->position();
            return withReadPosition(getOne(collection, id, request, std::nullopt), position);
        }, std::move(respond));
        return;
    }
    // A list is checked here, so a malformed or over-limit one costs no worker.
    ListQuery query;
    QString error;
    if (!ListQuery::parse(request.queryItems(), collection, &query, &error, {QStringLiteral("min_position")})) {
        respond(withReadPosition(badParameter(error), readPosition));
        return;
    }
    startJob([this, collection, query = std::move(query)] {
        const qint64 position = upsert->position();
        return withReadPosition(list(collection, query), position);
    }, std::move(respond));
}

void QueryService::Private::startJob(std::function<ApiResponse()> job, ApiResponder &&respond) const
{
    auto answer = std::make_shared<ApiResponder>(std::move(respond));
    if (!workers->tryStart([job = std::move(job), answer] { (*answer)(job()); }))
        (*answer)(withReadPosition(ReadProblem::busy(*workers), upsert->position()));
}

ApiResponse QueryService::Private::getOne(const Collection &collection, const QString &id, const ApiRequest &request,
                                          const std::optional<StoredDocument> &cached) const
{
    bool includeDeleted = false;
    for (const auto &[key, value] : request.queryItems()) {
        if (key == QLatin1String("at_position")) {
            qint64 at = 0;
            if (!parseLogPosition(value, &at) || at < 1)
                return badParameter(QStringLiteral("at_position must be a position >= 1, got '%1'").arg(value.left(64)));
            return timeTravel(collection, id, at);
        }
        if (key == QLatin1String("include_deleted")) {
            includeDeleted = value == QLatin1String("true");
        } else if (key != QLatin1String("min_position")) {
            return badParameter(QStringLiteral("unknown parameter '%1' (known: min_position, at_position, include_deleted)").arg(key.left(64)));
        }
    }
    ReadStatus status;
    const std::optional<StoredDocument> doc = cached ? cached : readStore->storedDocument(collection.name, id, &status);
    if (!status.ok())
        return ReadProblem::of(status);
    if (!doc || (doc->deleted && !includeDeleted))
        return ApiResponse::problem(404, QStringLiteral("no %1 with id '%2'").arg(collection.name, id), QStringLiteral("not-found"));
    const QByteArray etag = doc->etag();
    const QByteArray ifNoneMatch = request.header("if-none-match");
    if (!ifNoneMatch.isEmpty()) {
        for (QByteArray candidate : ifNoneMatch.split(',')) {
            candidate = candidate.trimmed();
            if (candidate.startsWith("W/"))
                candidate = candidate.mid(2);
            if (candidate == etag || candidate == "*") {
                ApiResponse r;
                r.status = 304;
                r.setHeader(QByteArrayLiteral("etag"), etag);
                return r;
            }
        }
    }
    ApiResponse r = ApiResponse::json(200, doc->toJsonWithMeta());
    r.setHeader(QByteArrayLiteral("etag"), etag);
    return r;
}

ApiResponse QueryService::Private::timeTravel(const Collection &collection, const QString &id, qint64 at) const
{
    const EntityFold::Result folded = EntityFold::fold(*store, readStore, collection, id, at, readStore->queryBudgetMs());
    if (!folded.status.ok())
        return ReadProblem::of(folded.status);
    if (!folded.unreadable.isEmpty())
        return ApiResponse::problem(500, folded.unreadable, QStringLiteral("unreadable-event"));
    if (!folded.record || folded.record->deleted)
        return ApiResponse::problem(404, QStringLiteral("%1 '%2' did not exist at position %3").arg(collection.name, id).arg(at),
                                    QStringLiteral("not-found"));
    ApiResponse r = ApiResponse::json(200, folded.record->toJsonWithMeta());
    r.setHeader(QByteArrayLiteral("etag"), folded.record->etag());
    return r;
}

ApiResponse QueryService::Private::list(const Collection &collection, const ListQuery &query) const
{
    ReadStore::Page page;
    const ReadStatus status = readStore->list(collection.name, query, &page);
    if (!status.ok())
        return ReadProblem::of(status);
    QByteArray body = "{\"items\":[";
    for (qsizetype i = 0; i < page.items.size(); ++i) {
        if (i)
            body += ',';
        body += page.items.at(i).toJsonWithMeta();
    }
    body += "],\"next_cursor\":";
    body += page.nextCursor.isEmpty() ? QByteArrayLiteral("null") : '"' + page.nextCursor + '"';
    body += '}';
    return ApiResponse::json(200, body);
}

} // namespace Gatehouse
