#pragma once

#include "api/apiresponse.h"
#include "commandrequest.h"

namespace Gatehouse {

class CommandDecider;
class EventStore;
class ReadStore;
struct Collection;

// Custom commands (POST /api/{collection}/{id}/{name}): folds the entity's stream into its
// current state (from its latest snapshot when `snapshots` is given: EntityFold), asks the collection's decide function (CommandDecider) for the events, and
// appends them at the version the state was read at -- 202 after commit, like the built-in
// commands, with If-Match (412) and Idempotency-Key. When another command appended in between,
// the state is read and decided again (three tries, then 409). A decide function that throws
// answers 422 with its message. Stateless; execute() may be called from any thread.
class CustomCommandHandler final
{
public:
    CustomCommandHandler(EventStore *store, CommandDecider *decider, const ReadStore *snapshots)
        : m_store(store), m_decider(decider), m_snapshots(snapshots) {}

    // `command.id` has been checked against the collection's id pattern.
    void execute(const Collection &collection, const QJsonObject &spec, CommandRequest command, ApiResponder respond) const;

private:
    EventStore *m_store;
    CommandDecider *m_decider;
    const ReadStore *m_snapshots;
};

} // namespace Gatehouse
