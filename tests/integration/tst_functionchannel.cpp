// The socket protocol between the engine and a function's worker process (WorkerChannel), over
// a real socket pair: frames round-trip; what a broken or compromised worker could send --
// a frame claiming more than the limit, nesting far past the depth limit, trailing bytes, a
// closed channel, effects with invalid names or too many of them -- is refused without the
// reader recursing or allocating without bound.
#include "functions/functionlimits.h"
#include "functions/workerchannel.h"

#include <QCborArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QtEndian>
#include <QtTest>

#include <sys/socket.h>
#include <unistd.h>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

// Writes raw bytes to the other end, as a worker would.
void writeRaw(int fd, const QByteArray &bytes)
{
    qsizetype done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.constData() + done, size_t(bytes.size() - done));
        if (n <= 0)
            return;
        done += n;
    }
}

QByteArray frame(const QByteArray &payload)
{
    QByteArray header(4, Qt::Uninitialized);
    qToLittleEndian(quint32(payload.size()), header.data());
    return header + payload;
}

} // namespace

class tst_FunctionChannel : public QObject
{
    Q_OBJECT

private slots:
    void init()
    {
        int fds[2];
        QCOMPARE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        m_engine.open(fds[0]);
        m_worker = fds[1];
    }
    void cleanup()
    {
        m_engine.close();
        if (m_worker >= 0)
            ::close(m_worker);
        m_worker = -1;
    }

    void framesRoundTrip()
    {
        WorkerChannel worker(m_worker);
        m_worker = -1;
        const QJsonObject doc{{u"name"_s, u"Lamp"_s}, {u"price"_s, 12.5}, {u"tags"_s, QJsonArray{u"a"_s, 1, true}}};
        QCOMPARE(worker.send({{u"t"_s, u"doc"_s}, {u"d"_s, WorkerChannel::fromJson(doc)}}), WorkerChannel::Status::Ok);
        QCborMap message;
        QCOMPARE(m_engine.receive(&message, QDeadlineTimer(5000)), WorkerChannel::Status::Ok);
        QJsonValue back;
        QVERIFY(WorkerChannel::toJson(message.value(u"d"_s), &back));
        QCOMPARE(back.toObject(), doc);
    }

    void eventsRoundTrip()
    {
        // Events for handle() travel as they are stored, in the frame the engine sends.
        RecordedEvent a;
        a.position = 9007199254740993;
        a.stream = u"products-\u00e9"_s;
        a.version = 4;
        a.id = u"018f0000-0000-7000-8000-000000000001"_s;
        a.type = u"products.created"_s;
        a.data = QByteArray("\xff\x00not json", 10);
        a.metadata = R"({"correlationid":"c"})";
        a.timeMs = -1;
        RecordedEvent b = a;
        b.position = 1;
        b.data = R"({"n":1})";
        b.metadata.clear();
        const QCborMap frame{{u"t"_s, u"events"_s}, {u"b"_s, true},
                             {u"in"_s, QCborArray{WorkerChannel::fromEvents({a, b}), WorkerChannel::fromEvents({b})}}};
        WorkerChannel worker(m_worker);
        m_worker = -1;
        QCOMPARE(m_engine.send(frame), WorkerChannel::Status::Ok);
        QCborMap message;
        QCOMPARE(worker.receive(&message, QDeadlineTimer(5000)), WorkerChannel::Status::Ok);
        const QCborArray in = message.value(u"in"_s).toArray();
        QCOMPARE(in.size(), 2);
        RecordedEvents events;
        QVERIFY(WorkerChannel::toEvents(in.at(0), &events));
        QCOMPARE(events.size(), 2);
        for (const auto &[got, sent] : {std::pair{events.at(0), a}, std::pair{events.at(1), b}}) {
            QCOMPARE(got.position, sent.position);
            QCOMPARE(got.stream, sent.stream);
            QCOMPARE(got.version, sent.version);
            QCOMPARE(got.id, sent.id);
            QCOMPARE(got.type, sent.type);
            QCOMPARE(got.data, sent.data);
            QCOMPARE(got.metadata, sent.metadata);
            QCOMPARE(got.timeMs, sent.timeMs);
        }
        // Anything else is refused, not read as an event with defaults.
        const QCborArray good = WorkerChannel::fromEvents({b}).at(0).toArray();
        QVERIFY(WorkerChannel::toEvents(QCborArray{good}, &events));
        QVERIFY(!WorkerChannel::toEvents(QCborArray{}, &events));
        QVERIFY(!WorkerChannel::toEvents(QCborValue(u"x"_s), &events));
        QVERIFY(!WorkerChannel::toEvents(QCborArray{QCborMap{}}, &events));
        for (qsizetype i = 0; i < good.size(); ++i) {
            QCborArray broken = good;
            broken[i] = QCborValue(1.5);
            QVERIFY2(!WorkerChannel::toEvents(QCborArray{broken}, &events), qPrintable(QString::number(i)));
        }
        QCborArray shorter = good;
        shorter.removeLast();
        QVERIFY(!WorkerChannel::toEvents(QCborArray{shorter}, &events));
        QCborArray longer = good;
        longer.append(1);
        QVERIFY(!WorkerChannel::toEvents(QCborArray{longer}, &events));
    }

