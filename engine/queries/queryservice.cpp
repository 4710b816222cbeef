#include "queryservice.h"

#include "config/collectioncatalog.h"
#include "projections/projectionrunner.h"
#include "readmodel/documentfold.h"
#include "readmodel/listquery.h"
#include "readmodel/readstore.h"
#include "store/cloudevent.h"
#include "store/eventstore.h"

#include <QThreadPool>

#include <atomic>

namespace Gatehouse {

namespace {
bool parsePosition(const QString &text, qint64 *out)
{
    bool ok = false;
    const qint64 v = text.trimmed().toLongLong(&ok);
    if (!ok || v < 0)
        return false;
    *out = v;
    return true;
}

ApiResponse badParameter(const QString &detail)
{
    return ApiResponse::problem(400, detail, QStringLiteral("bad-parameter"));
}
} // namespace

struct QueryService::Private
{
    ReadStore *readStore;
    EventStore *store;
    const CollectionCatalog *catalog;
    ProjectionRunner *upsert;
    std::atomic<int> maxWaitMs{5000};

    ApiResponse execute(const Collection &collection, const ApiRequest &request) const;
    ApiResponse getOne(const Collection &collection, const QString &id, const ApiRequest &request) const;
    ApiResponse timeTravel(const Collection &collection, const QString &id, qint64 at) const;
    ApiResponse list(const Collection &collection, const ApiRequest &request) const;
};

QueryService::QueryService(ReadStore *readStore, EventStore *store, const CollectionCatalog *catalog, ProjectionRunner *upsert)
    : d(std::make_unique<Private>())
{
    d->readStore = readStore;
    d->store = store;
    d->catalog = catalog;
    d->upsert = upsert;
}

QueryService::~QueryService() = default;

void QueryService::setMaxWaitMs(int ms) { d->maxWaitMs = ms; }
int QueryService::maxWaitMs() const { return d->maxWaitMs; }

void QueryService::handle(const Route &route, ApiRequest &&request, ApiResponder &&respond)
{
    const std::optional<Collection> collection = d->catalog->collection(route.upstream.collection);
    if (!collection) {
        respond(ApiResponse::problem(404, QStringLiteral("unknown collection '%1'").arg(route.upstream.collection),
                                     QStringLiteral("unknown-collection")));
        return;
    }
    qint64 minPosition = 0;
    QString minText = QString::fromUtf8(request.header("x-min-position"));
    if (minText.isEmpty())
        minText = request.queryItem(QStringLiteral("min_position"));
    if (!minText.isEmpty() && !parsePosition(minText, &minPosition)) {
        respond(badParameter(QStringLiteral("X-Min-Position / min_position must be a position >= 0, got '%1'").arg(minText)));
        return;
    }
    if (minPosition <= d->upsert->position()) {
        respond(d->execute(*collection, request));
        return;
    }
    // Read-your-writes: answer once the read model has applied minPosition, off the network thread.
    Private *p = d.get();
    const int waitMs = d->maxWaitMs;
    auto shared = std::make_shared<std::pair<ApiRequest, ApiResponder>>(std::move(request), std::move(respond));
    d->upsert->whenReached(minPosition, waitMs, [p, shared, collection = *collection, minPosition, waitMs](bool reached) {
        if (!reached) {
            ApiResponse r = ApiResponse::problem(504, QStringLiteral("the read model did not reach position %1 within %2 ms (it is at %3)")
                                                          .arg(minPosition).arg(waitMs).arg(p->upsert->position()),
                                                 QStringLiteral("read-model-behind"));
            r.setHeader(QByteArrayLiteral("x-read-position"), QByteArray::number(p->upsert->position()));
            shared->second(std::move(r));
            return;
        }
        QThreadPool::globalInstance()->start([p, shared, collection] {
            shared->second(p->execute(collection, shared->first));
        });
    });
}

ApiResponse QueryService::Private::execute(const Collection &collection, const ApiRequest &request) const
{
    // Read the position first: the data read afterwards reflects at least this much.
    const qint64 readPosition = upsert->position();
    const QString id = request.params.value(QStringLiteral("id"));
    ApiResponse r = id.isEmpty() ? list(collection, request) : getOne(collection, id, request);
    r.setHeader(QByteArrayLiteral("x-read-position"), QByteArray::number(readPosition));
    return r;
}

ApiResponse QueryService::Private::getOne(const Collection &collection, const QString &id, const ApiRequest &request) const
{
    bool includeDeleted = false;
    for (const auto &[key, value] : request.queryItems()) {
        if (key == QLatin1String("at_position")) {
            qint64 at = 0;
            if (!parsePosition(value, &at) || at < 1)
                return badParameter(QStringLiteral("at_position must be a position >= 1, got '%1'").arg(value));
            return timeTravel(collection, id, at);
        }
        if (key == QLatin1String("include_deleted")) {
            includeDeleted = value == QLatin1String("true");
        } else if (key != QLatin1String("min_position")) {
            return badParameter(QStringLiteral("unknown parameter '%1' (known: min_position, at_position, include_deleted)").arg(key));
        }
    }
    const std::optional<StoredDocument> doc = readStore->document(collection.name, id);
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
    std::optional<StoredDocument> record;
    for (const RecordedEvent &e : store->readStream(CloudEvent::streamName(collection.name, id))) {
        if (e.position > at)
            break;
        QString error;
        if (!DocumentFold::apply(record, e, collection.name, id, &error))
            return ApiResponse::problem(500, error, QStringLiteral("unreadable-event"));
    }
    if (!record || record->deleted)
        return ApiResponse::problem(404, QStringLiteral("%1 '%2' did not exist at position %3").arg(collection.name, id).arg(at),
                                    QStringLiteral("not-found"));
    ApiResponse r = ApiResponse::json(200, record->toJsonWithMeta());
    r.setHeader(QByteArrayLiteral("etag"), record->etag());
    return r;
}

ApiResponse QueryService::Private::list(const Collection &collection, const ApiRequest &request) const
{
    ListQuery query;
    QString error;
    if (!ListQuery::parse(request.queryItems(), collection, &query, &error, {QStringLiteral("min_position")}))
        return badParameter(error);
    ReadStore::Page page;
    if (!readStore->list(collection.name, query, &page, &error))
        return ApiResponse::problem(503, error, QStringLiteral("read-store-unavailable"));
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
