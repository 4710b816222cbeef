// The network threads' epoll event dispatcher, installed here as the main thread's, so every
// wait of this test (QTest::qWait, QTRY_*) runs on it: timers (order, repetition, a handler that
// kills its timer or runs a nested loop, zero-interval timers that must not starve sockets),
// socket notifiers (level-triggered, enabled and disabled within one turn, a number closed and
// reused while an event for it waits), posted events and wake-ups from other threads, and real
// TCP connections through QTcpServer and QTcpSocket.

#include "base/epolleventdispatcher.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {
struct SocketPair
{
    int fd[2] = {-1, -1};
    SocketPair() { ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd); }
    ~SocketPair()
    {
        for (const int f : fd) {
            if (f >= 0)
                ::close(f);
        }
    }
    bool isValid() const { return fd[0] >= 0 && fd[1] >= 0; }
};

QAbstractEventDispatcher *dispatcher()
{
    return QAbstractEventDispatcher::instance();
}
} // namespace

class tst_EpollEventDispatcher : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void isTheMainThreadsDispatcher();
    void timersFireInDeadlineOrder();
    void repeatingTimerAndRemainingTime();
    void timerKilledInItsOwnHandler();
    void timerHandlerWithANestedLoopIsNotReentered();
    void nestedLoopInATimerHandlerDoesNotSpin();
    void zeroTimerDoesNotStarveSockets();
    void readNotifierIsLevelTriggered();
    void enabledAndDisabledInOneTurnIsNotReported();
    void writeNotifierOnAFullSocketWaitsForRoom();
    void eventForAClosedNumberDoesNotReachItsNextOwner();
    void postedEventsFromOtherThreadsWakeIt();
    void interruptEndsAWait();
    void tcpConnectionsEchoWhatTheySend();
    void connectionsOpenedAndClosedInTurn();
};

void tst_EpollEventDispatcher::isTheMainThreadsDispatcher()
{
    QVERIFY(qobject_cast<EpollEventDispatcher *>(dispatcher()));
    qputenv("GATEHOUSE_EVENT_DISPATCHER", "qt");
    QCOMPARE(makeNetworkEventDispatcher(), nullptr);
    qunsetenv("GATEHOUSE_EVENT_DISPATCHER");
    std::unique_ptr<QAbstractEventDispatcher> made(makeNetworkEventDispatcher());
    QVERIFY(qobject_cast<EpollEventDispatcher *>(made.get()));
}

void tst_EpollEventDispatcher::timersFireInDeadlineOrder()
{
    QList<int> order;
    QElapsedTimer clock;
    clock.start();
    qint64 lastAfter = 0;
    QTimer::singleShot(60, Qt::PreciseTimer, this, [&] {
        order.append(60);
        lastAfter = clock.elapsed();
    });
    QTimer::singleShot(20, Qt::CoarseTimer, this, [&] { order.append(20); });
    QTimer::singleShot(40, Qt::VeryCoarseTimer, this, [&] { order.append(40); });
    QTimer::singleShot(0, this, [&] { order.append(0); });
    QTRY_COMPARE_WITH_TIMEOUT(order.size(), 4, 5000);
    QCOMPARE(order, (QList<int>{0, 20, 40, 60}));
    QVERIFY2(lastAfter >= 59, qPrintable(QString::number(lastAfter)));   // never early
}

void tst_EpollEventDispatcher::repeatingTimerAndRemainingTime()
{
    QTimer repeating;
    repeating.setTimerType(Qt::PreciseTimer);
    repeating.setInterval(10);
    int fired = 0;
    connect(&repeating, &QTimer::timeout, this, [&] { ++fired; });
    repeating.start();
    QTimer longOne;
    longOne.setSingleShot(true);
    longOne.start(10000);
    const int left = longOne.remainingTime();
    QVERIFY2(left > 9000 && left <= 10000, qPrintable(QString::number(left)));
    QCOMPARE(dispatcher()->registeredTimers(&longOne).size(), 1);
    QCOMPARE(dispatcher()->registeredTimers(&longOne).first().interval, 10000);
    QElapsedTimer clock;
    clock.start();
    QTest::qWait(300);
    repeating.stop();
    // A shared machine may hold the thread back, never make it fire early or too often.
    const qint64 elapsed = clock.elapsed();
    QVERIFY2(fired >= 5 && fired <= elapsed / 10 + 2, qPrintable(u"%1 in %2 ms"_s.arg(fired).arg(elapsed)));
    const int after = fired;
    QTest::qWait(50);
    QCOMPARE(fired, after);
    longOne.stop();
    QVERIFY(dispatcher()->registeredTimers(&longOne).isEmpty());
    QCOMPARE(dispatcher()->remainingTime(123456), -1);
}

