// The load generator's HTTP/1.1 response parser: every framing a server may use (Content-Length,
// chunked with extensions and trailers, the end of the connection, interim 1xx, bodiless
// statuses and HEAD), keep-alive as HTTP/1.0 and 1.1 define it, and a clear error -- never a
// guess -- for what is malformed or over a limit. Each row is fed whole and byte by byte.
#include "simulation/httpresponseparser.h"

#include <QtTest>

using namespace Gatehouse::Simulation;
using State = HttpResponseParser::State;

Q_DECLARE_METATYPE(HttpResponseParser::State)

class tst_HttpResponseParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void pipelinedResponsesStayApart();
    void streamedBodyIsTakenAsItComes();
};

void tst_HttpResponseParser::parse_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<bool>("head");        // the request was HEAD
    QTest::addColumn<bool>("eof");         // the connection ends after the input
    QTest::addColumn<State>("state");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("keepAlive");
    QTest::addColumn<QByteArray>("error");

    const QByteArray none;
    QTest::newRow("content-length") << QByteArray("HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\n\r\nhello") << false << false
                                    << State::Done << 202 << QByteArray("hello") << true << none;
    QTest::newRow("no reason phrase") << QByteArray("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n") << false << false
                                      << State::Done << 200 << QByteArray() << true << none;
    QTest::newRow("chunked, extensions, trailers")
        << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-T: 1\r\n\r\n")
        << false << false << State::Done << 200 << QByteArray("hello, world!!!") << true << none;
    QTest::newRow("until the connection ends") << QByteArray("HTTP/1.1 200 OK\r\n\r\nstreamed") << false << true
                                               << State::Done << 200 << QByteArray("streamed") << false << none;
    QTest::newRow("100 Continue first") << QByteArray("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}")
                                        << false << false << State::Done << 201 << QByteArray("{}") << true << none;
    QTest::newRow("204 has no body") << QByteArray("HTTP/1.1 204 No Content\r\n\r\n") << false << false
                                     << State::Done << 204 << QByteArray() << true << none;
    QTest::newRow("HEAD has no body") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n") << true << false
                                      << State::Done << 200 << QByteArray() << true << none;
    QTest::newRow("Connection: close") << QByteArray("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx") << false << false
                                       << State::Done << 200 << QByteArray("x") << false << none;
    QTest::newRow("HTTP/1.0 closes") << QByteArray("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx") << false << false
                                     << State::Done << 200 << QByteArray("x") << false << none;
    QTest::newRow("HTTP/1.0 keep-alive") << QByteArray("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx")
                                         << false << false << State::Done << 200 << QByteArray("x") << true << none;
    QTest::newRow("incomplete body") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello") << false << false
                                     << State::Body << 200 << QByteArray("hello") << true << none;

    QTest::newRow("not HTTP") << QByteArray("SSH-2.0-OpenSSH\r\n\r\n") << false << false
                              << State::Error << 0 << QByteArray() << true << QByteArray("malformed status line");
    QTest::newRow("HTTP/2 status line") << QByteArray("HTTP/2 200\r\n\r\n") << false << false
                                        << State::Error << 0 << QByteArray() << true << QByteArray("malformed status line");
    QTest::newRow("status not a number") << QByteArray("HTTP/1.1 2x0 OK\r\n\r\n") << false << false
                                         << State::Error << 0 << QByteArray() << true << QByteArray("malformed status code");
    QTest::newRow("header without a name") << QByteArray("HTTP/1.1 200 OK\r\n: x\r\n\r\n") << false << false
                                           << State::Error << 200 << QByteArray() << true << QByteArray("malformed header line");
    QTest::newRow("header with a space in its name") << QByteArray("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n") << false << false
                                                     << State::Error << 200 << QByteArray() << true << QByteArray("malformed header line");
    QTest::newRow("Content-Length and chunked")
        << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n") << false << false
        << State::Error << 200 << QByteArray() << true << QByteArray("both Content-Length and chunked");
    QTest::newRow("two Content-Lengths") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n") << false << false
                                         << State::Error << 200 << QByteArray() << true << QByteArray("conflicting Content-Length headers");
    QTest::newRow("negative Content-Length") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n") << false << false
                                             << State::Error << 200 << QByteArray() << true << QByteArray("malformed Content-Length");
    QTest::newRow("Content-Length over the limit")
        << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: " + QByteArray::number(HttpResponseParser::kMaxBodyBytes + 1) + "\r\n\r\n")
        << false << false << State::Error << 200 << QByteArray() << true << QByteArray("response body too large");
    QTest::newRow("gzip transfer coding") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n") << false << false
                                          << State::Error << 200 << QByteArray() << true << QByteArray("unsupported Transfer-Encoding");
    QTest::newRow("chunk size not hex") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") << false << false
                                        << State::Error << 200 << QByteArray() << true << QByteArray("malformed chunk size");
    QTest::newRow("chunk size with a sign") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n") << false << false
                                            << State::Error << 200 << QByteArray() << true << QByteArray("malformed chunk size");
    QTest::newRow("chunk longer than its size")
        << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n") << false << false
        << State::Error << 200 << QByteArray("ab") << true << QByteArray("chunk not followed by CRLF");
    QTest::newRow("head over the limit") << QByteArray("HTTP/1.1 200 OK\r\nX: " + QByteArray(HttpResponseParser::kMaxHeadBytes, 'a'))
                                         << false << false << State::Error << 0 << QByteArray() << true << QByteArray("response head too large");
    QTest::newRow("cut in the body") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello") << false << true
                                     << State::Error << 200 << QByteArray("hello") << true
                                     << QByteArray("connection closed in the middle of a response");
    QTest::newRow("closed before answering") << QByteArray() << false << true << State::Error << 0 << QByteArray() << true
                                             << QByteArray("connection closed before a response");
}

void tst_HttpResponseParser::parse()
{
    QFETCH(QByteArray, input);
    QFETCH(bool, head);
    QFETCH(bool, eof);
    QFETCH(State, state);
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(bool, keepAlive);
    QFETCH(QByteArray, error);
    for (const bool byteByByte : {false, true}) {
        HttpResponseParser parser;
        parser.reset(head);
        QByteArray buffer;
        State got = State::Head;
        if (byteByByte) {
            for (const char c : input) {
                buffer += c;
                got = parser.feed(buffer);
                if (got == State::Done || got == State::Error)
                    break;
            }
        } else {
            buffer = input;
            got = parser.feed(buffer);
        }
        if (eof && got != State::Done && got != State::Error)
            got = parser.finishAtEof();
        QCOMPARE(got, state);
        QCOMPARE(parser.response().status, status);
        QCOMPARE(QByteArray(parser.error()), error);
        if (state != State::Error) {
            QCOMPARE(parser.response().body, body);
            QCOMPARE(parser.response().keepAlive, keepAlive);
        }
    }
}

void tst_HttpResponseParser::pipelinedResponsesStayApart()
{
    QByteArray buffer("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nX-Id: 1\r\n\r\naHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nbc");
    HttpResponseParser parser;
    parser.reset(false);
    QCOMPARE(parser.feed(buffer), State::Done);
    const HttpResponseParser::Response first = parser.takeResponse();
    QCOMPARE(first.body, QByteArray("a"));
    QCOMPARE(first.header("x-id"), QByteArray("1"));
    parser.reset(false);
    QCOMPARE(parser.feed(buffer), State::Done);
    QCOMPARE(parser.response().status, 404);
    QCOMPARE(parser.response().body, QByteArray("bc"));
    QVERIFY(buffer.isEmpty());
}

// Server-Sent Events: the chunked body is read as it arrives, never complete.
void tst_HttpResponseParser::streamedBodyIsTakenAsItComes()
{
    HttpResponseParser parser;
    parser.reset(false);
    QByteArray buffer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nid: 1\n\r\n6\r\nid:");
    QCOMPARE(parser.feed(buffer), State::Body);
    QCOMPARE(parser.takeBody(), QByteArray("id: 1\nid:"));
    buffer += " 2\n\r\n";
    QCOMPARE(parser.feed(buffer), State::Body);
    QCOMPARE(parser.takeBody(), QByteArray(" 2\n"));
}

QTEST_GUILESS_MAIN(tst_HttpResponseParser)
#include "tst_httpresponseparser.moc"
