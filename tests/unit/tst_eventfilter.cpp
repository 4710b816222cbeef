// The live clients' event filter (EventFilter): type and subject globs with SQLite's GLOB
// semantics, since the same filter runs as GLOB in SQL on the log (/events?type=) and in memory
// on live batches (WebSocket, SSE). Every case is checked against SQLite's own GLOB on the
// UTF-8 the engine binds, and 40,000 generated patterns and texts are compared with it as well.

#include "live/eventfilter.h"
#include "store/recordedevent.h"

#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

#include <optional>

using namespace Gatehouse;
using namespace Gatehouse::Live;

class tst_EventFilter : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void globMatchesAsSqlite_data();
    void globMatchesAsSqlite();
    void generatedGlobsMatchAsSqlite();
    void filtersTypeAndSubject();

private:
    bool sqliteGlob(const QString &pattern, const QString &text);

    std::optional<QSqlQuery> m_glob;
};

namespace {
const QString kConnection = QStringLiteral("tst_eventfilter");
}

void tst_EventFilter::initTestCase()
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), kConnection);
    db.setDatabaseName(QStringLiteral(":memory:"));
    QVERIFY2(db.open(), qPrintable(db.lastError().text()));
    m_glob.emplace(db);
    QVERIFY(m_glob->prepare(QStringLiteral("SELECT CAST(? AS TEXT) GLOB CAST(? AS TEXT)")));
}

void tst_EventFilter::cleanupTestCase()
{
    m_glob.reset();
    QSqlDatabase::removeDatabase(kConnection);
}

bool tst_EventFilter::sqliteGlob(const QString &pattern, const QString &text)
{
    // As the event log binds text: QString::toUtf8() (which writes '?' for a lone surrogate).
    // Bound as bytes and cast to text, which GLOB reads up to a NUL; a null QByteArray would
    // bind NULL.
    const auto sqlText = [](const QString &s) {
        const QByteArray utf8 = s.toUtf8();
        return utf8.isNull() ? QByteArray("") : utf8;
    };
    m_glob->bindValue(0, sqlText(text));
    m_glob->bindValue(1, sqlText(pattern));
    if (!m_glob->exec() || !m_glob->next())
        qFatal("GLOB failed: %s", qPrintable(m_glob->lastError().text()));
    const bool matched = m_glob->value(0).toInt() == 1;
    m_glob->finish();
    return matched;
}

void tst_EventFilter::globMatchesAsSqlite_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("matches");

    QTest::newRow("empty pattern, empty text") << "" << "" << true;
    QTest::newRow("empty pattern, text") << "" << "a" << false;
    QTest::newRow("literal") << "products.created" << "products.created" << true;
    QTest::newRow("literal is case-sensitive") << "products.created" << "Products.created" << false;
    QTest::newRow("prefix star") << "products.*" << "products.created" << true;
    QTest::newRow("prefix star, other collection") << "products.*" << "orders.created" << false;
    QTest::newRow("star matches nothing") << "products.*" << "products." << true;
    QTest::newRow("suffix star") << "*.deleted" << "orders.deleted" << true;
    QTest::newRow("inner stars backtrack") << "a*b*c" << "aXbYbZc" << true;
    QTest::newRow("inner stars, no c") << "a*b*c" << "aXbYbZ" << false;
    QTest::newRow("stars only") << "***" << "" << true;
    QTest::newRow("question mark") << "?.x" << "a.x" << true;
    QTest::newRow("question mark needs one") << "?.x" << ".x" << false;
    QTest::newRow("question mark is one code point") << "?" << QString::fromUtf8("\xF0\x9F\x98\x80") << true;
    QTest::newRow("two question marks, one code point") << "??" << QString::fromUtf8("\xF0\x9F\x98\x80") << false;
    QTest::newRow("set") << "[abc]" << "b" << true;
    QTest::newRow("set, not in it") << "[abc]" << "d" << false;
    QTest::newRow("range") << "[a-c]x" << "bx" << true;
    QTest::newRow("range, outside") << "[a-c]x" << "dx" << false;
    QTest::newRow("inverted set") << "[^a-c]" << "d" << true;
    QTest::newRow("inverted set, inside") << "[^a-c]" << "b" << false;
    QTest::newRow("leading ] is a member") << "[]a]" << "]" << true;
    QTest::newRow("leading ] after ^") << "[^]a]" << "]" << false;
    // SQLite starts no range at a leading ']': "]-a" is ']', '-' and 'a', not ']'..'a'.
    QTest::newRow("leading ] starts no range") << "[]-a]" << "_" << false;
    QTest::newRow("leading ], '-' is a member") << "[]-a]" << "-" << true;
    QTest::newRow("trailing - is a member") << "[a-]" << "-" << true;
    QTest::newRow("range after a range needs its own start") << "[a-c-e]" << "d" << false;
    QTest::newRow("range after a range, '-'") << "[a-c-e]" << "-" << true;
    QTest::newRow("unterminated set matches nothing") << "[abc" << "a" << false;
    QTest::newRow("unterminated set after star") << "*[a" << "xxa" << false;
    QTest::newRow("range of code points beyond the BMP")
        << QString::fromUtf8("[\xF0\x9F\x98\x80-\xF0\x9F\x98\x8F]") << QString::fromUtf8("\xF0\x9F\x98\x85") << true;
    QTest::newRow("set holding a non-BMP code point, other one")
        << QString::fromUtf8("[\xF0\x9F\x98\x80]") << QString::fromUtf8("\xF0\x9F\x98\x81") << false;
    QTest::newRow("accented") << QString::fromUtf8("caf[\xC3\xA9]") << QString::fromUtf8("caf\xC3\xA9") << true;
    // What UTF-8 makes of them, as bound: a lone surrogate becomes '?', a NUL ends the string.
    QTest::newRow("lone surrogate in the pattern is a wildcard") << QStringLiteral("a") + QChar(0xD800) + QStringLiteral("c") << "abc" << true;
    QTest::newRow("lone surrogate in the text is '?'") << "a[?]c" << QStringLiteral("a") + QChar(0xDC00) + QStringLiteral("c") << true;
    QTest::newRow("NUL ends the pattern") << QString::fromLatin1("ab\0c*", 5) << "ab" << true;
    QTest::newRow("NUL ends the text") << "ab" << QString::fromLatin1("ab\0cd", 5) << true;
    // SQLite reads U+FFFE and U+FFFF as U+FFFD, in the pattern and in the text.
    QTest::newRow("U+FFFE reads as U+FFFD") << QString(QChar(0xFFFD)) << QString(QChar(0xFFFE)) << true;
    QTest::newRow("U+FFFF in a set") << QStringLiteral("[") + QChar(0xFFFF) + QStringLiteral("]") << QString(QChar(0xFFFD)) << true;
    QTest::newRow("U+FFFF not outside U+FFFD") << QStringLiteral("[^") + QChar(0xFFFD) + QStringLiteral("]") << QString(QChar(0xFFFF))
                                               << false;
}