void tst_EpollEventDispatcher::timerKilledInItsOwnHandler()
{
    QTimer timer;
    timer.setInterval(1);
    int fired = 0;
    connect(&timer, &QTimer::timeout, this, [&] {
        ++fired;
        timer.stop();
        timer.start(1);   // another registration, possibly under the same id
        if (fired == 3)
            timer.stop();
    });
    timer.start();
    QTRY_COMPARE_WITH_TIMEOUT(fired, 3, 5000);
    QTest::qWait(30);
    QCOMPARE(fired, 3);
    QVERIFY(!timer.isActive());
}

void tst_EpollEventDispatcher::timerHandlerWithANestedLoopIsNotReentered()
{
    QTimer timer;
    timer.setInterval(1);
    int depth = 0, deepest = 0, fired = 0;
    connect(&timer, &QTimer::timeout, this, [&] {
        ++fired;
        ++depth;
        deepest = qMax(deepest, depth);
        if (fired == 1) {
            QEventLoop loop;
            QTimer::singleShot(50, &loop, &QEventLoop::quit);
            loop.exec();
        }
        --depth;
    });
    timer.start();
    QTRY_VERIFY_WITH_TIMEOUT(fired >= 5, 5000);
    timer.stop();
    QCOMPARE(deepest, 1);
}

// While a timer's handler runs a nested loop, that loop waits: the running timer is overdue but
// neither fires again nor makes the loop poll without waiting. Counted in turns, not time.
void tst_EpollEventDispatcher::nestedLoopInATimerHandlerDoesNotSpin()
{
    QTimer timer;
    timer.setInterval(1);
    int turns = 0;
    bool done = false;
    const auto counter = connect(dispatcher(), &QAbstractEventDispatcher::aboutToBlock, this, [&] { ++turns; });
    connect(&timer, &QTimer::timeout, this, [&] {
        if (done)
            return;
        done = true;
        turns = 0;
        QEventLoop loop;
        QTimer::singleShot(200, &loop, &QEventLoop::quit);
        loop.exec();
    });
    timer.start();
    QTRY_VERIFY_WITH_TIMEOUT(done, 5000);
    timer.stop();
    disconnect(counter);
    // A handful (the quit timer, stray posted events); spinning made it tens of thousands.
    QVERIFY2(turns < 100, qPrintable(QString::number(turns)));
}

void tst_EpollEventDispatcher::zeroTimerDoesNotStarveSockets()
{
    SocketPair pair;
    QVERIFY(pair.isValid());
    QTimer busy;
    busy.setInterval(0);
    int spins = 0;
    connect(&busy, &QTimer::timeout, this, [&] { ++spins; });
    busy.start();
    QSocketNotifier reader(pair.fd[1], QSocketNotifier::Read);
    int reads = 0;
    connect(&reader, &QSocketNotifier::activated, this, [&] {
        char c;
        while (::read(pair.fd[1], &c, 1) == 1)
            ++reads;
    });
    QCOMPARE(::write(pair.fd[0], "abc", 3), 3);
    QTRY_COMPARE_WITH_TIMEOUT(reads, 3, 5000);
    QVERIFY(spins > 0);
}

void tst_EpollEventDispatcher::readNotifierIsLevelTriggered()
{
    SocketPair pair;
    QVERIFY(pair.isValid());
    QSocketNotifier reader(pair.fd[1], QSocketNotifier::Read);
    int activations = 0;
    connect(&reader, &QSocketNotifier::activated, this, [&] { ++activations; });   // reads nothing
    QCOMPARE(::write(pair.fd[0], "x", 1), 1);
    QTRY_VERIFY_WITH_TIMEOUT(activations >= 3, 5000);   // reported on every turn while unread
    reader.setEnabled(false);
    QTest::qWait(20);
    const int disabled = activations;
    QTest::qWait(50);
    QCOMPARE(activations, disabled);
    reader.setEnabled(true);   // the byte is still there
    QTRY_VERIFY_WITH_TIMEOUT(activations > disabled, 5000);
    char c;
    QCOMPARE(::read(pair.fd[1], &c, 1), 1);
    QTest::qWait(20);
    const int drained = activations;
    QTest::qWait(50);
    QCOMPARE(activations, drained);
}

