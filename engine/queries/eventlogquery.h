#pragma once

#include "gateway/apirequest.h"
#include "gateway/apiresponse.h"

namespace Gatehouse {

class EventStore;

// GET /events?from=&type=&limit= : a page of the log as application/cloudevents-batch+json.
// Runs on the caller's thread (reads go through the store's read-only connections).
class EventLogQuery final
{
public:
    static constexpr int kDefaultLimit = 100;
    static constexpr int kMaxLimit = 1000;

    explicit EventLogQuery(const EventStore *store) : m_store(store) {}
    ApiResponse handle(const ApiRequest &request) const;

private:
    const EventStore *m_store;
};

} // namespace Gatehouse
