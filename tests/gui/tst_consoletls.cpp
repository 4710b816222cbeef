// The console with an engine whose gateway speaks TLS (a certificate made by the openssl command
// at test time, trusted by nobody but the console, which knows it is its engine's): the request
// tester sends over HTTPS and verifies the certificate, shows the https:// base, and a copied
// curl command names the certificate (--cacert) so it works as copied; a simulation started
// from the console loads the gateway over HTTPS, and its WebSocket and SSE subscribers see the
// events over WSS and TLS, verifying the engine's certificate.

#include "guifixture.h"
#include "http/httptls.h"
#include "testcertificate.h"
#include "simulation/simulationservice.h"
#include "widgets/requesttesterwidget.h"

#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

class tst_ConsoleTls : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void requestTesterSpeaksHttpsToItsEngine();
    void simulationsLoadTheTlsGateway();

private:
    bool startWithTls(Test::GuiFixture &f);
};

bool tst_ConsoleTls::startWithTls(Test::GuiFixture &f)
{
    const QString cert = f.dir.path() + u"/cert.pem"_s, key = f.dir.path() + u"/key.pem"_s;
    QString error;
    if (!Test::makeSelfSignedCertificate(cert, key, u"console-test"_s, false, &error)) {
        qWarning("%s", qPrintable(error));
        return false;
    }
    f.gatewayTls = Http::HttpTls::load(cert, key, &error);
    if (!f.gatewayTls) {
        qWarning("%s", qPrintable(error));
        return false;
    }
    return f.start();
}

void tst_ConsoleTls::requestTesterSpeaksHttpsToItsEngine()
{
    Test::GuiFixture f;
    QVERIFY(startWithTls(f));
    const QString cert = f.gatewayTls->certificateFile();
    QVERIFY(f.client->gatewayUrl().startsWith(u"https://127.0.0.1:"_s));

    Ui::RequestTesterWidget tester(f.client.get());
    QCOMPARE(tester.findChild<QLabel *>(u"requestTesterBase"_s)->text(), f.client->gatewayUrl());
    QSignalSpy finished(&tester, &Ui::RequestTesterWidget::finished);
    tester.setRequest("GET", u"/api/products?limit=1"_s);
    tester.send();
    QVERIFY(QTest::qWaitFor([&] { return !finished.isEmpty(); }, 15000));
    QCOMPARE(tester.lastStatus(), 200);

    const QString curl = tester.curlCommand();
    QVERIFY2(curl.contains(u"--cacert '"_s + cert + u'\'') && curl.contains(f.client->gatewayUrl() + u"/api/products"_s), qPrintable(curl));
    // The command as copied works: curl verifies the engine's certificate with it.
    QProcess shell;
    shell.start(u"sh"_s, {u"-c"_s, curl + u" -sS -o /dev/null -w '%{http_code}'"_s});
    QVERIFY(shell.waitForStarted());
    while (shell.state() != QProcess::NotRunning)
        QTest::qWait(20);   // the engine answers from this thread's event loop
    QCOMPARE(shell.readAllStandardOutput(), QByteArray("200"));

    // Without the engine's certificate a client does not trust it: the tester's trust is its own.
    shell.start(u"sh"_s, {u"-c"_s, u"curl -sS -o /dev/null "_s + f.client->gatewayUrl() + u"/api/products"_s});
    QVERIFY(shell.waitForStarted());
    while (shell.state() != QProcess::NotRunning)
        QTest::qWait(20);
    QCOMPARE(shell.exitCode(), 60);
}

void tst_ConsoleTls::simulationsLoadTheTlsGateway()
{
    Test::GuiFixture f;
    QVERIFY(startWithTls(f));
    const QJsonObject scenario = QJsonDocument::fromJson(R"({
        "seed": 3, "duration": "2s",
        "workloads": [{"name": "w", "executor": "constant-arrival-rate", "rate": 20, "time_unit": "1s",
                       "pre_allocated_vus": 2, "max_vus": 4,
                       "operations": [{"op": "create", "collection": "products"}]}],
        "subscribers": [{"protocol": "websocket", "connections": 1, "collections": ["products"]},
                        {"protocol": "sse", "connections": 1, "collections": ["products"]}],
        "thresholds": {"errors": ["rate<0.01"], "consistency_lag{via:websocket}": ["p(99)<60000"],
                       "consistency_lag{via:sse}": ["p(99)<60000"]}
    })").object();
    const auto started = f.engine.simulations()->startDocument(scenario, u"tls"_s);
    QVERIFY2(started.status == 201, qPrintable(started.detail + started.errors.join(u"; "_s)));
    // Asked for the moment it is no longer active, the run has its whole report (it is served
    // from memory until simulation.db has it).
    QDeadlineTimer deadline(60000);
    while (!f.engine.simulations()->activeRunId().isEmpty() && !deadline.hasExpired())
        QTest::qWait(1);
    QVERIFY(f.engine.simulations()->activeRunId().isEmpty());
    const QJsonObject report = f.engine.simulations()->run(started.runId).value_or(QJsonObject());
    QCOMPARE(report.value(u"state"_s).toString(), u"finished"_s);
    QVERIFY2(report.value(u"passed"_s).toBool(), QJsonDocument(report.value(u"thresholds"_s).toArray()).toJson().constData());
    QVERIFY(report.value(u"target"_s).toString().startsWith(u"https://"_s));
    QVERIFY(report.value(u"totals"_s).toObject().value(u"requests"_s).toInteger() > 0);
    QCOMPARE(report.value(u"totals"_s).toObject().value(u"failed"_s).toInteger(), 0);
    const QJsonObject lag = report.value(u"consistency_lag"_s).toObject();
    QVERIFY2(lag.value(u"websocket"_s).toObject().value(u"samples"_s).toInteger() > 0, QJsonDocument(lag).toJson().constData());
    QVERIFY2(lag.value(u"sse"_s).toObject().value(u"samples"_s).toInteger() > 0, QJsonDocument(lag).toJson().constData());
}

QTEST_MAIN(tst_ConsoleTls)
#include "tst_consoletls.moc"
