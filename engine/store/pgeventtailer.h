#pragma once

#include "eventlogbackend.h"
#include "sql/postgresurl.h"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

class QThread;

namespace Gatehouse {

class PgConnection;

// Announces every event of a PostgreSQL event log exactly once, in position order, on this
// engine, whichever engine appended it; and answers this engine's appenders.
//
// Its own writer hands over each committed batch (committed()): if nothing is missing before
// it, its events are announced as they are, with no read; otherwise the gap -- events other
// engines committed meanwhile, all visible since they committed before ours took the append
// lock -- is read first. Other engines' commits wake it through NOTIFY gatehouse_events
// (notified(), from the listener's thread), and it reads from its announced head. It never
// polls: it sleeps until one of these arrives, or until a failed read is due again (backoff).
//
// Its own thread and connection (opened on that thread). Callers are answered after their
// events are announced, unless reading a gap fails: their COMMIT stands, so they are answered
// at once and the announcement follows when the database answers again.
class PgEventTailer final
{
public:
    struct Committed
    {
        std::vector<std::pair<EventStore::AppendCallback, AppendResult>> answers;
        RecordedEvents events;   // what the batch appended, in position order (may be empty)
    };

    PgEventTailer(EventLogHost *host, const PostgresUrl &url);
    ~PgEventTailer();
    PgEventTailer(const PgEventTailer &) = delete;
    PgEventTailer &operator=(const PgEventTailer &) = delete;

    void start(qint64 head);           // head: the log's end, read after LISTEN started
    void committed(Committed &&batch); // the writer's thread
    void notified(qint64 position);    // a transaction committed up to `position` (any thread)
    // The writer is committing a batch: notifications wait for committed() (which brings the
    // batch and reads any gap before it, and anything notified past it) rather than each
    // costing a read of what the batch brings anyway. After a failed or unknown COMMIT the
    // writer calls resync().
    void expectOwnCommit();
    void resync();                     // notifications may have been missed: read to the end
    void stop();                       // answers and announces what was handed over, then joins

    static constexpr int kPage = 1000;   // events per catch-up read

private:
    void run();
    bool catchUp(qint64 upTo);   // reads and announces (head, upTo]; upTo < 0: to the end
    bool connect();

    EventLogHost *m_host;
    PostgresUrl m_url;
    std::unique_ptr<PgConnection> m_db;   // the tailer thread's
    qint64 m_head = 0;                    // last position announced (tailer thread)
    qint64 m_backoffMs = 0;
    QThread *m_thread = nullptr;

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Committed> m_batches;
    qint64 m_notifiedUpTo = 0;
    bool m_ownCommitPending = false;
    bool m_resync = false;
    bool m_stop = false;
};

} // namespace Gatehouse
