#pragma once

#include <QAbstractEventDispatcher>
#include <QHash>

#include <atomic>
#include <set>
#include <utility>
#include <vector>

namespace Gatehouse {

// An event dispatcher for the network threads, on Linux's epoll instead of Qt's poll() loop.
//
// Qt 6.4's own dispatcher (QEventDispatcherUNIX) rebuilds its array of pollfds from every
// socket notifier of the thread on each turn of the loop, polls them all and then walks them
// all: its cost grows with the connections a thread holds, not with those that have something
// to say. With a thousand WebSocket or SSE clients on two threads each turn looked at 500
// sockets. Here the kernel keeps the interest list and a turn costs what is ready.
//
// Level-triggered, so a notifier that is not served in one turn is reported again. Qt enables
// and disables a socket's write notifier around every write; those changes are only recorded,
// and the kernel's interest list is brought up to date once, just before the thread waits: an
// enable followed by a disable in the same turn costs no system call. A write notifier enabled
// on a socket the kernel was not watching for output is told "writable" on the next turn
// without asking (a socket almost always is); only if its data is still not all out after that
// does the kernel watch it (EPOLLOUT). Each registration carries a generation, so an event that
// was waiting for a socket number that has since been closed and given to another socket is not
// delivered to the new one.
//
// Timers are kept ordered by deadline (a set), every one precise to the millisecond whatever
// its Qt::TimerType; as in Qt, a timer fires at most once per turn and never re-enters its own
// handler (while it runs, a nested loop neither fires it nor waits for it). Posted events are sent at the start of every turn; wakeUp() writes an eventfd.
//
// makeNetworkEventDispatcher() gives one unless GATEHOUSE_EVENT_DISPATCHER=qt asks for Qt's
// (to compare them side by side); install it with QThread::setEventDispatcher before start().
class EpollEventDispatcher final : public QAbstractEventDispatcher
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EpollEventDispatcher)

public:
    explicit EpollEventDispatcher(QObject *parent = nullptr);
    ~EpollEventDispatcher() override;

    bool isValid() const { return m_epoll >= 0 && m_wake >= 0; }

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;
    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;
    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;
    void wakeUp() override;
    void interrupt() override;

private:
    struct Socket
    {
        QSocketNotifier *notifiers[3] = {nullptr, nullptr, nullptr};   // QSocketNotifier::Type
        quint32 generation = 0;
        quint32 registeredGeneration = 0;
        quint32 registeredEvents = 0;   // what the kernel's interest list holds for it (0: not in it)
        bool dirty = false;
        bool freshWrite = false;   // write notifier enabled since the kernel last looked
    };
    struct Pending
    {
        int fd;
        quint32 generation;
        quint32 events;
    };
    struct Timer
    {
        qint64 deadlineNs = 0;
        qint64 intervalMs = 0;
        Qt::TimerType type = Qt::CoarseTimer;
        QObject *object = nullptr;
        bool firing = false;
    };

    void markDirty(int fd, Socket &socket);
    void applySocketChanges();
    int waitTimeoutMs(bool canWait, bool includeSockets) const;
    int activateSockets(int ready);
    int activateFreshWrites();
    int deliver(const Pending &pending);
    int activateTimers();
    void drainWakeUp();

    int m_epoll = -1;
    int m_wake = -1;   // eventfd
    std::atomic<bool> m_wakeUpPending{false};
    std::atomic<bool> m_interrupted{false};

    QHash<int, Socket> m_sockets;
    std::vector<int> m_dirty;
    std::vector<Pending> m_freshWrites;   // told writable without asking the kernel
    quint32 m_nextGeneration = 0;
    std::vector<unsigned char> m_events;   // struct epoll_event[], kept between turns

    QHash<int, Timer> m_timers;
    std::set<std::pair<qint64, int>> m_deadlines;   // (deadline, timer id)
    QMultiHash<QObject *, int> m_timersOf;
};

// The dispatcher for a network thread: an EpollEventDispatcher, or nullptr for Qt's own when
// GATEHOUSE_EVENT_DISPATCHER=qt is set (or epoll is not available).
QAbstractEventDispatcher *makeNetworkEventDispatcher();

} // namespace Gatehouse
