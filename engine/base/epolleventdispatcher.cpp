#include "epolleventdispatcher.h"

#include "steadyclock.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QTimerEvent>
#include <QVarLengthArray>

#include <cerrno>
#include <climits>
#include <cstring>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace Gatehouse {

namespace {
constexpr int kMaxEventsPerTurn = 256;
constexpr quint64 kWakeUpTag = ~quint64(0);
constexpr qint64 kMaxIntervalMs = qint64(1) << 40;   // about 35 years: no overflow in nanoseconds

quint64 tag(int fd, quint32 generation)
{
    return (quint64(generation) << 32) | quint32(fd);
}

quint32 wantedEvents(const QSocketNotifier *const notifiers[3])
{
    quint32 events = 0;
    if (notifiers[QSocketNotifier::Read])
        events |= EPOLLIN;
    if (notifiers[QSocketNotifier::Write])
        events |= EPOLLOUT;
    if (notifiers[QSocketNotifier::Exception])
        events |= EPOLLPRI;
    return events;
}
} // namespace

EpollEventDispatcher::EpollEventDispatcher(QObject *parent)
    : QAbstractEventDispatcher(parent)
    , m_events(sizeof(epoll_event) * kMaxEventsPerTurn)
{
    m_epoll = epoll_create1(EPOLL_CLOEXEC);
    m_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_epoll < 0 || m_wake < 0) {
        qWarning("epoll event dispatcher: %s", std::strerror(errno));
        return;
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = kWakeUpTag;
    if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wake, &event) != 0) {
        qWarning("epoll event dispatcher: %s", std::strerror(errno));
        ::close(m_wake);
        m_wake = -1;
    }
}

EpollEventDispatcher::~EpollEventDispatcher()
{
    if (m_wake >= 0)
        ::close(m_wake);
    if (m_epoll >= 0)
        ::close(m_epoll);
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = int(notifier->socket());
    const int type = int(notifier->type());
    if (fd < 0 || type < 0 || type > 2)
        return;
    auto it = m_sockets.find(fd);
    if (it == m_sockets.end()) {
        it = m_sockets.insert(fd, Socket{});
        it->generation = ++m_nextGeneration;
    } else if (it->notifiers[type] && it->notifiers[type] != notifier) {
        qWarning("QSocketNotifier: multiple socket notifiers for the same socket %d and type %d", fd, type);
    }
    it->notifiers[type] = notifier;
    if (type == QSocketNotifier::Write && !(it->registeredEvents & EPOLLOUT))
        it->freshWrite = true;
    markDirty(fd, *it);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = int(notifier->socket());
    const int type = int(notifier->type());
    auto it = m_sockets.find(fd);
    if (it == m_sockets.end() || type < 0 || type > 2 || it->notifiers[type] != notifier)
        return;
    it->notifiers[type] = nullptr;
    if (type == QSocketNotifier::Write)
        it->freshWrite = false;
    // With no notifier left the number may be closed and given to another socket before the
    // kernel's list is updated: what was ready for this one must not reach the next.
    if (!wantedEvents(it->notifiers))
        it->generation = ++m_nextGeneration;
    markDirty(fd, *it);
}

void EpollEventDispatcher::markDirty(int fd, Socket &socket)
{
    if (!socket.dirty) {
        socket.dirty = true;
        m_dirty.push_back(fd);
    }
}