    void refusedFrames_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("status");
        QByteArray deep(200000, char(0x81));   // [[[[…]]]] 200,000 deep
        deep.append(char(0xa0));
        QByteArray deepInMap = QByteArray::fromHex("a16164") + deep;   // {"d": [[[…]]]}
        QTest::newRow("length past the limit") << QByteArray::fromHex("ffffffff") << int(WorkerChannel::Status::Invalid);
        QTest::newRow("200,000 nested arrays") << frame(deep) << int(WorkerChannel::Status::Invalid);
        QTest::newRow("nested inside a map") << frame(deepInMap) << int(WorkerChannel::Status::Invalid);
        QTest::newRow("not a map") << frame(QByteArray::fromHex("01")) << int(WorkerChannel::Status::Invalid);
        QTest::newRow("bytes after the map") << frame(QByteArray::fromHex("a0a0")) << int(WorkerChannel::Status::Invalid);
        QTest::newRow("truncated map") << frame(QByteArray::fromHex("a2616101")) << int(WorkerChannel::Status::Invalid);
        QTest::newRow("a tag") << frame(QByteArray::fromHex("a16174c074")) << int(WorkerChannel::Status::Invalid);
        QTest::newRow("closed mid-frame") << QByteArray::fromHex("10000000a1") << int(WorkerChannel::Status::Closed);
    }

    void refusedFrames()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, status);
        writeRaw(m_worker, bytes);
        ::shutdown(m_worker, SHUT_WR);
        QCborMap message;
        QCOMPARE(int(m_engine.receive(&message, QDeadlineTimer(5000))), status);
    }

    void silenceTimesOut()
    {
        QCborMap message;
        QCOMPARE(m_engine.receive(&message, QDeadlineTimer(50)), WorkerChannel::Status::TimedOut);
    }

    void invalidOutcomes_data()
    {
        QTest::addColumn<QCborMap>("message");
        auto outcome = [](const QCborMap &extra) {
            QCborMap m{{u"t"_s, u"outcome"_s}, {u"i"_s, 0}, {u"last"_s, true}, {u"ok"_s, true}};
            for (auto it = extra.cbegin(); it != extra.cend(); ++it)
                m.insert(it.key(), it.value());
            return m;
        };
        QCborArray tooMany;
        for (int i = 0; i <= FunctionLimits::kMaxWrites; ++i)
            tooMany.append(QCborArray{u"docs"_s, u"d%1"_s.arg(i), QCborMap{}});
        QJsonValue deep = QJsonObject();
        for (int i = 0; i < FunctionLimits::kMaxDepth + 1; ++i)
            deep = QJsonObject{{u"a"_s, deep}};
        QTest::newRow("collection name") << outcome({{u"w"_s, QCborArray{QCborArray{u"../x"_s, u"id"_s, QCborMap{}}}}});
        QTest::newRow("empty id") << outcome({{u"w"_s, QCborArray{QCborArray{u"docs"_s, u""_s, QCborMap{}}}}});
        QTest::newRow("document not an object") << outcome({{u"w"_s, QCborArray{QCborArray{u"docs"_s, u"d"_s, 5}}}});
        QTest::newRow("too many writes") << outcome({{u"w"_s, tooMany}});
        QTest::newRow("document too deep") << outcome({{u"w"_s, QCborArray{QCborArray{u"docs"_s, u"d"_s, WorkerChannel::fromJson(deep)}}}});
        QTest::newRow("result too deep") << outcome({{u"r"_s, WorkerChannel::fromJson(deep)}});
        QTest::newRow("event type") << outcome({{u"e"_s, QCborArray{QCborArray{u"nodot"_s, u"s"_s, QCborValue(QCborValue::Null)}}}});
        QTest::newRow("failed, with effects")
            << outcome({{u"ok"_s, false}, {u"w"_s, QCborArray{QCborArray{u"docs"_s, u"d"_s, QCborMap{}}}}});
    }

    void invalidOutcomes()
    {
        QFETCH(QCborMap, message);
        FunctionOutcome outcome;
        QString error;
        QVERIFY(!WorkerChannel::decodeOutcome(message, &outcome, &error));
        QVERIFY(!error.isEmpty());
    }

    void validOutcome()
    {
        FunctionOutcome sent;
        sent.ok = true;
        sent.result = QJsonObject{{u"status"_s, 201}};
        sent.effects.writes.append({u"docs"_s, u"d1"_s, QJsonObject{{u"id"_s, u"d1"_s}, {u"n"_s, 1}}, false});
        sent.effects.writes.append({u"docs"_s, u"d2"_s, {}, true});
        sent.effects.emits.append({u"docs.counted"_s, u"d1"_s, QJsonObject{{u"n"_s, 1}}});
        sent.effects.logs.append(u"hello"_s);
        FunctionOutcome got;
        QString error;
        QVERIFY2(WorkerChannel::decodeOutcome(WorkerChannel::encodeOutcome(sent, 0, true), &got, &error), qPrintable(error));
        QVERIFY(got.ok);
        QCOMPARE(got.result, sent.result);
        QCOMPARE(got.effects.writes.size(), 2);
        QCOMPARE(got.effects.writes.at(0).doc, sent.effects.writes.at(0).doc);
        QVERIFY(got.effects.writes.at(1).remove);
        QCOMPARE(got.effects.emits.at(0).data, sent.effects.emits.at(0).data);
        QCOMPARE(got.effects.logs, sent.effects.logs);
    }

private:
    WorkerChannel m_engine;
    int m_worker = -1;
};

QTEST_GUILESS_MAIN(tst_FunctionChannel)
#include "tst_functionchannel.moc"
