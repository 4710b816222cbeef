// PgAppendPlan: how the PostgreSQL writer decides a batch in C++ from the state it read, and
// how the answers move when the batch lands later in the log than planned (another engine
// appended in between).

#include "store/pgappendplan.h"

#include <QTest>

using namespace Gatehouse;

namespace {

AppendRequest request(const QString &stream, const QStringList &ids, const QString &key = {},
                      const QByteArray &hash = {}, ExpectedVersion expected = {})
{
    AppendRequest r;
    r.stream = stream;
    r.expected = expected;
    r.idempotencyKey = key;
    r.requestHash = hash;
    for (const QString &id : ids)
        r.events.append(NewEvent{id, QStringLiteral("t.happened"), "{}", "{}"});
    return r;
}

} // namespace

class tst_PgAppendPlan : public QObject
{
    Q_OBJECT

private slots:
    void placesTheBatchAfterTheEndItRead()
    {
        PgAppendPlan plan;
        plan.setLogEnd(10);
        plan.setStreamHead(QStringLiteral("s"), 3, QStringLiteral("t.happened"));
        const AppendResult a = plan.decide(request(QStringLiteral("s"), {QStringLiteral("e1"), QStringLiteral("e2")}), 1);
        const AppendResult b = plan.decide(request(QStringLiteral("new"), {QString()}), 1);
        QVERIFY(a.ok() && b.ok());
        QCOMPARE(a.firstPosition, 11);
        QCOMPARE(a.lastPosition, 12);
        QCOMPARE(a.version, 5);
        QCOMPARE(b.firstPosition, 13);
        QCOMPARE(b.version, 0);
        QCOMPARE(plan.readEnd(), 10);
        QCOMPARE(plan.lastPosition(), 13);
        QCOMPARE(plan.committed.size(), 3);
    }

    // Another engine appended 5 events (to other streams) between the read and the insert.
    void rebaseMovesWhatTheBatchAppendedOnly()
    {
        PgAppendPlan plan;
        plan.setLogEnd(10);
        plan.setKey(QStringLiteral("old-key"), "h-old", 4, 5, 1, QStringLiteral("t.happened"));
        plan.setEventId(QStringLiteral("old-id"), QStringLiteral("old"), 0, 7);
        std::vector<AppendResult> results;
        results.push_back(plan.decide(request(QStringLiteral("a"), {QStringLiteral("a1")}, QStringLiteral("k"), "h"), 1));
        // a repeat of an append earlier in the same batch: points into the batch
        results.push_back(plan.decide(request(QStringLiteral("a"), {QStringLiteral("a1")}, QStringLiteral("k"), "h"), 1));
        results.push_back(plan.decide(request(QStringLiteral("b"), {QStringLiteral("b1"), QStringLiteral("b2")}), 1));
        results.push_back(plan.decide(request(QStringLiteral("b"), {QStringLiteral("b1"), QStringLiteral("b2")}), 1));
        // repeats of what was in the log before the read: they stay where they are
        results.push_back(plan.decide(request(QStringLiteral("x"), {QStringLiteral("x1")}, QStringLiteral("old-key"), "h-old"), 1));
        results.push_back(plan.decide(request(QStringLiteral("old"), {QStringLiteral("old-id")}), 1));
        // refused: no positions at all
        results.push_back(plan.decide(request(QStringLiteral("c"), {QString()}, {}, {}, ExpectedVersion::exact(4)), 1));

        QCOMPARE(results[1].replayed, true);
        QCOMPARE(results[3].replayed, true);
        plan.rebase(5, &results);

        QCOMPARE(results[0].firstPosition, 16);
        QCOMPARE(results[0].lastPosition, 16);
        QCOMPARE(results[1].firstPosition, 16);
        QCOMPARE(results[2].firstPosition, 17);
        QCOMPARE(results[2].lastPosition, 18);
        QCOMPARE(results[3].firstPosition, 17);
        QCOMPARE(results[3].lastPosition, 18);
        QCOMPARE(results[4].firstPosition, 4);
        QCOMPARE(results[4].lastPosition, 5);
        QCOMPARE(results[5].firstPosition, 7);
        QCOMPARE(results[6].status, AppendResult::WrongExpectedVersion);
        QCOMPARE(results[6].firstPosition, 0);
        QList<qint64> positions;
        for (const RecordedEvent &e : plan.committed)
            positions.append(e.position);
        QCOMPARE(positions, (QList<qint64>{16, 17, 18}));
        QCOMPARE(plan.readEnd(), 15);
        QCOMPARE(plan.lastPosition(), 18);
        // the key rows were sent with the planned positions: the insert moves them itself
        QCOMPARE(plan.keyRows.first, (QList<qint64>{11}));
    }

    void rebaseByNothingChangesNothing()
    {
        PgAppendPlan plan;
        plan.setLogEnd(0);
        std::vector<AppendResult> results{plan.decide(request(QStringLiteral("s"), {QString()}), 1)};
        plan.rebase(0, &results);
        QCOMPARE(results[0].firstPosition, 1);
        QCOMPARE(plan.committed.first().position, 1);
    }
};

QTEST_GUILESS_MAIN(tst_PgAppendPlan)
#include "tst_pgappendplan.moc"