void tst_EpollEventDispatcher::enabledAndDisabledInOneTurnIsNotReported()
{
    SocketPair pair;
    QVERIFY(pair.isValid());
    QSocketNotifier writer(pair.fd[0], QSocketNotifier::Write);   // a socket pair is writable at once
    writer.setEnabled(false);
    int activations = 0;
    connect(&writer, &QSocketNotifier::activated, this, [&] { ++activations; });
    for (int i = 0; i < 100; ++i) {
        writer.setEnabled(true);
        writer.setEnabled(false);
    }
    QTest::qWait(50);
    QCOMPARE(activations, 0);
    writer.setEnabled(true);
    QTRY_VERIFY_WITH_TIMEOUT(activations > 0, 5000);
    writer.setEnabled(false);
}

// A write notifier is first told "writable" without asking the kernel; on a socket whose buffer
// is full that is said once, then nothing until the peer reads and there is room.
void tst_EpollEventDispatcher::writeNotifierOnAFullSocketWaitsForRoom()
{
    SocketPair pair;
    QVERIFY(pair.isValid());
    const QByteArray block(65536, 'f');
    qint64 queued = 0;
    for (;;) {
        const ssize_t n = ::write(pair.fd[0], block.constData(), size_t(block.size()));
        if (n <= 0)
            break;
        queued += n;
    }
    QVERIFY(queued > 0);
    QSocketNotifier writer(pair.fd[0], QSocketNotifier::Write);
    int activations = 0;
    connect(&writer, &QSocketNotifier::activated, this, [&] { ++activations; });
    QTest::qWait(100);
    QVERIFY2(activations <= 1, qPrintable(QString::number(activations)));
    const int whileFull = activations;
    QByteArray sink(65536, '\0');
    while (::read(pair.fd[1], sink.data(), size_t(sink.size())) > 0) {
    }
    QTRY_VERIFY_WITH_TIMEOUT(activations > whileFull, 5000);
}

// Two sockets are ready in the same turn; the handler of the first closes the second, whose
// event is still to be delivered, and a new descriptor takes its number: that event belonged to
// the closed socket, not to the new one.
void tst_EpollEventDispatcher::eventForAClosedNumberDoesNotReachItsNextOwner()
{
    SocketPair first, second;
    QVERIFY(first.isValid() && second.isValid());
    SocketPair *pairs[2] = {&first, &second};
    std::unique_ptr<QSocketNotifier> readers[2];
    int pipeFds[2] = {-1, -1};
    int closedNumber = -1;
    std::unique_ptr<QSocketNotifier> next;
    int spurious = 0;
    bool swapped = false;
    for (int i = 0; i < 2; ++i) {
        readers[i] = std::make_unique<QSocketNotifier>(pairs[i]->fd[1], QSocketNotifier::Read);
        connect(readers[i].get(), &QSocketNotifier::activated, this, [&, i] {
            if (swapped)
                return;
            swapped = true;
            SocketPair *other = pairs[1 - i];
            readers[1 - i]->setEnabled(false);
            readers[1 - i].release()->deleteLater();
            closedNumber = other->fd[1];
            ::close(other->fd[1]);
            other->fd[1] = -1;
            if (::pipe2(pipeFds, O_CLOEXEC | O_NONBLOCK) != 0)
                return;
            // Nothing is ever written to this pipe: any activation of its reader is wrong.
            next = std::make_unique<QSocketNotifier>(pipeFds[0], QSocketNotifier::Read);
            connect(next.get(), &QSocketNotifier::activated, this, [&] { ++spurious; });
        });
    }
    QCOMPARE(::write(first.fd[0], "x", 1), 1);
    QCOMPARE(::write(second.fd[0], "y", 1), 1);   // both ready before the loop next waits
    QTRY_VERIFY_WITH_TIMEOUT(swapped, 5000);
    QTest::qWait(50);
    const bool reused = pipeFds[0] == closedNumber;
    next.reset();
    for (const int f : pipeFds) {
        if (f >= 0)
            ::close(f);
    }
    if (!reused)
        QSKIP("the pipe did not get the closed socket's number");
    QCOMPARE(spurious, 0);
}