void EpollEventDispatcher::applySocketChanges()
{
    for (const int fd : m_dirty) {
        auto it = m_sockets.find(fd);
        if (it == m_sockets.end())
            continue;
        it->dirty = false;
        quint32 wanted = wantedEvents(it->notifiers);
        if (!wanted) {
            // The socket may already be closed (the kernel then dropped it): nothing to undo.
            if (it->registeredEvents)
                epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
            m_sockets.erase(it);
            continue;
        }
        if (it->freshWrite) {
            m_freshWrites.push_back({fd, it->generation, EPOLLOUT});
            wanted &= ~quint32(EPOLLOUT);
        }
        if (wanted == it->registeredEvents && (!wanted || it->generation == it->registeredGeneration))
            continue;
        if (!wanted) {   // only a fresh write notifier: nothing for the kernel to watch yet
            epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
            it->registeredEvents = 0;
            continue;
        }
        epoll_event event{};
        event.events = wanted;
        event.data.u64 = tag(fd, it->generation);
        int rc;
        if (it->registeredEvents) {
            rc = epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &event);
            if (rc != 0 && errno == ENOENT)   // closed and reopened under the same number
                rc = epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event);
        } else {
            rc = epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event);
            if (rc != 0 && errno == EEXIST)
                rc = epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &event);
        }
        if (rc != 0) {
            // EBADF (closed without unregistering) or EPERM (not a socket or pipe): its
            // notifiers are not told anything until they are registered again.
            qWarning("epoll event dispatcher: socket %d cannot be watched: %s", fd, std::strerror(errno));
            it->registeredEvents = 0;
            continue;
        }
        it->registeredEvents = wanted;
        it->registeredGeneration = it->generation;
    }
    m_dirty.clear();
}

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object)
{
    if (timerId < 1 || interval < 0 || !object)
        return;
    unregisterTimer(timerId);
    Timer timer;
    timer.intervalMs = qMin<qint64>(interval, kMaxIntervalMs);
    timer.type = timerType;
    timer.object = object;
    timer.deadlineNs = steadyNowNs() + timer.intervalMs * 1000000;
    m_timers.insert(timerId, timer);
    m_deadlines.emplace(timer.deadlineNs, timerId);
    m_timersOf.insert(object, timerId);
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return false;
    m_deadlines.erase({it->deadlineNs, timerId});
    m_timersOf.remove(it->object, timerId);
    m_timers.erase(it);
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject *object)
{
    const QList<int> ids = m_timersOf.values(object);
    for (const int id : ids)
        unregisterTimer(id);
    return !ids.isEmpty();
}

QList<QAbstractEventDispatcher::TimerInfo> EpollEventDispatcher::registeredTimers(QObject *object) const
{
    QList<TimerInfo> out;
    for (auto id = m_timersOf.constFind(object); id != m_timersOf.cend() && id.key() == object; ++id) {
        const Timer timer = m_timers.value(*id);
        out.append(TimerInfo(*id, int(qMin<qint64>(timer.intervalMs, INT_MAX)), timer.type));
    }
    return out;
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    const auto it = m_timers.constFind(timerId);
    if (it == m_timers.cend())
        return -1;
    const qint64 left = it->deadlineNs - steadyNowNs();
    return left <= 0 ? 0 : int(qMin<qint64>((left + 999999) / 1000000, INT_MAX));
}

void EpollEventDispatcher::wakeUp()
{
    if (m_wakeUpPending.exchange(true, std::memory_order_acq_rel))
        return;
    const quint64 one = 1;
    while (::write(m_wake, &one, sizeof one) < 0 && errno == EINTR) {
    }
}

void EpollEventDispatcher::interrupt()
{
    m_interrupted.store(true, std::memory_order_release);
    wakeUp();
}

void EpollEventDispatcher::drainWakeUp()
{
    quint64 count;
    while (::read(m_wake, &count, sizeof count) < 0 && errno == EINTR) {
    }
    m_wakeUpPending.store(false, std::memory_order_release);
}

int EpollEventDispatcher::waitTimeoutMs(bool canWait, bool includeSockets) const
{
    if (!canWait || (includeSockets && !m_freshWrites.empty()))
        return 0;
    if (m_deadlines.empty())
        return -1;
    const qint64 left = m_deadlines.begin()->first - steadyNowNs();
    if (left <= 0)
        return 0;
    return int(qMin<qint64>((left + 999999) / 1000000, INT_MAX));
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    m_interrupted.store(false, std::memory_order_relaxed);
    emit awake();
    QCoreApplication::sendPostedEvents();

    const bool includeSockets = !(flags & QEventLoop::ExcludeSocketNotifiers);
    const bool canWait = (flags & QEventLoop::WaitForMoreEvents) && !m_interrupted.load(std::memory_order_acquire);
    if (canWait)
        emit aboutToBlock();
    if (m_interrupted.load(std::memory_order_acquire))
        return false;

    applySocketChanges();
    const int timeout = waitTimeoutMs(canWait, includeSockets);
    int ready = 0;
    if (includeSockets) {
        auto *events = reinterpret_cast<epoll_event *>(m_events.data());
        ready = epoll_wait(m_epoll, events, kMaxEventsPerTurn, timeout);
        if (ready < 0)
            ready = 0;   // EINTR: a signal; the turn goes on with the timers
    } else {
        // Sockets excluded: wait for a wake-up or a timer only (the sockets stay ready).
        pollfd wake{m_wake, POLLIN, 0};
        if (::poll(&wake, 1, timeout) > 0)
            drainWakeUp();
    }
    int handled = includeSockets ? activateSockets(ready) + activateFreshWrites() : 0;
    handled += activateTimers();
    return handled > 0;
}

