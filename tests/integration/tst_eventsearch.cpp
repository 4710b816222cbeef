// Searching the whole log through GET /events over a real socket, on either backend:
// subject globs, time ranges (RFC 3339 or ms), free text in type, subject and data, forward
// and backward, each request bounded (at most EventLogQuery::kMaxScan events examined) and
// saying where the next one goes on and whether the search is complete; bad parameters are
// 400 problems.
#include "testdatabase.h"
#include "assembly/engine.h"
#include "queries/eventlogquery.h"
#include "server/listeners.h"
#include "store/cloudevent.h"
#include "store/eventstore.h"
#include "testhttpclient.h"

#include <QDateTime>
#include <QJsonArray>
#include <QTimeZone>
#include <QTemporaryDir>
#include <QUrl>
#include <QtTest>

#include <memory>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

QJsonArray events(const TestHttpResponse &r)
{
    return QJsonDocument::fromJson(r.body).array();
}

QByteArray enc(const QString &text)
{
    return QUrl::toPercentEncoding(text);
}

} // namespace

class tst_EventSearch : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void textIsFoundAcrossTheWholeLogInBoundedSteps();
    void textSearchGoesBackwardFromTheHead();
    void subjectGlobAndTypeNarrowTheSearch();
    void timeRangeStartsAndEndsByBisection();
    void limitStopsAPageEarly();
    void badParametersAre400();

private:
    TestHttpResponse get(const QByteArray &path) { return m_client->get(path); }
    // The whole search, request after request, as a client pages through it.
    QJsonArray searchAll(const QByteArray &query, bool backward, int *requests);

    QTemporaryDir m_dir;
    Engine m_engine;
    Server::Listeners m_listeners;
    std::unique_ptr<TestHttpClient> m_client;
    qint64 m_head = 0;
    qint64 m_firstB = 0;    // position of the first orders.placed event
    qint64 m_firstC = 0;    // position of the first bulk event
    qint64 m_timeB = 0;     // ms of the first orders.placed event
    qint64 m_timeC = 0;
    QList<qint64> m_needles;   // positions whose data says "Needle"
};

void tst_EventSearch::initTestCase()
{
    EngineOptions options;
    options.dataDir = m_dir.path();
    options.database = Test::engineDatabase(m_dir.path());
    options.durability = EventStore::Durability::Normal;
    QVERIFY(m_engine.start(options));
    QString error;
    QVERIFY2(m_listeners.start(&m_engine, {}, {}, Http::HttpLimits{}, &error), qPrintable(error));
    m_client = std::make_unique<TestHttpClient>(u"127.0.0.1"_s, m_listeners.gatewayEndpoint().port);

    EventStore *store = m_engine.eventStore();
    const auto append = [store](const QString &stream, const QString &type, const QList<QByteArray> &data) {
        AppendRequest r;
        r.stream = stream;
        r.expected = ExpectedVersion::any();
        for (const QByteArray &d : data)
            r.events.append(NewEvent{{}, type, d, "{}"});
        return store->appendAndWait(std::move(r));
    };
    // A: 300 products a-000..a-299, one event each.
    for (int i = 0; i < 300; ++i)
        QVERIFY(append(u"products-a-%1"_s.arg(i, 3, 10, QLatin1Char('0')), u"products.created"_s, {R"({"name":"Alpha"})"}).ok());
    QTest::qWait(30);   // the batches apart in time
    // B: 300 orders, three of them with a needle in their data.
    for (int i = 0; i < 300; ++i) {
        const bool needle = i == 10 || i == 150 || i == 290;
        const AppendResult r = append(u"orders-b-%1"_s.arg(i, 3, 10, QLatin1Char('0')), u"orders.placed"_s,
                                      {needle ? QByteArray(R"({"note":"a Needle here"})") : QByteArray(R"({"note":"plain"})")});
        QVERIFY(r.ok());
        if (i == 0)
            m_firstB = r.firstPosition;
        if (needle)
            m_needles.append(r.firstPosition);
    }
    QTest::qWait(30);
    // C: 25,000 events in 25 streams, more than one request examines.
    for (int s = 0; s < 25; ++s) {
        QList<QByteArray> data(1000, QByteArray(R"({"price":1})"));
        const AppendResult r = append(u"products-c%1"_s.arg(s), u"products.updated"_s, data);
        QVERIFY(r.ok());
        if (s == 0)
            m_firstC = r.firstPosition;
    }
    // D: the last event, with a needle.
    const AppendResult last = append(u"orders-d-1"_s, u"orders.placed"_s, {R"({"note":"NEEDLE at the end"})"});
    QVERIFY(last.ok());
    m_needles.append(last.firstPosition);
    m_head = last.lastPosition;
    QCOMPARE(m_head, qint64(300 + 300 + 25000 + 1));
    m_timeB = store->readAll(m_firstB, 1).first().timeMs;
    m_timeC = store->readAll(m_firstC, 1).first().timeMs;
    QVERIFY2(m_timeB > store->readAll(m_firstB - 1, 1).first().timeMs, "batches A and B share a millisecond");
    QVERIFY2(m_timeC > store->readAll(m_firstC - 1, 1).first().timeMs, "batches B and C share a millisecond");
}

