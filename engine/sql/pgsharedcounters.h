#pragma once

#include "base/sharedcounters.h"
#include "postgresurl.h"

#include <QString>

#include <memory>
#include <mutex>
#include <vector>

namespace Gatehouse {

class PgConnection;

// SharedCounters in PostgreSQL: one row per counted key in gatehouse_rate_counters, rolled,
// checked and counted by one call of the function gatehouse_rate_take (schema component
// "ratecounters"), which locks the row, so engines counting the same key at once queue on it
// and never count past the limit together. Rows of windows long gone are deleted now and
// then by whichever engine counts.
//
// Called on the network threads: connections are leased from a small pool (at most
// kMaxConnections; a caller that finds none free and the pool full counts as "cannot answer"
// rather than wait), each with a short statement_timeout, so a slow or lost database costs a
// request at most kTimeoutMs. After a failure the store answers nullopt at once for
// kRetryAfterMs before it tries to connect again.
class PgSharedCounters final : public SharedCounters
{
public:
    static constexpr int kMaxConnections = 8;
    static constexpr int kTimeoutMs = 500;
    static constexpr int kRetryAfterMs = 1000;
    static constexpr int kMaxKeyBytes = 256;   // longer keys are counted under their SHA-256

    PgSharedCounters();
    ~PgSharedCounters() override;

    // Opens the first connection and applies the schema; false with the reason.
    bool open(const PostgresUrl &url, QString *error);
    std::optional<Window> take(const QString &key, qint64 limit, qint64 windowMs, bool sliding) override;

private:
    std::unique_ptr<PgConnection> lease();
    void giveBack(std::unique_ptr<PgConnection> c);
    void failed();

    PostgresUrl m_url;
    std::mutex m_mutex;
    std::vector<std::unique_ptr<PgConnection>> m_idle;
    int m_open = 0;                 // leased + idle
    qint64 m_downUntilMs = 0;       // steady clock: answer nullopt until then
    qint64 m_takes = 0;             // for the occasional sweep of old rows
};

} // namespace Gatehouse