void tst_EpollEventDispatcher::postedEventsFromOtherThreadsWakeIt()
{
    constexpr int kPerThread = 2000;
    std::atomic<int> received{0};
    QObject target;
    std::vector<std::thread> posters;
    for (int t = 0; t < 4; ++t) {
        posters.emplace_back([&] {
            for (int i = 0; i < kPerThread; ++i)
                QMetaObject::invokeMethod(&target, [&] { received.fetch_add(1); }, Qt::QueuedConnection);
        });
    }
    for (std::thread &poster : posters)
        poster.join();
    QTRY_COMPARE_WITH_TIMEOUT(received.load(), 4 * kPerThread, 10000);

    // One post into a thread blocked in its loop with nothing else to do: the post wakes it
    // (a safety timer ends the loop after 20 s, which would mean it was not woken).
    QEventLoop loop;
    bool safetyFired = false;
    QTimer::singleShot(20000, &loop, [&] {
        safetyFired = true;
        loop.quit();
    });
    std::thread late([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        QMetaObject::invokeMethod(&loop, [&] {
            received.fetch_add(1);
            loop.quit();
        }, Qt::QueuedConnection);
    });
    loop.exec();
    late.join();
    QVERIFY(!safetyFired);
    QCOMPARE(received.load(), 4 * kPerThread + 1);
}

void tst_EpollEventDispatcher::interruptEndsAWait()
{
    QAbstractEventDispatcher *own = dispatcher();
    std::atomic<bool> interrupted{false};
    std::thread interrupter([own, &interrupted] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        interrupted.store(true);
        own->interrupt();
    });
    QElapsedTimer clock;
    clock.start();
    // Nothing else is due: without the interrupt this wait would not end (the test would time out).
    while (!interrupted.load())
        own->processEvents(QEventLoop::WaitForMoreEvents);
    interrupter.join();
    QVERIFY(clock.elapsed() < 10000);
}

void tst_EpollEventDispatcher::tcpConnectionsEchoWhatTheySend()
{
    QTcpServer server;
    server.setListenBacklogSize(256);   // the clients connect at once
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    connect(&server, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket *socket = server.nextPendingConnection()) {
            connect(socket, &QTcpSocket::readyRead, socket, [socket] { socket->write(socket->readAll()); });
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        }
    });
    constexpr int kClients = 60;
    constexpr int kMessages = 50;
    const QByteArray message(1500, 'm');
    std::vector<std::unique_ptr<QTcpSocket>> clients;
    std::vector<qint64> echoed(kClients, 0);
    std::vector<bool> intact(kClients, true);
    for (int i = 0; i < kClients; ++i) {
        auto socket = std::make_unique<QTcpSocket>();
        QTcpSocket *s = socket.get();
        connect(s, &QTcpSocket::readyRead, this, [&, s, i] {
            const QByteArray got = s->readAll();
            if (got.count('m') != got.size())
                intact[i] = false;
            echoed[i] += got.size();
        });
        connect(s, &QTcpSocket::connected, this, [s, &message] {
            for (int m = 0; m < kMessages; ++m)
                s->write(message);
        });
        s->connectToHost(QHostAddress::LocalHost, server.serverPort());
        clients.push_back(std::move(socket));
    }
    const qint64 expected = qint64(kMessages) * message.size();
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(echoed.cbegin(), echoed.cend(), [&](qint64 n) { return n == expected; }), 30000);
    QVERIFY(std::all_of(intact.cbegin(), intact.cend(), [](bool b) { return b; }));
    // A client that hangs up is seen by the server side.
    int disconnected = 0;
    for (QTcpSocket *peer : server.findChildren<QTcpSocket *>())
        connect(peer, &QTcpSocket::disconnected, this, [&] { ++disconnected; });
    clients.clear();
    QTRY_COMPARE_WITH_TIMEOUT(disconnected, kClients, 10000);
}

// Sockets closed and opened one after the other reuse their numbers: each new one is served.
void tst_EpollEventDispatcher::connectionsOpenedAndClosedInTurn()
{
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    connect(&server, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket *socket = server.nextPendingConnection()) {
            connect(socket, &QTcpSocket::readyRead, socket, [socket] {
                socket->write(socket->readAll());
                socket->disconnectFromHost();
            });
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        }
    });
    for (int i = 0; i < 200; ++i) {
        QTcpSocket client;
        QByteArray got;
        bool closed = false;
        connect(&client, &QTcpSocket::readyRead, this, [&] { got += client.readAll(); });
        connect(&client, &QTcpSocket::disconnected, this, [&] { closed = true; });
        client.connectToHost(QHostAddress::LocalHost, server.serverPort());
        const QByteArray text = "ping " + QByteArray::number(i);
        client.write(text);
        QTRY_VERIFY2_WITH_TIMEOUT(closed, qPrintable(QString::number(i)), 10000);
        got += client.readAll();
        QCOMPARE(got, text);
    }
}

int main(int argc, char **argv)
{
    // Before the application exists: its thread's dispatcher is then this one.
    QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    tst_EpollEventDispatcher test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_epolleventdispatcher.moc"