void tst_EventSearch::cleanupTestCase()
{
    m_client.reset();
    m_listeners.close();
    m_engine.stop();
}

QJsonArray tst_EventSearch::searchAll(const QByteArray &query, bool backward, int *requests)
{
    QJsonArray all;
    qint64 next = backward ? m_head + 1 : 1;
    *requests = 0;
    for (;;) {
        const TestHttpResponse r = get("/events?" + query + (backward ? "&before=" : "&from=") + QByteArray::number(next));
        ++*requests;
        if (r.status != 200 || *requests > 100) {
            qWarning("%d %s", r.status, r.body.constData());
            return {};
        }
        const QJsonArray page = events(r);
        if (backward) {
            QJsonArray merged = page;
            for (const QJsonValue &v : std::as_const(all))
                merged.append(v);
            all = merged;
        } else {
            for (const QJsonValue &v : page)
                all.append(v);
        }
        next = r.header(backward ? "x-next-before" : "x-next-from").toLongLong();
        if (r.header("x-scan-complete") == "true")
            return all;
    }
}

void tst_EventSearch::textIsFoundAcrossTheWholeLogInBoundedSteps()
{
    // The first request examines kMaxScan events: the three needles of B, and where to go on.
    TestHttpResponse r = get("/events?q=needle&limit=1000");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("content-type"), QByteArrayLiteral("application/cloudevents-batch+json"));
    QJsonArray page = events(r);
    QCOMPARE(page.size(), 3);
    for (qsizetype i = 0; i < 3; ++i)
        QCOMPARE(page.at(i)[u"position"_s].toInteger(), m_needles.at(i));
    QCOMPARE(r.header("x-scan-complete"), QByteArrayLiteral("false"));
    QCOMPARE(r.header("x-next-from").toLongLong(), EventLogQuery::kMaxScan + 1);
    QCOMPARE(r.header("x-head-position").toLongLong(), m_head);
    // The next one finds the last needle (case-insensitive) and says the search is done.
    r = get("/events?q=needle&limit=1000&from=" + r.header("x-next-from"));
    page = events(r);
    QCOMPARE(page.size(), 1);
    QCOMPARE(page.at(0)[u"position"_s].toInteger(), m_needles.last());
    QCOMPARE(r.header("x-scan-complete"), QByteArrayLiteral("true"));
    QCOMPARE(r.header("x-next-from").toLongLong(), m_head + 1);
    // Type and subject are searched as well as the data.
    int requests = 0;
    QCOMPARE(searchAll("q=ORDERS.PLACED&limit=1000", false, &requests).size(), 301);
    QCOMPARE(searchAll("q=" + enc(u"b-15"_s) + "&limit=1000", false, &requests).size(), 10);   // b-150..b-159
    QCOMPARE(searchAll("q=nowhere-to-be-found", false, &requests).size(), 0);
    QCOMPARE(requests, 2);   // 25,601 events, 20,000 at most per request
}

