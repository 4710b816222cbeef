// MqttCommandSequencer: which commands run at once and which wait, by entity, by session and
// behind a barrier; the cap on waiting commands; late answers. The end-to-end order with real
// Paho clients and mosquitto is in tst_mqtt (commandsKeepTheirOrder).
#include "mqtt/mqttcommandsequencer.h"

#include <QtTest>

using namespace Gatehouse::Mqtt;
using namespace Qt::StringLiterals;

namespace {

// "a/s" = entity a, session s; "-" = none; a trailing "!" makes it a barrier.
MqttCommandSequencer::Keys keysOf(const QString &spec)
{
    MqttCommandSequencer::Keys keys;
    QString text = spec;
    keys.barrier = text.endsWith(u'!');
    if (keys.barrier)
        text.chop(1);
    const QStringList parts = text.split(u'/');
    keys.entity = parts.value(0) == u"-" ? QString() : parts.value(0);
    keys.session = parts.value(1) == u"-" ? QString() : parts.value(1);
    return keys;
}

struct Harness
{
    explicit Harness(int maxWaiting = 1000) : sequencer(maxWaiting) {}

    bool submit(int index, const QString &spec)
    {
        return sequencer.submit(keysOf(spec), [this, index](MqttCommandSequencer::Done handedOver, MqttCommandSequencer::Done done) {
            started.append(index);
            if (delayed.contains(index))
                handOvers.insert(index, std::move(handedOver));   // a plugin delays it
            else
                handedOver();
            answers.insert(index, std::move(done));
        });
    }
    void answer(int index) { answers.take(index)(); }
    void handOver(int index) { handOvers.take(index)(); }
    QString startedText() const
    {
        QStringList out;
        for (int i : started)
            out.append(QString::number(i));
        return out.join(u',');
    }

    MqttCommandSequencer sequencer;
    QSet<int> delayed;   // not handed over within run
    QList<int> started;
    QHash<int, MqttCommandSequencer::Done> answers;
    QHash<int, MqttCommandSequencer::Done> handOvers;
};

} // namespace

class tst_MqttCommandSequencer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void order_data();
    void order();
    void waitingIsCapped();
    void sessionWaitsForTheHandOver();
    void answerAfterTheSequencerIsGone();
};

void tst_MqttCommandSequencer::order_data()
{
    QTest::addColumn<QStringList>("commands");
    QTest::addColumn<QList<int>>("answers");        // answered one after the other
    QTest::addColumn<QStringList>("started");       // after the submits, then after each answer

    QTest::newRow("other entities run at once") << QStringList{u"a/-"_s, u"b/-"_s} << QList<int>{} << QStringList{u"0,1"_s};
    QTest::newRow("one entity waits for the answer")
        << QStringList{u"a/-"_s, u"a/-"_s, u"a/-"_s} << QList<int>{0, 1} << QStringList{u"0"_s, u"0,1"_s, u"0,1,2"_s};
    QTest::newRow("one session is handed over in order at once") << QStringList{u"a/s"_s, u"b/s"_s, u"c/s"_s} << QList<int>{} << QStringList{u"0,1,2"_s};
    QTest::newRow("a session waits behind its entity wait")
        << QStringList{u"a/s"_s, u"a/s"_s, u"b/s"_s} << QList<int>{0} << QStringList{u"0"_s, u"0,1,2"_s};
    QTest::newRow("other sessions are not held")
        << QStringList{u"a/s"_s, u"a/s"_s, u"b/t"_s, u"c/s"_s} << QList<int>{0} << QStringList{u"0,2"_s, u"0,2,1,3"_s};
    QTest::newRow("a barrier holds its session until answered")
        << QStringList{u"a/s!"_s, u"b/s"_s, u"c/t"_s} << QList<int>{0} << QStringList{u"0,2"_s, u"0,2,1"_s};
    QTest::newRow("no keys, no waiting") << QStringList{u"-/-"_s, u"-/-"_s} << QList<int>{} << QStringList{u"0,1"_s};
    QTest::newRow("answers out of order")
        << QStringList{u"a/-"_s, u"b/-"_s, u"a/-"_s, u"b/-"_s} << QList<int>{1, 0} << QStringList{u"0,1"_s, u"0,1,3"_s, u"0,1,3,2"_s};
    QTest::newRow("an entity shared across sessions")
        << QStringList{u"a/s"_s, u"a/t"_s, u"b/t"_s} << QList<int>{0} << QStringList{u"0"_s, u"0,1,2"_s};
}

