#pragma once

#include "api/apiresponse.h"
#include "commandrequest.h"

#include <memory>

namespace Gatehouse {

class CollectionCatalog;
class CommandDecider;
class ReadStore;
class EventStore;
struct AppendResult;

// The command side (DESIGN.md "Commands"): validates a command against its collection's
// schema, checks the entity's stream, appends the resulting event and answers 202 only after
// the event is durably committed. Stateless apart from caches; execute() may be called from
// any thread and answers through `respond` from the store's writer thread (or at once on a
// validation error). Custom commands go to a CustomCommandHandler.
class CommandService final
{
public:
    CommandService(EventStore *store, const CollectionCatalog *catalog);
    ~CommandService();
    CommandService(const CommandService &) = delete;
    CommandService &operator=(const CommandService &) = delete;

    void execute(CommandRequest command, ApiResponder respond);
    // Runs the collections' custom commands (set once at start, before requests arrive).
    void setDecider(CommandDecider *decider);
    // Custom commands fold an entity from its nearest snapshot in this read store (set once at
    // start; without one they fold the whole stream).
    void setSnapshots(const ReadStore *readStore);

    // The 202 of an accepted command: {id, stream, version, position, events}, Location and
    // X-Event-Position.
    static ApiResponse accepted(const QString &collection, const AppendResult &result);
    // A failed append: 507 Insufficient Storage for a full disk, 503 for any other storage
    // failure, each with Retry-After.
    static ApiResponse storageProblem(const AppendResult &result);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse
