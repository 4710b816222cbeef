// PostgresUrl::parse: what `--database` accepts, and a clear error naming the part for what it
// does not.

#include "sql/postgresurl.h"

#include <QTest>

using namespace Gatehouse;

class tst_PostgresUrl : public QObject
{
    Q_OBJECT

private slots:
    void good_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("password");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::addColumn<QString>("database");
        QTest::addColumn<QString>("sslMode");
        QTest::addColumn<int>("timeout");

        QTest::newRow("minimal") << "postgresql://gh@db.example/events" << "gh" << "" << "db.example" << 5432 << "events" << "" << 10;
        QTest::newRow("short scheme") << "postgres://gh@localhost/x" << "gh" << "" << "localhost" << 5432 << "x" << "" << 10;
        QTest::newRow("scheme in capitals") << "PostgreSQL://gh@localhost/x" << "gh" << "" << "localhost" << 5432 << "x" << "" << 10;
        QTest::newRow("port and password") << "postgresql://gh:s3cret@10.0.0.7:6543/main" << "gh" << "s3cret" << "10.0.0.7" << 6543 << "main" << "" << 10;
        QTest::newRow("port 1") << "postgresql://u@h:1/d" << "u" << "" << "h" << 1 << "d" << "" << 10;
        QTest::newRow("port 65535") << "postgresql://u@h:65535/d" << "u" << "" << "h" << 65535 << "d" << "" << 10;
        QTest::newRow("ipv6") << "postgresql://u@[::1]:5433/d" << "u" << "" << "::1" << 5433 << "d" << "" << 10;
        QTest::newRow("ipv6 without port") << "postgresql://u@[fe80::1:2]/d" << "u" << "" << "fe80::1:2" << 5432 << "d" << "" << 10;
        QTest::newRow("percent-encoded") << "postgresql://us%40er:p%3Aw%2F%25d@h/my%20db" << "us@er" << "p:w/%d" << "h" << 5432 << "my db" << "" << 10;
        QTest::newRow("utf-8 escapes") << "postgresql://j%C3%BCrgen@h/d%C3%A9j%C3%A0" << QStringLiteral("j\u00fcrgen") << "" << "h" << 5432 << QStringLiteral("d\u00e9j\u00e0") << "" << 10;
        QTest::newRow("colon in password") << "postgresql://u:a:b@h/d" << "u" << "a:b" << "h" << 5432 << "d" << "" << 10;
        QTest::newRow("sslmode") << "postgresql://u@h/d?sslmode=verify-full" << "u" << "" << "h" << 5432 << "d" << "verify-full" << 10;
        QTest::newRow("connect_timeout") << "postgresql://u@h/d?connect_timeout=3" << "u" << "" << "h" << 5432 << "d" << "" << 3;
        QTest::newRow("connect_timeout max") << "postgresql://u@h/d?connect_timeout=600" << "u" << "" << "h" << 5432 << "d" << "" << 600;
        QTest::newRow("both parameters") << "postgresql://u@h/d?connect_timeout=1&sslmode=disable" << "u" << "" << "h" << 5432 << "d" << "disable" << 1;
        QTest::newRow("socket directory") << "postgresql://u@/d?host=/var/run/postgresql" << "u" << "" << "/var/run/postgresql" << 5432 << "d" << "" << 10;
        QTest::newRow("socket directory and port") << "postgresql://u@:5433/d?host=%2Ftmp%2Fpg" << "u" << "" << "/tmp/pg" << 5433 << "d" << "" << 10;
        QTest::newRow("underscore host") << "postgresql://u@pg_primary/d" << "u" << "" << "pg_primary" << 5432 << "d" << "" << 10;
        QTest::newRow("63-byte names") << QStringLiteral("postgresql://%1@h/%1").arg(QString(63, u'n')) << QString(63, u'n') << "" << "h" << 5432 << QString(63, u'n') << "" << 10;
    }

    void good()
    {
        QFETCH(QString, text);
        QString error;
        const auto url = PostgresUrl::parse(text, &error);
        QVERIFY2(url, qPrintable(error));
        QTEST(url->user, "user");
        QTEST(url->password, "password");
        QTEST(url->host, "host");
        QTEST(url->port, "port");
        QTEST(url->database, "database");
        QTEST(url->sslMode, "sslMode");
        QTEST(url->connectTimeoutS, "timeout");

        // toString() reads back as the same location; redacted() never shows the password.
        const auto again = PostgresUrl::parse(url->toString(), &error);
        QVERIFY2(again, qPrintable(url->toString() + u' ' + error));
        QCOMPARE(again->user, url->user);
        QCOMPARE(again->password, url->password);
        QCOMPARE(again->host, url->host);
        QCOMPARE(again->port, url->port);
        QCOMPARE(again->database, url->database);
        QCOMPARE(again->sslMode, url->sslMode);
        QCOMPARE(again->connectTimeoutS, url->connectTimeoutS);
        if (!url->password.isEmpty()) {
            QVERIFY(!url->redacted().contains(QStringLiteral("s3cret")));
            const auto redacted = PostgresUrl::parse(url->redacted(), &error);
            QVERIFY2(redacted, qPrintable(error));
            QVERIFY(redacted->password.isEmpty());
        }
    }

    void bad_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");   // a part of the error message

        QTest::newRow("empty") << "" << "postgresql://";
        QTest::newRow("no scheme") << "gh@h/d" << "postgresql://";
        QTest::newRow("other scheme") << "mysql://gh@h/d" << "postgresql://";
        QTest::newRow("scheme prefix") << "xpostgresql://gh@h/d" << "postgresql://";
        QTest::newRow("one slash") << "postgresql:/gh@h/d" << "postgresql://";
        QTest::newRow("leading space") << " postgresql://gh@h/d" << "offset 0";
        QTest::newRow("trailing newline") << "postgresql://gh@h/d\n" << "offset 19";
        QTest::newRow("space inside") << "postgresql://g h@h/d" << "offset 14";
        QTest::newRow("tab") << "postgresql://gh@h/d\tx" << "offset";
        QTest::newRow("nul") << QStringLiteral("postgresql://gh@h/d") + QChar(0) << "offset";
        QTest::newRow("raw non-ascii") << QStringLiteral("postgresql://j\u00fcrgen@h/d") << "non-ASCII";
        QTest::newRow("no user") << "postgresql://h/d" << "no user";
        QTest::newRow("empty user") << "postgresql://@h/d" << "user name is empty";
        QTest::newRow("empty user with password") << "postgresql://:pw@h/d" << "user name is empty";
        QTest::newRow("empty password") << "postgresql://u:@h/d" << "password";
        QTest::newRow("two @") << "postgresql://u@x@h/d" << "more than one '@'";
        QTest::newRow("no database") << "postgresql://u@h" << "no database";
        QTest::newRow("empty database") << "postgresql://u@h/" << "database name is empty";
        QTest::newRow("database with slash") << "postgresql://u@h/a/b" << "contains '/'";
        QTest::newRow("empty host") << "postgresql://u@/d" << "host is empty";
        QTest::newRow("empty host with port") << "postgresql://u@:5432/d" << "host is empty";
        QTest::newRow("bad host chars") << "postgresql://u@h!st/d" << "not a host name";
        QTest::newRow("host label too long") << QStringLiteral("postgresql://u@%1.com/d").arg(QString(64, u'a')) << "not a host name";
        QTest::newRow("host starts with dash") << "postgresql://u@-h/d" << "not a host name";
        QTest::newRow("host double dot") << "postgresql://u@a..b/d" << "not a host name";
        QTest::newRow("host percent") << "postgresql://u@h%41/d" << "not a host name";
        QTest::newRow("ipv6 without brackets") << "postgresql://u@::1/d" << "brackets";
        QTest::newRow("ipv6 unclosed") << "postgresql://u@[::1/d" << "IPv6";
        QTest::newRow("ipv6 garbage") << "postgresql://u@[zz::1]/d" << "IPv6";
        QTest::newRow("ipv6 trailing text") << "postgresql://u@[::1]x/d" << "after the IPv6";
        QTest::newRow("empty port") << "postgresql://u@h:/d" << "port";
        QTest::newRow("port 0") << "postgresql://u@h:0/d" << "port";
        QTest::newRow("port 65536") << "postgresql://u@h:65536/d" << "port";
        QTest::newRow("port huge") << "postgresql://u@h:99999999999999999999/d" << "port";
        QTest::newRow("port negative") << "postgresql://u@h:-1/d" << "port";
        QTest::newRow("port plus") << "postgresql://u@h:+5432/d" << "port";
        QTest::newRow("port hex") << "postgresql://u@h:0x10/d" << "port";
        QTest::newRow("port letters") << "postgresql://u@h:abc/d" << "port";
        QTest::newRow("two ports") << "postgresql://u@h:1:2/d" << "brackets";
        QTest::newRow("fragment") << "postgresql://u@h/d#x" << "fragment";
        QTest::newRow("unknown parameter") << "postgresql://u@h/d?options=-c" << "unknown parameter 'options'";
        QTest::newRow("password parameter") << "postgresql://u@h/d?password=x" << "unknown parameter 'password'";
        QTest::newRow("empty query") << "postgresql://u@h/d?" << "name=value";
        QTest::newRow("query without value") << "postgresql://u@h/d?sslmode" << "name=value";
        QTest::newRow("query empty name") << "postgresql://u@h/d?=x" << "name=value";
        QTest::newRow("query trailing &") << "postgresql://u@h/d?sslmode=disable&" << "name=value";
        QTest::newRow("query empty value") << "postgresql://u@h/d?sslmode=" << "empty";
        QTest::newRow("duplicate parameter") << "postgresql://u@h/d?sslmode=disable&sslmode=require" << "twice";
        QTest::newRow("bad sslmode") << "postgresql://u@h/d?sslmode=maybe" << "sslmode must be";
        QTest::newRow("sslmode case") << "postgresql://u@h/d?sslmode=REQUIRE" << "sslmode must be";
        QTest::newRow("connect_timeout 0") << "postgresql://u@h/d?connect_timeout=0" << "connect_timeout";
        QTest::newRow("connect_timeout 601") << "postgresql://u@h/d?connect_timeout=601" << "connect_timeout";
        QTest::newRow("connect_timeout huge") << "postgresql://u@h/d?connect_timeout=99999999999" << "connect_timeout";
        QTest::newRow("connect_timeout negative") << "postgresql://u@h/d?connect_timeout=-5" << "connect_timeout";
        QTest::newRow("connect_timeout fraction") << "postgresql://u@h/d?connect_timeout=1.5" << "connect_timeout";
        QTest::newRow("socket dir relative") << "postgresql://u@/d?host=tmp" << "absolute path";
        QTest::newRow("host and socket dir") << "postgresql://u@h/d?host=/tmp" << "both a host";
        QTest::newRow("percent at end") << "postgresql://u@h/d%" << "two hex digits";
        QTest::newRow("percent one digit") << "postgresql://u@h/d%4" << "two hex digits";
        QTest::newRow("percent not hex") << "postgresql://u@h/d%zz" << "two hex digits";
        QTest::newRow("percent in user") << "postgresql://u%g0@h/d" << "two hex digits";
        QTest::newRow("escaped nul") << "postgresql://u@h/d%00x" << "control character";
        QTest::newRow("escaped newline") << "postgresql://u%0A@h/d" << "control character";
        QTest::newRow("escaped del") << "postgresql://u@h/d%7F" << "control character";
        QTest::newRow("invalid utf-8") << "postgresql://u@h/d%C3" << "UTF-8";
        QTest::newRow("overlong utf-8") << "postgresql://u@h/%C0%AF" << "UTF-8";
        QTest::newRow("utf-16 surrogate") << "postgresql://u@h/%ED%A0%80" << "UTF-8";
        QTest::newRow("invalid utf-8 password") << "postgresql://u:%FF@h/d" << "UTF-8";
        QTest::newRow("raw bracket in user") << "postgresql://u[1]@h/d" << "percent-encoded";
        QTest::newRow("raw colon in database") << "postgresql://u@h/a:b" << "percent-encoded";
        QTest::newRow("raw at in password") << "postgresql://u:p@ss@h/d" << "more than one '@'";
        QTest::newRow("user too long") << QStringLiteral("postgresql://%1@h/d").arg(QString(64, u'u')) << "longer than 63 bytes";
        QTest::newRow("database too long") << QStringLiteral("postgresql://u@h/%1").arg(QString(64, u'd')) << "longer than 63 bytes";
        QTest::newRow("encoded database too long") << QStringLiteral("postgresql://u@h/%1").arg(QString(32, u'x').replace(QStringLiteral("x"), QStringLiteral("%C3%A9"))) << "longer than 63 bytes";
        QTest::newRow("text too long") << QStringLiteral("postgresql://u:%1@h/d").arg(QString(2100, u'p')) << "longer than 2048";
    }

    void bad()
    {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        QString error;
        const auto url = PostgresUrl::parse(text, &error);
        QVERIFY2(!url, qPrintable(url ? url->toString() : QString()));
        QVERIFY2(error.startsWith(QStringLiteral("invalid PostgreSQL URL: ")), qPrintable(error));
        QVERIFY2(error.contains(expected), qPrintable(error));
        // The error never echoes a password back.
        if (text.contains(QStringLiteral("s3cret")))
            QVERIFY(!error.contains(QStringLiteral("s3cret")));
    }

    void redactedHidesPassword()
    {
        QString error;
        const auto url = PostgresUrl::parse(QStringLiteral("postgresql://gh:s3cret@db:6000/main?sslmode=require"), &error);
        QVERIFY2(url, qPrintable(error));
        QCOMPARE(url->redacted(), QStringLiteral("postgresql://gh@db:6000/main?sslmode=require"));
        QCOMPARE(url->toString(), QStringLiteral("postgresql://gh:s3cret@db:6000/main?sslmode=require"));
    }

    void withDatabase()
    {
        QString error;
        const auto url = PostgresUrl::parse(QStringLiteral("postgresql://gh:pw@db:6000/main?connect_timeout=4"), &error);
        QVERIFY2(url, qPrintable(error));
        const PostgresUrl other = url->withDatabase(QStringLiteral("test 1"));
        QCOMPARE(other.database, QStringLiteral("test 1"));
        QCOMPARE(other.host, url->host);
        QCOMPARE(other.password, url->password);
        QCOMPARE(other.connectTimeoutS, 4);
        QCOMPARE(other.toString(), QStringLiteral("postgresql://gh:pw@db:6000/test%201?connect_timeout=4"));
    }
};

QTEST_GUILESS_MAIN(tst_PostgresUrl)
#include "tst_postgresurl.moc"