void tst_EventFilter::globMatchesAsSqlite()
{
    QFETCH(QString, pattern);
    QFETCH(QString, text);
    QFETCH(bool, matches);
    QCOMPARE(sqliteGlob(pattern, text), matches);   // the expectation itself is SQLite's
    QCOMPARE(EventFilter::globMatch(pattern, text), matches);
}

void tst_EventFilter::generatedGlobsMatchAsSqlite()
{
    // Short patterns and texts over an alphabet full of GLOB's special characters, a character
    // outside ASCII, one outside the BMP (a surrogate pair in UTF-16), and U+FFFD and U+FFFE
    // (which SQLite reads as U+FFFD).
    const QStringList alphabet = {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("-"), QStringLiteral("]"),
                                  QStringLiteral("["), QStringLiteral("^"), QStringLiteral("*"), QStringLiteral("?"),
                                  QString::fromUtf8("\xC3\xA9"), QString::fromUtf8("\xF0\x9F\x98\x80"),
                                  QString(QChar(0xFFFD)), QString(QChar(0xFFFE))};
    QRandomGenerator random(20261207);
    const auto word = [&](int maxLength, int specials) {
        QString out;
        const int length = int(random.bounded(maxLength + 1));
        for (int i = 0; i < length; ++i) {
            // Texts draw from fewer special characters, so more of them can match.
            const int pick = int(random.bounded(alphabet.size() - specials));
            out += alphabet.at(pick < 2 ? pick : pick + specials);
        }
        return out;
    };
    int matched = 0;
    const int cases = 40000;
    for (int i = 0; i < cases; ++i) {
        const QString pattern = word(7, 0);
        const QString text = i % 2 ? word(6, 0) : word(6, 6);   // half without [ ] ^ * ? -
        const bool expected = sqliteGlob(pattern, text);
        if (EventFilter::globMatch(pattern, text) != expected) {
            QFAIL(qPrintable(QStringLiteral("'%1' GLOB '%2': SQLite says %3")
                                 .arg(text, pattern, expected ? QStringLiteral("yes") : QStringLiteral("no"))));
        }
        matched += expected ? 1 : 0;
    }
    // Both outcomes are well represented, or the comparison says little.
    QVERIFY2(matched > cases / 50 && matched < cases - cases / 50, qPrintable(QString::number(matched)));
}

void tst_EventFilter::filtersTypeAndSubject()
{
    RecordedEvent event;
    event.stream = QStringLiteral("products-p-42");
    event.type = QStringLiteral("products.created");

    QVERIFY(EventFilter{}.matches(event));
    QVERIFY((EventFilter{QStringLiteral("products.*"), QString()}.matches(event)));
    QVERIFY(!(EventFilter{QStringLiteral("orders.*"), QString()}.matches(event)));
    // The subject is the entity id, without the collection's stream prefix.
    QVERIFY((EventFilter{QString(), QStringLiteral("p-4?")}.matches(event)));
    QVERIFY(!(EventFilter{QString(), QStringLiteral("products-p-42")}.matches(event)));
    QVERIFY((EventFilter{QStringLiteral("*.created"), QStringLiteral("p-[0-9]*")}.matches(event)));
    QVERIFY(!(EventFilter{QStringLiteral("*.created"), QStringLiteral("q-*")}.matches(event)));

    // A stream not named after the type's collection is its own subject.
    event.stream = QStringLiteral("legacy");
    QVERIFY((EventFilter{QString(), QStringLiteral("legacy")}.matches(event)));
}

QTEST_GUILESS_MAIN(tst_EventFilter)
#include "tst_eventfilter.moc"