void tst_MqttCommandSequencer::order()
{
    QFETCH(QStringList, commands);
    QFETCH(QList<int>, answers);
    QFETCH(QStringList, started);

    Harness h;
    for (int i = 0; i < commands.size(); ++i)
        QVERIFY(h.submit(i, commands.at(i)));
    QCOMPARE(h.startedText(), started.value(0));
    for (int i = 0; i < answers.size(); ++i) {
        h.answer(answers.at(i));
        QCOMPARE(h.startedText(), started.value(i + 1));
    }
    QCOMPARE(h.sequencer.waiting(), commands.size() - int(h.started.size()));
}

void tst_MqttCommandSequencer::waitingIsCapped()
{
    Harness h(2);
    QVERIFY(h.submit(0, u"a/-"_s));
    QVERIFY(h.submit(1, u"a/-"_s));
    QVERIFY(h.submit(2, u"a/-"_s));
    QVERIFY(!h.submit(3, u"a/-"_s));   // would be the third waiting
    QVERIFY(h.submit(4, u"b/-"_s));    // runs at once: not refused
    QCOMPARE(h.sequencer.waiting(), 2);
    h.answer(0);
    h.answer(1);
    QCOMPARE(h.startedText(), u"0,4,1,2"_s);
    QCOMPARE(h.sequencer.waiting(), 0);
}

void tst_MqttCommandSequencer::sessionWaitsForTheHandOver()
{
    // A command a plugin delays has not reached the command service when run returns: the
    // session's next command must not overtake it, while other sessions go on.
    Harness h;
    h.delayed = {0, 3};
    QVERIFY(h.submit(0, u"a/s"_s));
    QVERIFY(h.submit(1, u"b/s"_s));
    QVERIFY(h.submit(2, u"c/t"_s));
    QCOMPARE(h.startedText(), u"0,2"_s);
    QCOMPARE(h.sequencer.waiting(), 1);
    h.handOver(0);
    QCOMPARE(h.startedText(), u"0,2,1"_s);
    // Answered before it was handed over (a plugin refused it after the delay): done suffices.
    QVERIFY(h.submit(3, u"d/u"_s));
    QVERIFY(h.submit(4, u"e/u"_s));
    QCOMPARE(h.startedText(), u"0,2,1,3"_s);
    h.answer(3);
    QCOMPARE(h.startedText(), u"0,2,1,3,4"_s);
    h.handOver(3);   // late and twice: nothing more happens
    QCOMPARE(h.startedText(), u"0,2,1,3,4"_s);
    QCOMPARE(h.sequencer.waiting(), 0);
}

void tst_MqttCommandSequencer::answerAfterTheSequencerIsGone()
{
    MqttCommandSequencer::Done late;
    {
        MqttCommandSequencer sequencer(10);
        sequencer.submit(keysOf(u"a/s"_s), [&](MqttCommandSequencer::Done, MqttCommandSequencer::Done done) { late = std::move(done); });
        sequencer.submit(keysOf(u"a/s"_s), [](MqttCommandSequencer::Done, MqttCommandSequencer::Done) { QFAIL("must not run"); });
    }
    late();   // nothing to release any more, and nothing breaks
}

QTEST_GUILESS_MAIN(tst_MqttCommandSequencer)
#include "tst_mqttcommandsequencer.moc"