int EpollEventDispatcher::activateSockets(int ready)
{
    if (ready <= 0)
        return 0;
    // Copied first: a handler may run a nested loop that reuses the buffer.
    int handled = 0;
    QVarLengthArray<Pending, 64> pending;
    const auto *events = reinterpret_cast<const epoll_event *>(m_events.data());
    for (int i = 0; i < ready; ++i) {
        if (events[i].data.u64 == kWakeUpTag) {
            drainWakeUp();
            ++handled;   // as Qt counts it: processEvents(flags, maxTime) goes round again
            continue;
        }
        pending.append({int(quint32(events[i].data.u64)), quint32(events[i].data.u64 >> 32), events[i].events});
    }
    for (const Pending &p : pending)
        handled += deliver(p);
    return handled;
}

int EpollEventDispatcher::activateFreshWrites()
{
    if (m_freshWrites.empty())
        return 0;
    const std::vector<Pending> fresh = std::exchange(m_freshWrites, {});
    int handled = 0;
    for (const Pending &p : fresh) {
        auto it = m_sockets.find(p.fd);
        if (it == m_sockets.end() || it->generation != p.generation || !it->freshWrite)
            continue;
        // Told once; if it is still enabled at the next wait, the kernel watches it.
        it->freshWrite = false;
        markDirty(p.fd, *it);
        handled += deliver(p);
    }
    return handled;
}

int EpollEventDispatcher::deliver(const Pending &p)
{
    const bool error = p.events & (EPOLLERR | EPOLLHUP);
    // A hang-up or an error goes to every notifier of the socket: each is told once, and
    // one that is not there for it would otherwise see the kernel report it on every turn.
    const bool wanted[3] = {(p.events & EPOLLIN) || error, (p.events & EPOLLOUT) || error, (p.events & EPOLLPRI) || error};
    int handled = 0;
    for (int type = 0; type < 3; ++type) {
        if (!wanted[type])
            continue;
        // Looked up again for each: the previous handler may have closed or changed it.
        const auto it = m_sockets.constFind(p.fd);
        if (it == m_sockets.cend() || it->generation != p.generation || !it->notifiers[type])
            continue;
        QEvent event(QEvent::SockAct);
        QCoreApplication::sendEvent(it->notifiers[type], &event);
        ++handled;
    }
    return handled;
}

int EpollEventDispatcher::activateTimers()
{
    if (m_deadlines.empty())
        return 0;
    const qint64 now = steadyNowNs();
    // Those due now, each once: a zero-interval timer fires again on the next turn.
    QVarLengthArray<int, 16> due;
    for (auto it = m_deadlines.cbegin(); it != m_deadlines.cend() && it->first <= now; ++it)
        due.append(it->second);
    int handled = 0;
    for (const int id : due) {
        auto it = m_timers.find(id);
        if (it == m_timers.end() || it->firing || it->deadlineNs > now)
            continue;
        m_deadlines.erase({it->deadlineNs, id});
        qint64 next = it->deadlineNs + it->intervalMs * 1000000;
        if (next <= now)
            next = now + it->intervalMs * 1000000;
        it->deadlineNs = next;
        // Out of the deadlines while its handler runs: a nested loop in the handler neither
        // fires it again nor waits for it (it would be overdue, and the loop would spin).
        it->firing = true;
        QObject *object = it->object;
        QTimerEvent event(id);
        QCoreApplication::sendEvent(object, &event);
        ++handled;
        // The handler may have killed it, or killed it and started another under the same id
        // (that one is in the deadlines already, and not firing).
        it = m_timers.find(id);
        if (it != m_timers.end() && it->firing) {
            it->firing = false;
            m_deadlines.emplace(it->deadlineNs, id);
        }
    }
    return handled;
}

QAbstractEventDispatcher *makeNetworkEventDispatcher()
{
    if (qEnvironmentVariable("GATEHOUSE_EVENT_DISPATCHER") == QLatin1String("qt"))
        return nullptr;
    auto *dispatcher = new EpollEventDispatcher;
    if (!dispatcher->isValid()) {
        delete dispatcher;
        return nullptr;
    }
    return dispatcher;
}

} // namespace Gatehouse
