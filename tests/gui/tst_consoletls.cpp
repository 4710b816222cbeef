// The console with an engine whose gateway speaks TLS (a certificate made by the openssl command
// at test time, trusted by nobody but the console, which knows it is its engine's): the request
// tester sends over HTTPS and verifies the certificate, shows the https:// base, and a copied
// curl command names the certificate (--cacert) so it works as copied.

#include "guifixture.h"
#include "http/httptls.h"
#include "widgets/requesttesterwidget.h"

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
};

void tst_ConsoleTls::requestTesterSpeaksHttpsToItsEngine()
{
    Test::GuiFixture f;
    const QString cert = f.dir.path() + u"/cert.pem"_s, key = f.dir.path() + u"/key.pem"_s;
    QProcess openssl;
    openssl.start(u"openssl"_s, {u"req"_s, u"-x509"_s, u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s, u"ec_paramgen_curve:prime256v1"_s, u"-nodes"_s,
                                 u"-days"_s, u"2"_s, u"-subj"_s, u"/CN=console-test"_s, u"-addext"_s,
                                 u"subjectAltName=DNS:localhost,IP:127.0.0.1"_s, u"-keyout"_s, key, u"-out"_s, cert});
    QVERIFY2(openssl.waitForFinished(60000) && openssl.exitCode() == 0, openssl.readAllStandardError().constData());
    QString error;
    f.gatewayTls = Http::HttpTls::load(cert, key, &error);
    QVERIFY2(f.gatewayTls, qPrintable(error));
    QVERIFY(f.start());
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

QTEST_MAIN(tst_ConsoleTls)
#include "tst_consoletls.moc"