void tst_EventSearch::textSearchGoesBackwardFromTheHead()
{
    TestHttpResponse r = get("/events?q=needle&limit=1000&before=" + QByteArray::number(m_head + 1));
    QCOMPARE(r.status, 200);
    QJsonArray page = events(r);
    QCOMPARE(page.size(), 1);
    QCOMPARE(page.at(0)[u"position"_s].toInteger(), m_needles.last());
    QCOMPARE(r.header("x-scan-complete"), QByteArrayLiteral("false"));
    QCOMPARE(r.header("x-next-before").toLongLong(), m_head + 1 - EventLogQuery::kMaxScan);
    r = get("/events?q=needle&limit=1000&before=" + r.header("x-next-before"));
    page = events(r);
    QCOMPARE(page.size(), 3);
    QVERIFY(page.at(0)[u"position"_s].toInteger() < page.at(2)[u"position"_s].toInteger());   // ascending, as every page
    QCOMPARE(r.header("x-scan-complete"), QByteArrayLiteral("true"));
    QCOMPARE(r.header("x-next-before").toLongLong(), 0);
    // "From the head" may be said with the largest position: still 20,000 examined.
    r = get("/events?q=needle&limit=1000&before=9223372036854775807");
    QCOMPARE(events(r).size(), 1);
    QCOMPARE(r.header("x-next-before").toLongLong(), m_head + 1 - EventLogQuery::kMaxScan);
    int requests = 0;
    const QJsonArray all = searchAll("q=needle&limit=2", true, &requests);
    QCOMPARE(all.size(), 4);
    for (qsizetype i = 0; i < all.size(); ++i)
        QCOMPARE(all.at(i)[u"position"_s].toInteger(), m_needles.at(i));
}

void tst_EventSearch::subjectGlobAndTypeNarrowTheSearch()
{
    int requests = 0;
    const QJsonArray a1 = searchAll("subject=" + enc(u"a-1??"_s) + "&limit=1000", false, &requests);
    QCOMPARE(a1.size(), 100);
    for (const QJsonValue &v : a1)
        QVERIFY(v[u"subject"_s].toString().startsWith(u"a-1"_s));
    // With a search, the type glob narrows what is examined, still within the bound per request
    // (a rare type must not make one request read the whole log).
    const TestHttpResponse r = get("/events?type=orders.*&q=needle&limit=1000");
    QCOMPARE(events(r).size(), 3);
    QCOMPARE(r.header("x-scan-complete"), QByteArrayLiteral("false"));
    QCOMPARE(searchAll("type=orders.*&q=needle&limit=1000", false, &requests).size(), 4);
    QCOMPARE(requests, 2);
    QCOMPARE(searchAll("type=orders.*&subject=" + enc(u"d-*"_s), false, &requests).size(), 1);
    // The type is the same glob with a search, with a stream and without (SQLite's GLOB): "!"
    // is a member of a set, "^" first inverts it.
    QCOMPARE(searchAll("type=" + enc(u"orders.[!p]*"_s) + "&q=needle&limit=1000", false, &requests).size(), 4);
    QCOMPARE(searchAll("type=" + enc(u"orders.[^p]*"_s) + "&q=needle&limit=1000", false, &requests).size(), 0);
    QCOMPARE(events(get("/events?stream=orders-d-1&type=" + enc(u"orders.[!p]*"_s))).size(), 1);
    QCOMPARE(events(get("/events?stream=orders-d-1&type=" + enc(u"orders.[^p]*"_s))).size(), 0);
    // Subjects match without regard to case, as the console's own filter does.
    QCOMPARE(searchAll("subject=" + enc(u"A-29?"_s) + "&limit=1000", false, &requests).size(), 10);
    // Backward as well.
    QCOMPARE(searchAll("type=products.created&subject=" + enc(u"*-29?"_s), true, &requests).size(), 10);
}

