#include "entityfold.h"

#include "base/steadyclock.h"
#include "config/collection.h"
#include "documentfold.h"
#include "readstore.h"
#include "store/cloudevent.h"
#include "store/eventstore.h"

namespace Gatehouse::EntityFold {

namespace {
constexpr int kPage = 4096;   // events read per statement
} // namespace

Result fold(const EventStore &store, const ReadStore *readStore, const Collection &collection, const QString &id,
            qint64 atPosition, int budgetMs)
{
    Result result;
    std::optional<DocumentFold::Record> record;
    if (readStore) {
        ReadStatus snapshotStatus;
        if (std::optional<StoredDocument> snapshot = readStore->snapshot(collection.snapshotKey(), id, atPosition, &snapshotStatus)) {
            result.fromSnapshot = true;
            result.streamVersion = snapshot->version;
            snapshot->collection = collection.name;
            record.emplace(std::move(*snapshot));
        }
    }
    const QString stream = CloudEvent::streamName(collection.name, id);
    qint64 from = result.streamVersion + 1;
    // The budget is the whole fold's, not each page's.
    const qint64 deadline = budgetMs > 0 ? steadyNowMs() + budgetMs : 0;
    for (;;) {
        int pageBudget = 0;
        if (deadline) {
            pageBudget = int(deadline - steadyNowMs());
            if (pageBudget <= 0) {
                result.status = ReadStatus::timedOut(budgetMs);
                break;
            }
        }
        const RecordedEvents events = store.readStream(stream, from, kPage, &result.status, pageBudget);
        if (!result.status.ok())
            break;
        bool past = false;
        for (const RecordedEvent &e : events) {
            if (e.position > atPosition) {
                past = true;
                break;
            }
            ++result.eventsFolded;
            result.streamVersion = e.version;
            const DocumentFold::Verb verb = DocumentFold::verbOf(e);
            if (verb == DocumentFold::Verb::Other)
                continue;
            QJsonObject data;
            QString error;
            if (!DocumentFold::parseData(e, verb, &data, &error)) {
                if (result.unreadable.isEmpty())
                    result.unreadable = error;
                continue;
            }
            const bool upcasted = DocumentFold::upcast(collection, e, verb, data);
            if (!record)
                record.emplace(collection.name, id);
            record->apply(verb, e, data, upcasted);
        }
        if (past || events.size() < kPage)
            break;
        from = events.last().version + 1;
    }
    if (record)
        result.record = record->take();
    if (readStore)
        readStore->noteSnapshotUse(collection.name, result.fromSnapshot, result.eventsFolded);
    return result;
}

} // namespace Gatehouse::EntityFold