void tst_EventSearch::timeRangeStartsAndEndsByBisection()
{
    // [time of B, time of C): exactly B, found without scanning A (bisection) and stopping at C.
    const QByteArray range = "since=" + QByteArray::number(m_timeB) + "&until=" + QByteArray::number(m_timeC);
    TestHttpResponse r = get("/events?limit=1000&" + range);
    QCOMPARE(r.status, 200);
    QJsonArray page = events(r);
    QCOMPARE(page.size(), 300);
    QCOMPARE(page.first()[u"position"_s].toInteger(), m_firstB);
    QCOMPARE(page.last()[u"position"_s].toInteger(), m_firstC - 1);
    QCOMPARE(r.header("x-scan-complete"), QByteArrayLiteral("true"));
    // The same as RFC 3339 date-times, with an offset.
    const auto rfc = [](qint64 ms) {
        return enc(QDateTime::fromMSecsSinceEpoch(ms, QTimeZone(3600)).toString(Qt::ISODateWithMs));
    };
    r = get("/events?limit=1000&since=" + rfc(m_timeB) + "&until=" + rfc(m_timeC));
    QCOMPARE(events(r).size(), 300);
    // Backward: until ends the scan where C starts, since stops it where B starts.
    r = get("/events?limit=1000&before=" + QByteArray::number(m_head + 1) + '&' + range);
    page = events(r);
    QCOMPARE(page.size(), 300);
    QCOMPARE(page.first()[u"position"_s].toInteger(), m_firstB);
    QCOMPARE(r.header("x-scan-complete"), QByteArrayLiteral("true"));
    // since alone: from the first event of C to the head, in bounded steps.
    int requests = 0;
    QCOMPARE(searchAll("limit=1000&since=" + QByteArray::number(m_timeC), false, &requests).size(), 25001);
    // A range before the log or after it is empty and complete at once.
    r = get("/events?until=1000");
    QCOMPARE(events(r).size(), 0);
    QCOMPARE(r.header("x-scan-complete"), QByteArrayLiteral("true"));
    r = get("/events?since=" + QByteArray::number(QDateTime::currentMSecsSinceEpoch() + 3600000));
    QCOMPARE(events(r).size(), 0);
    QCOMPARE(r.header("x-scan-complete"), QByteArrayLiteral("true"));
}

void tst_EventSearch::limitStopsAPageEarly()
{
    TestHttpResponse r = get("/events?q=needle&limit=2");
    QJsonArray page = events(r);
    QCOMPARE(page.size(), 2);
    QCOMPARE(r.header("x-scan-complete"), QByteArrayLiteral("false"));
    QCOMPARE(r.header("x-next-from").toLongLong(), m_needles.at(1) + 1);   // right after the last one returned
    r = get("/events?q=needle&limit=2&from=" + r.header("x-next-from"));
    page = events(r);
    QCOMPARE(page.size(), 1);
    QCOMPARE(page.at(0)[u"position"_s].toInteger(), m_needles.at(2));
    // Without a search, the headers are as before: no x-scan-complete.
    r = get("/events?from=1&limit=5");
    QCOMPARE(events(r).size(), 5);
    QVERIFY(r.header("x-scan-complete").isEmpty());
    QCOMPARE(r.header("x-next-from").toLongLong(), 6);
}

void tst_EventSearch::badParametersAre400()
{
    const QList<QByteArray> bad{
        "/events?since=yesterday",
        "/events?until=2026-13-45T99:00:00Z",
        "/events?since=2026-12-06T10:00:00",   // no zone
        "/events?since=2000&until=1000",
        "/events?q=",
        "/events?q=%20%20",
        "/events?q=" + QByteArray(300, 'x'),
        "/events?subject=",
        "/events?subject=" + QByteArray(300, 'x'),
        "/events?type=" + QByteArray(300, 'x'),
        "/events?since=99999999999999999999",
        "/events?needle=1",
    };
    for (const QByteArray &path : bad) {
        const TestHttpResponse r = get(path);
        QVERIFY2(r.status == 400, QByteArray(path + " -> " + QByteArray::number(r.status) + ' ' + r.body).constData());
        QCOMPARE(r.header("content-type"), QByteArrayLiteral("application/problem+json"));
    }
    QVERIFY(get("/events?needle=1").json()[u"detail"_s].toString().contains(u"since, until, q"_s));
}

QTEST_GUILESS_MAIN(tst_EventSearch)
#include "tst_eventsearch.moc"
