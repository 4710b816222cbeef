// basic-auth and jwt-auth through a real Gateway: who gets in (the upstream sees the
// consumer), who gets 401 with which challenge, and what hide_credentials keeps from the
// upstream. JWT rows cover HS256/HS512, base64 secrets, RS256 (tokens made by the openssl
// command line), exp/nbf with leeway, alg "none", algorithm confusion and tampering. A
// credential in the query string (key-auth's apikey, jwt-auth's jwt) never reaches the
// engine's own upstreams, which reject unknown parameters; an external http upstream gets
// it unless hide_credentials is set (as in APISIX).
#include "gateway/plugins/jsonwebtoken.h"
#include "tst_plugin_bench.h"

#include <QDateTime>
#include <QMessageAuthenticationCode>

using namespace Gatehouse;
using namespace PluginBench;
using namespace Qt::StringLiterals;

namespace {

// A 2048-bit RSA key pair made with `openssl genrsa`, for the RS256 rows.
const QByteArray kPrivateKey = R"pem(-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCwys8o6XGZLwZd
hyUEXub9ORd60AbAhrh02GkmsXPGaprJzuKiCIC5kZ92l1FNwCNSi03OP8yu2cEi
yp6s0xfxyaU/TKbZ/RywOg1M6keqnZPhz4Du+8lpfzILzceSAabvIdUQYn3VyV73
TcuBYnlNiNrcibx6A7UtXoC3X4u8j/eh+eNaqylTCTncIHJUBxiLLeYrgNMTF06T
3XubBQmUYzpjgNu2OGFn7W3uV3LJxlsOf7ERAH0QyOVX4DLK9C7rjkEHQPhjTcCa
vVgqELPA4QnhVSr2qUHvbcV5Tp5tbuROnhBXlQwJWT5dFynpJs88kH3wGg9Webtg
/vdp6JI1AgMBAAECggEAQq3bgGS7sbjov7HPJlzc5jj4QBvh0A9/1qIg1rUrI3Tl
uKPNGqv2UQc5i7L6uUZ0jBd6WwX5HyGGFKczPZ/IcitJphw0+hbbESR0C8R5D0Kr
mgl3aauRhbaxm34bfVgeLCcogyuCpnVy2fd/f+cyNSoe0fspGSP424m/Jmpk+9L3
plpmeyHi7RDqpcmdki8UyfVskokaRQezgoWSEdZ+10K4sSsqI4hj4WdP0wvOhSyz
UqSVeQkWMMbrSIEYUtyNc5QSlVTQRbIXFJKTQ4mR1HnmSTpml7YYZq/EU7wY3jxE
gy/1sRaHIAXZUkY/LVpa9JVAYF0Z2ue2azSMmxbIaQKBgQDqlsdrhRyRm/Ik3eoz
Hutk+slrReE+TaKe6rVDyLoQmulMJYIj/O2ODzlBPlp+Gb1Grm2IDkWQs6AyeD/u
hfB6Bw7nVYfHMQL9gk0QVv+th6Wr6MRtmO0tpXMtJhWc4Udgj/RdSgoTL4c094Zf
wu9map9FWiD1nC40NwFpSMSzmwKBgQDA7ZjI7tg1VhGtv7dR/y8PAQf3p9vO3ylo
POAre3SUSbm6qpPSWrVSDdUTacB/RcMFWA5DzB+JmkYCBsANtdUo6IqjO951y3c5
7D0+a1g5QvMMPnI1q3yR7gzKtLJcb37ghuBKn+Hs/zge0DmCDJk3U1FNPcedAsF/
zRm0/fQ2bwKBgB8S092JJ0yeVIfPoVseKF4a3h1Ih1qCXB0ix9nvt73FV0vP2Bo+
QZVErPfYc5IqhKjdKAMSqOJO+NRWm1lUApOXZcD80lxvQI8l+GFGtN1ej3JjBcni
rOAT/1qmpcw/Bv5icyL8ULNT41v/wZvjrWRqkShVlPITuwcNljFFA1ErAoGACrQj
6eH2dN8VlAIy9YWm4ro36vGRLGUNMw9NkJwE18VPXJ/iG6WUsby6uZ0AZQ9FxqIg
CHrmtQeuIqalOR2BegeMyYmkyfxD3R7SNwhVmLeyLFe6lmexPZdrdkOYMbCt5V8W
So2cRz3Rq0P6LNDuHzesJxDqZjek7KZAat48ElkCgYAL9bKyCmRm/q7yi5a3+5O0
uGQcmGcBf3owIDdjIseTvHcV6VYCyc57SBZ2CEmtPQKAVCDvFQ7A4PE1H5pSwHGZ
QKD895au0TTSDwP41GcHBjSEL+mvSKOWDy51C5J3Q4WIe+GfDc9bzGWIfadHgHpn
vYGpAMcokEEX3Lva8Kzxtw==
-----END PRIVATE KEY-----
)pem";
const QByteArray kPublicKey = R"pem(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsMrPKOlxmS8GXYclBF7m
/TkXetAGwIa4dNhpJrFzxmqayc7iogiAuZGfdpdRTcAjUotNzj/MrtnBIsqerNMX
8cmlP0ym2f0csDoNTOpHqp2T4c+A7vvJaX8yC83HkgGm7yHVEGJ91cle903LgWJ5
TYja3Im8egO1LV6At1+LvI/3ofnjWqspUwk53CByVAcYiy3mK4DTExdOk917mwUJ
lGM6Y4DbtjhhZ+1t7ldyycZbDn+xEQB9EMjlV+AyyvQu645BB0D4Y03Amr1YKhCz
wOEJ4VUq9qlB723FeU6ebW7kTp4QV5UMCVk+XRcp6SbPPJB98BoPVnm7YP73aeiS
NQIDAQAB
-----END PUBLIC KEY-----
)pem";
const QByteArray kPublicKeyPkcs1 = R"pem(-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAsMrPKOlxmS8GXYclBF7m/TkXetAGwIa4dNhpJrFzxmqayc7iogiA
uZGfdpdRTcAjUotNzj/MrtnBIsqerNMX8cmlP0ym2f0csDoNTOpHqp2T4c+A7vvJ
aX8yC83HkgGm7yHVEGJ91cle903LgWJ5TYja3Im8egO1LV6At1+LvI/3ofnjWqsp
Uwk53CByVAcYiy3mK4DTExdOk917mwUJlGM6Y4DbtjhhZ+1t7ldyycZbDn+xEQB9
EMjlV+AyyvQu645BB0D4Y03Amr1YKhCzwOEJ4VUq9qlB723FeU6ebW7kTp4QV5UM
CVk+XRcp6SbPPJB98BoPVnm7YP73aeiSNQIDAQAB
-----END RSA PUBLIC KEY-----
)pem";
// Made with the openssl command line, independent of JsonWebToken: claims {"key":"rsa-user","exp":4102444800}.
const QByteArray kRs256Token = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJrZXkiOiJyc2EtdXNlciIsImV4cCI6NDEwMjQ0NDgwMH0.a5PLnS0eeP9HMnkJuQyu_sQ8h0dA2-NWPYtg2Ai1XdUZ0w8IQHgJPZ8t5UBdohNwMIRQnns6p2P1S_PE_dWHWKdHrP1bnGx9h5MzIc5VC6q8iVzW6skekzPfwWoFIQSc5Xe01_Jy5ob2fsqxOvklei_rqeyM4GfPLptQFumrmBntm4gpm_LcDvqUyfXkdnUvLKawresGAX0yOqQWa8_ssw8Isk7hBnrzakW_dLSqny0WG0ntkPhk8mOgmwhqxDJsIUt2qNJuua3I3j3AKg896AElT71bH7mLfx0yx9Soq20cuUawHiEzaCtVUzCgzu6wF8SeOI5FqmWlwHE1XgjtlQ";
// The same claims signed with another 2048-bit key.
const QByteArray kRs256OtherKeyToken = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJrZXkiOiJyc2EtdXNlciIsImV4cCI6NDEwMjQ0NDgwMH0.URsVe973j76VGJJ9Blk1YVyIOvIlFpzz3m0-MFjgwICKZMt2SJeK0SU5AgKmTGDIC8sX0rO8UrraJSHmtrvta1U1XTGxPcJmECBb-J24oGywsuGki6qe9y9KsCtQPIJX-45UEyflSovHg1rRlh43gsGUzxoactQcyrNr_aA68bwPBOBa_NjbMsHXSbe-se8neTYCcilFj3qw87fCm95HBpVvpvGWVx7zs0NeccBF5PhvhAtHOvFpEcK4qBmbLHpbJnpjDeeBOPkvNnErdUM2VjCBNp0Q9Mw06i6ASlV3FN_g981Tn-EDuwcMF00QWh-OATpb_0FhAhMUrynJjkQrtg";
// Claims {"key":"rsa-user","exp":1000000000}, signed with kPrivateKey.
const QByteArray kRs256ExpiredToken = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJrZXkiOiJyc2EtdXNlciIsImV4cCI6MTAwMDAwMDAwMH0.SJrxdXFHK9zKHFlICM6p2pNyU13FdXxroCXUdY5rDr8F_R9hQtCVgg6z0uQ0N-EhPHfh-PIkTKV-kNXaY_-m9zRyrIeBvjtSYc2q4LzOSJ51FMvf8ZJSkGxIAETqU-NMWMyjJUn-Q08B1QdvgKVv6fAneDZpb2sQixYT5qOE_4X9FxR7qevWM1GqI_8ldee9QmYFGyTcBl0lM0omLeg8UuY5vWfixF9Lk4UJd-EGk1iMkkrqi2KQfuuCYxHsLy53zsafa4wh3Dk5bJ7EhPq4lgqjeUXGc6oJYjpYGqa_finXOF_WnpLeJLEZXD7oUqZqPGjEHQyfFRusdtM-DRfplg";

QByteArray b64url(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

// A compact JWS made here, not by the code under test.
QByteArray hmacToken(const QJsonObject &claims, const QByteArray &secret, const QByteArray &alg = "HS256")
{
    const QByteArray input = b64url("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}") + '.' + b64url(QJsonDocument(claims).toJson(QJsonDocument::Compact));
    const auto hash = alg == "HS512" ? QCryptographicHash::Sha512 : alg == "HS384" ? QCryptographicHash::Sha384 : QCryptographicHash::Sha256;
    return input + '.' + b64url(QMessageAuthenticationCode::hash(input, secret, hash));
}

// The same, over claims given as raw JSON text (for claims no QJsonObject can hold).
QByteArray hmacRawToken(const QByteArray &claimsJson, const QByteArray &secret)
{
    const QByteArray input = b64url(R"({"alg":"HS256","typ":"JWT"})") + '.' + b64url(claimsJson);
    return input + '.' + b64url(QMessageAuthenticationCode::hash(input, secret, QCryptographicHash::Sha256));
}

qint64 now()
{
    return QDateTime::currentSecsSinceEpoch();
}

QByteArray consumers()
{
    auto jwt = [](const char *user, QJsonObject conf) {
        return QJsonObject{{u"username"_s, QString::fromLatin1(user)}, {u"plugins"_s, QJsonObject{{u"jwt-auth"_s, conf}}}};
    };
    const QJsonArray list{
        QJsonObject{{u"username"_s, u"ann"_s}, {u"plugins"_s, QJsonObject{{u"basic-auth"_s, QJsonObject{{u"username"_s, u"ann"_s}, {u"password"_s, u"s3cret"_s}}}}}},
        QJsonObject{{u"username"_s, u"bob"_s}, {u"plugins"_s, QJsonObject{{u"basic-auth"_s, QJsonObject{{u"username"_s, u"bob"_s}, {u"password"_s, u"pa:ss"_s}}}}}},
        jwt("hs", {{u"key"_s, u"hs-key"_s}, {u"secret"_s, u"hs-secret"_s}}),
        jwt("hs512", {{u"key"_s, u"hs512-key"_s}, {u"secret"_s, u"hs512-secret"_s}, {u"algorithm"_s, u"HS512"_s}}),
        jwt("b64", {{u"key"_s, u"b64-key"_s}, {u"secret"_s, QString::fromLatin1(QByteArray("bin\0ary", 7).toBase64())}, {u"base64_secret"_s, true}}),
        jwt("grace", {{u"key"_s, u"grace-key"_s}, {u"secret"_s, u"g"_s}, {u"lifetime_grace_period"_s, 60}}),
        jwt("rsa", {{u"key"_s, u"rsa-user"_s}, {u"algorithm"_s, u"RS256"_s}, {u"public_key"_s, QString::fromLatin1(kPublicKey)}}),
        jwt("rsa1", {{u"key"_s, u"rsa-pkcs1"_s}, {u"algorithm"_s, u"RS256"_s}, {u"public_key"_s, QString::fromLatin1(kPublicKeyPkcs1)}}),
        jwt("nosecret", {{u"key"_s, u"nosecret-key"_s}}),
        QJsonObject{{u"username"_s, u"kay"_s}, {u"plugins"_s, QJsonObject{{u"key-auth"_s, QJsonObject{{u"key"_s, u"kay-key"_s}}}}}},
    };
    return QJsonDocument(list).toJson(QJsonDocument::Compact);
}

// A route to an external upstream (the bench records what reaches it).
QByteArray httpRoute(const char *id, const char *uri, const QByteArray &plugins)
{
    return "{\"id\":\"" + QByteArray(id) + "\",\"uri\":\"" + QByteArray(uri)
        + "\",\"upstream\":{\"type\":\"http\",\"nodes\":{\"127.0.0.1:9\":1}},\"plugins\":" + plugins + "}";
}

} // namespace

class tst_PluginAuth : public QObject
{
    Q_OBJECT

private slots:
    void basicAuth_data();
    void basicAuth();
    void basicAuthHidesCredentials();
    void jwtAuth_data();
    void jwtAuth();
    void jwtAuthFindsTokensAndHidesThem();
    void jwtAuthKeyClaimName();
    void credentialsGivenTwiceAreRefused();
    void jsonWebTokenSignsWhatItVerifies();
    void jwtConsumerKeysCheckedWhenWritten_data();
    void jwtConsumerKeysCheckedWhenWritten();
    void queryCredentialLeavesInternalUpstreams_data();
    void queryCredentialLeavesInternalUpstreams();
    void presetConsumerIsReplacedByAuth();
};

void tst_PluginAuth::basicAuth_data()
{
    QTest::addColumn<QByteArray>("authorization");   // empty: no header
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("consumer");
    QTest::addColumn<QString>("detail");

    auto basic = [](const QByteArray &credentials) -> QByteArray { return "Basic " + credentials.toBase64(); };
    QTest::newRow("no header") << QByteArray() << 401 << QString() << u"Missing authorization in request"_s;
    QTest::newRow("bearer scheme") << QByteArray("Bearer abc") << 401 << QString() << u"expected Basic credentials"_s;
    QTest::newRow("not base64") << QByteArray("Basic !!!!") << 401 << QString() << u"expected base64 of user:password"_s;
    QTest::newRow("no colon") << basic("ann") << 401 << QString() << u"expected base64 of user:password"_s;
    QTest::newRow("wrong password") << basic("ann:wrong") << 401 << QString() << u"Invalid user authorization"_s;
    QTest::newRow("password prefix") << basic("ann:s3cre") << 401 << QString() << u"Invalid user authorization"_s;
    QTest::newRow("unknown user") << basic("eve:s3cret") << 401 << QString() << u"Invalid user authorization"_s;
    QTest::newRow("good") << basic("ann:s3cret") << 200 << u"ann"_s << QString();
    QTest::newRow("scheme is case-insensitive") << QByteArray("basic " + QByteArray("ann:s3cret").toBase64()) << 200 << u"ann"_s << QString();
    QTest::newRow("password with a colon") << basic("bob:pa:ss") << 200 << u"bob"_s << QString();
}

void tst_PluginAuth::basicAuth()
{
    QFETCH(QByteArray, authorization);
    QFETCH(int, status);
    QFETCH(QString, consumer);
    QFETCH(QString, detail);
    Bench bench;
    QCOMPARE(bench.apply("[" + route("r", "/r", R"({"basic-auth": {}})") + "]", consumers()), QStringList());
    Headers headers;
    if (!authorization.isEmpty())
        headers.append({"authorization", authorization});
    const ApiResponse r = bench.get("/r", headers);
    QCOMPARE(r.status, status);
    if (status == 401) {
        QCOMPARE(r.header("www-authenticate"), QByteArray("Basic realm=\"gatehouse\""));
        QCOMPARE(r.header("content-type"), QByteArray("application/problem+json"));
        QVERIFY2(bodyJson(r).value(u"detail"_s).toString().contains(detail), r.body.constData());
        QVERIFY(bench.received.isEmpty());
    } else {
        QCOMPARE(bench.received.size(), 1);
        QCOMPARE(bench.received.first().consumer, consumer);
        QCOMPARE(bench.received.first().header("authorization"), authorization);   // kept by default
    }
}

void tst_PluginAuth::basicAuthHidesCredentials()
{
    Bench bench;
    QCOMPARE(bench.apply("[" + route("r", "/r", R"({"basic-auth": {"hide_credentials": true, "realm": "shop"}})") + "]", consumers()),
             QStringList());
    QCOMPARE(bench.get("/r").header("www-authenticate"), QByteArray("Basic realm=\"shop\""));
    QCOMPARE(bench.get("/r", {{"authorization", "Basic " + QByteArray("ann:s3cret").toBase64()}}).status, 200);
    QCOMPARE(bench.received.size(), 1);
    QCOMPARE(bench.received.first().consumer, u"ann"_s);
    QVERIFY(!bench.received.first().hasHeader("authorization"));
}

void tst_PluginAuth::jwtAuth_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("consumer");   // 200: who the upstream sees; 401: part of the detail

    const QJsonObject hsClaims{{u"key"_s, u"hs-key"_s}, {u"exp"_s, now() + 3600}};
    const QByteArray good = hmacToken(hsClaims, "hs-secret");
    QTest::newRow("HS256") << good << 200 << u"hs"_s;
    QTest::newRow("HS256 without exp") << hmacToken({{u"key"_s, u"hs-key"_s}}, "hs-secret") << 200 << u"hs"_s;
    QTest::newRow("HS512") << hmacToken({{u"key"_s, u"hs512-key"_s}}, "hs512-secret", "HS512") << 200 << u"hs512"_s;
    QTest::newRow("base64 secret") << hmacToken({{u"key"_s, u"b64-key"_s}}, QByteArray("bin\0ary", 7)) << 200 << u"b64"_s;
    QTest::newRow("base64 secret used as text") << hmacToken({{u"key"_s, u"b64-key"_s}}, QByteArray("bin\0ary", 7).toBase64())
                                                << 401 << u"failed to verify jwt"_s;
    QTest::newRow("RS256 from openssl") << kRs256Token << 200 << u"rsa"_s;
    QString error;
    QTest::newRow("RS256 with an RSA PUBLIC KEY")
        << JsonWebToken::sign(u"RS256"_s, {{u"key"_s, u"rsa-pkcs1"_s}}, kPrivateKey, &error) << 200 << u"rsa1"_s;
    QTest::newRow("missing") << QByteArray() << 401 << u"Missing JWT token"_s;
    QTest::newRow("wrong secret") << hmacToken(hsClaims, "other-secret") << 401 << u"failed to verify jwt"_s;
    QByteArray tampered = good;
    const QList<QByteArray> parts = good.split('.');
    tampered = parts[0] + '.' + b64url(R"({"key":"hs512-key"})") + '.' + parts[2];
    QTest::newRow("payload swapped") << tampered << 401 << u"algorithm HS256 is not the consumer's (HS512)"_s;
    tampered = parts[0] + '.' + b64url(R"({"key":"hs-key","exp":4102444800})") + '.' + parts[2];
    QTest::newRow("payload tampered") << tampered << 401 << u"failed to verify jwt"_s;
    QTest::newRow("expired") << hmacToken({{u"key"_s, u"hs-key"_s}, {u"exp"_s, now() - 100}}, "hs-secret") << 401 << u"JWT token expired"_s;
    QTest::newRow("not yet valid") << hmacToken({{u"key"_s, u"hs-key"_s}, {u"nbf"_s, now() + 3600}}, "hs-secret") << 401 << u"not valid yet"_s;
    QTest::newRow("expired within grace") << hmacToken({{u"key"_s, u"grace-key"_s}, {u"exp"_s, now() - 10}}, "g") << 200 << u"grace"_s;
    QTest::newRow("expired beyond grace") << hmacToken({{u"key"_s, u"grace-key"_s}, {u"exp"_s, now() - 600}}, "g") << 401 << u"JWT token expired"_s;
    QTest::newRow("nbf within grace") << hmacToken({{u"key"_s, u"grace-key"_s}, {u"nbf"_s, now() + 10}}, "g") << 200 << u"grace"_s;
    QTest::newRow("exp not a number") << hmacToken({{u"key"_s, u"hs-key"_s}, {u"exp"_s, u"tomorrow"_s}}, "hs-secret") << 401 << u"must be numbers"_s;
    const QByteArray noneClaims = b64url(R"({"key":"hs-key"})");
    QTest::newRow("alg none") << QByteArray(b64url(R"({"alg":"none","typ":"JWT"})") + '.' + noneClaims + '.') << 401 << u"alg none"_s;
    QTest::newRow("alg None") << QByteArray(b64url(R"({"alg":"None"})") + '.' + noneClaims + '.') << 401 << u"alg none"_s;
    QTest::newRow("alg none with a signature") << QByteArray(b64url(R"({"alg":"none"})") + '.' + noneClaims + '.' + b64url("x")) << 401 << u"alg none"_s;
    QTest::newRow("alg mismatch") << hmacToken({{u"key"_s, u"hs-key"_s}}, "hs-secret", "HS512") << 401 << u"algorithm HS512 is not the consumer's (HS256)"_s;
    // The classic confusion attack: an HMAC token keyed with the consumer's public key.
    QTest::newRow("HS256 keyed with the RSA public key") << hmacToken({{u"key"_s, u"rsa-user"_s}}, kPublicKey) << 401
                                                         << u"algorithm HS256 is not the consumer's (RS256)"_s;
    QTest::newRow("RS256 by another key") << kRs256OtherKeyToken << 401 << u"failed to verify jwt"_s;
    QTest::newRow("RS256 expired") << kRs256ExpiredToken << 401 << u"JWT token expired"_s;
    QTest::newRow("unsupported algorithm") << QByteArray(b64url(R"({"alg":"ES256"})") + '.' + noneClaims + '.' + b64url("sig")) << 401 << u"unsupported algorithm"_s;
    QTest::newRow("unknown key") << hmacToken({{u"key"_s, u"who"_s}}, "hs-secret") << 401 << u"Invalid user key"_s;
    QTest::newRow("no key claim") << hmacToken({{u"sub"_s, u"hs-key"_s}}, "hs-secret") << 401 << u"missing user key"_s;
    QTest::newRow("consumer without secret") << hmacToken({{u"key"_s, u"nosecret-key"_s}}, "") << 401 << u"no usable key"_s;
    QTest::newRow("two parts") << QByteArray("abc.def") << 401 << u"expected header.payload.signature"_s;
    QTest::newRow("not base64url") << QByteArray("a*b.c.d") << 401 << u"not base64url"_s;
    // One token, one spelling: padding and the unused low bits of the last character.
    QTest::newRow("signature padded") << QByteArray(good + '=') << 401 << u"not base64url"_s;
    {
        const QByteArray alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const qsizetype last = alphabet.indexOf(good.back());
        QVERIFY(last >= 0);
        const QByteArray respelt = good.chopped(1) + alphabet.at(last ^ 1);   // an HS256 signature leaves 2 bits unused
        QTest::newRow("signature respelt in its unused bits") << respelt << 401 << u"not base64url"_s;
    }
    QTest::newRow("header not JSON") << QByteArray(b64url("hello") + '.' + noneClaims + '.' + b64url("x")) << 401 << u"must be JSON objects"_s;
    // Correctly signed, but with two "exp": one reader takes the first (expired), another the
    // last. Such a token is not read at all.
    QTest::newRow("duplicate exp") << hmacRawToken(R"({"key":"hs-key","exp":)" + QByteArray::number(now() - 100) + R"(,"exp":)"
                                                       + QByteArray::number(now() + 3600) + "}", "hs-secret")
                                   << 401 << u"no duplicate names"_s;
    QTest::newRow("claims with a trailing dot number") << hmacRawToken(R"({"key":"hs-key","exp":4102444800.})", "hs-secret")
                                                       << 401 << u"must be JSON objects"_s;
}

void tst_PluginAuth::jwtAuth()
{
    QFETCH(QByteArray, token);
    QFETCH(int, status);
    QFETCH(QString, consumer);
    Bench bench;
    QCOMPARE(bench.apply("[" + route("r", "/r", R"({"jwt-auth": {}})") + "]", consumers()), QStringList());
    Headers headers;
    if (!token.isEmpty())
        headers.append({"authorization", "Bearer " + token});
    if (consumer.contains(u"no usable key"_s))
        QTest::ignoreMessage(QtWarningMsg, "jwt-auth: consumer nosecret: secret: HS256 needs one");
    const ApiResponse r = bench.get("/r", headers);
    QVERIFY2(r.status == status, r.body.constData());
    if (status == 200) {
        QCOMPARE(bench.received.size(), 1);
        QCOMPARE(bench.received.first().consumer, consumer);
    } else {
        QVERIFY(bench.received.isEmpty());
        QCOMPARE(r.header("www-authenticate"), QByteArray("Bearer realm=\"gatehouse\""));
        QVERIFY2(bodyJson(r).value(u"detail"_s).toString().contains(consumer), r.body.constData());
    }
}

void tst_PluginAuth::jwtAuthFindsTokensAndHidesThem()
{
    const QByteArray token = hmacToken({{u"key"_s, u"hs-key"_s}}, "hs-secret");
    for (const bool hide : {false, true}) {
        Bench bench;
        const QByteArray plugins = hide ? R"({"jwt-auth": {"hide_credentials": true}})" : R"({"jwt-auth": {}})";
        // An external upstream: the one kind that sees the token unless it is hidden.
        QCOMPARE(bench.apply("[" + httpRoute("r", "/r", plugins) + "]", consumers()), QStringList());
        // The header may carry the bare token, too.
        QCOMPARE(bench.get("/r?a=1", {{"authorization", token}}).status, 200);
        QCOMPARE(bench.get("/r?a=1&jwt=" + token + "&b=2").status, 200);
        QCOMPARE(bench.get("/r", {{"cookie", "theme=dark; jwt=" + token + "; lang=en"}}).status, 200);
        QCOMPARE(bench.received.size(), 3);
        QCOMPARE(bench.received.at(0).hasHeader("authorization"), !hide);
        QCOMPARE(bench.received.at(1).query, hide ? QByteArray("a=1&b=2") : "a=1&jwt=" + token + "&b=2");
        QCOMPARE(bench.received.at(2).header("cookie"), hide ? QByteArray("theme=dark; lang=en") : "theme=dark; jwt=" + token + "; lang=en");
        for (const ApiRequest &seen : std::as_const(bench.received))
            QCOMPARE(seen.consumer, u"hs"_s);
    }
}

void tst_PluginAuth::credentialsGivenTwiceAreRefused()
{
    const QByteArray token = hmacToken({{u"key"_s, u"hs-key"_s}}, "hs-secret");
    const QByteArray other = hmacToken({{u"key"_s, u"hs512-key"_s}}, "hs512-secret", "HS512");
    Bench bench;
    QCOMPARE(bench.apply("[" + route("r", "/r", R"({"jwt-auth": {}})") + "," + route("k", "/k", R"({"key-auth": {}})") + "]", consumers()),
             QStringList());
    QCOMPARE(bench.get("/r?jwt=" + token).status, 200);
    QCOMPARE(bench.get("/r?jwt=" + token + "&jwt=" + other).status, 401);
    QCOMPARE(bench.get("/r", {{"cookie", "jwt=" + other + "; jwt=" + token}}).status, 401);
    QCOMPARE(bench.get("/r", {{"cookie", "jwt=" + token}}).status, 200);
    // Only the place the token is taken from counts: a stale cookie beside a header token is
    // not looked at.
    QCOMPARE(bench.get("/r", {{"authorization", "Bearer " + token}, {"cookie", "jwt=old; jwt=older"}}).status, 200);
    QCOMPARE(bench.get("/k?apikey=kay-key").status, 200);
    QCOMPARE(bench.get("/k?apikey=kay-key&apikey=other").status, 401);
    QCOMPARE(bench.get("/k", {{"apikey", "kay-key"}, {"apikey", "other"}}).status, 401);
    QCOMPARE(bench.received.size(), 4);
}

void tst_PluginAuth::jwtAuthKeyClaimName()
{
    Bench bench;
    QCOMPARE(bench.apply("[" + route("r", "/r", R"({"jwt-auth": {"key_claim_name": "sub", "header": "x-token", "query": "t", "cookie": "c"}})") + "]",
                         consumers()),
             QStringList());
    const QByteArray bySub = hmacToken({{u"sub"_s, u"hs-key"_s}}, "hs-secret");
    QCOMPARE(bench.get("/r", {{"x-token", bySub}}).status, 200);
    QCOMPARE(bench.get("/r?t=" + bySub).status, 200);
    QCOMPARE(bench.get("/r", {{"cookie", "c=" + bySub}}).status, 200);
    QCOMPARE(bench.get("/r", {{"authorization", "Bearer " + bySub}}).status, 401);   // not where this route looks
    QCOMPARE(bench.get("/r", {{"x-token", hmacToken({{u"key"_s, u"hs-key"_s}}, "hs-secret")}}).status, 401);
}

void tst_PluginAuth::jsonWebTokenSignsWhatItVerifies()
{
    QString error;
    const QByteArray rs = JsonWebToken::sign(u"RS512"_s, {{u"key"_s, u"k"_s}}, kPrivateKey, &error);
    QVERIFY2(!rs.isEmpty(), qPrintable(error));
    auto parsed = JsonWebToken::parse(rs, &error);
    QVERIFY2(parsed, qPrintable(error));
    QCOMPARE(parsed->algorithm(), u"RS512"_s);
    QVERIFY2(parsed->verify(kPublicKey, &error), qPrintable(error));
    parsed = JsonWebToken::parse(kRs256Token, &error);
    QVERIFY2(parsed, qPrintable(error));
    QVERIFY(!parsed->verify("not a key", &error));
    QVERIFY2(error.contains(u"not an RSA key"_s), qPrintable(error));
    QVERIFY(JsonWebToken::sign(u"RS256"_s, {}, kPublicKey, &error).isEmpty());
    QVERIFY(JsonWebToken::sign(u"none"_s, {}, "x", &error).isEmpty());
    QCOMPARE(JsonWebToken::sign(u"HS256"_s, {{u"key"_s, u"hs-key"_s}}, "hs-secret", &error), hmacToken({{u"key"_s, u"hs-key"_s}}, "hs-secret"));
}

void tst_PluginAuth::jwtConsumerKeysCheckedWhenWritten_data()
{
    QTest::addColumn<QJsonObject>("conf");
    QTest::addColumn<QString>("error");   // empty: accepted
    const QJsonObject key{{u"key"_s, u"k"_s}};
    auto with = [&key](std::initializer_list<std::pair<QString, QJsonValue>> members) {
        QJsonObject o = key;
        for (const auto &[name, value] : members)
            o.insert(name, value);
        return o;
    };
    // Forgeable: HMAC pads its key with zero bytes, so these are all the empty key.
    QTest::newRow("one base64 character") << with({{u"secret"_s, u"A"_s}, {u"base64_secret"_s, true}}) << u"/secret: base64_secret"_s;
    QTest::newRow("base64 of zero bytes") << with({{u"secret"_s, u"AAAA"_s}, {u"base64_secret"_s, true}}) << u"/secret: the secret is empty"_s;
    QTest::newRow("NUL characters") << with({{u"secret"_s, QString(2, QChar(0))}}) << u"/secret: the secret is empty"_s;
    QTest::newRow("not base64") << with({{u"secret"_s, u"!!!!"_s}, {u"base64_secret"_s, true}}) << u"/secret: base64_secret"_s;
    QTest::newRow("base64 respelt") << with({{u"secret"_s, u"QR=="_s}, {u"base64_secret"_s, true}}) << u"/secret: base64_secret"_s;
    QTest::newRow("RS256 without a public key") << with({{u"algorithm"_s, u"RS256"_s}}) << u"/public_key: RS256 needs one"_s;
    QTest::newRow("RS256 with garbage") << with({{u"algorithm"_s, u"RS256"_s}, {u"public_key"_s, u"garbage"_s}}) << u"/public_key: the public key"_s;
    QTest::newRow("RS256 with a cut PEM") << with({{u"algorithm"_s, u"RS256"_s}, {u"public_key"_s, QString::fromLatin1(kPublicKey.left(120))}})
                                          << u"/public_key: the public key"_s;
    QTest::newRow("base64, padded") << with({{u"secret"_s, u"YmluAGFyeQ=="_s}, {u"base64_secret"_s, true}}) << QString();
    QTest::newRow("base64, unpadded") << with({{u"secret"_s, u"YmluAGFyeQ"_s}, {u"base64_secret"_s, true}}) << QString();
    QTest::newRow("HS256 without a secret (logs nobody in)") << key << QString();
    QTest::newRow("RS256") << with({{u"algorithm"_s, u"RS256"_s}, {u"public_key"_s, QString::fromLatin1(kPublicKey)}}) << QString();
}

void tst_PluginAuth::jwtConsumerKeysCheckedWhenWritten()
{
    QFETCH(QJsonObject, conf);
    QFETCH(QString, error);
    Bench bench;
    const QJsonArray list{QJsonObject{{u"username"_s, u"carol"_s}, {u"plugins"_s, QJsonObject{{u"jwt-auth"_s, conf}}}}};
    const QStringList errors = bench.apply("[" + route("r", "/r", R"({"jwt-auth": {}})") + "]", QJsonDocument(list).toJson(QJsonDocument::Compact));
    if (error.isEmpty()) {
        QCOMPARE(errors, QStringList());
        return;
    }
    QVERIFY2(errors.join(u'\n').contains(u"/plugins/jwt-auth"_s + error), qPrintable(errors.join(u'\n')));
    // Stored before this check (installed fail-closed): not usable either, so the forged token
    // of an empty key logs nobody in.
    GatewayResources resources;
    resources.routes = parseJson("[" + route("r", "/r", R"({"jwt-auth": {}})") + "]").toArray();
    resources.consumers = list;
    const auto config = bench.gateway.applyFailClosed(resources);
    QVERIFY(!config->problems(u"consumers"_s, u"carol"_s).isEmpty());
    QCOMPARE(bench.get("/r", {{"authorization", "Bearer " + hmacToken({{u"key"_s, u"k"_s}}, "")}}).status, 401);
}

void tst_PluginAuth::queryCredentialLeavesInternalUpstreams_data()
{
    QTest::addColumn<QByteArray>("plugins");
    QTest::addColumn<QByteArray>("credential");   // the query parameter that authenticates
    QTest::addColumn<bool>("external");
    QTest::addColumn<bool>("forwarded");          // the upstream sees the credential

    const QByteArray key = "apikey=kay-key";
    const QByteArray jwt = "jwt=" + hmacToken({{u"key"_s, u"hs-key"_s}}, "hs-secret");
    for (const bool external : {false, true}) {
        for (const bool hide : {false, true}) {
            const char *where = external ? "http upstream" : "internal upstream";
            const char *hidden = hide ? ", hide_credentials" : "";
            const QByteArray flag = hide ? R"({"hide_credentials": true})" : "{}";
            QTest::addRow("key-auth, %s%s", where, hidden) << R"({"key-auth": )" + flag + "}" << key << external << (external && !hide);
            QTest::addRow("jwt-auth, %s%s", where, hidden) << R"({"jwt-auth": )" + flag + "}" << jwt << external << (external && !hide);
        }
    }
    // Another name for the parameter: that one goes, others stay.
    QTest::newRow("key-auth, query named k, internal") << QByteArray(R"({"key-auth": {"query": "k"}})")
                                                      << QByteArray("k=kay-key") << false << false;
}

void tst_PluginAuth::queryCredentialLeavesInternalUpstreams()
{
    QFETCH(QByteArray, plugins);
    QFETCH(QByteArray, credential);
    QFETCH(bool, external);
    QFETCH(bool, forwarded);
    Bench bench;
    const QByteArray routes = "[" + (external ? httpRoute("r", "/r", plugins) : route("r", "/r", plugins)) + "]";
    QCOMPARE(bench.apply(routes, consumers()), QStringList());
    const ApiResponse r = bench.get("/r?from=1&" + credential + "&type=a%2Bb");
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(bench.received.size(), 1);
    const ApiRequest &seen = bench.received.first();
    QVERIFY(!seen.consumer.isEmpty());
    QCOMPARE(seen.query, forwarded ? "from=1&" + credential + "&type=a%2Bb" : QByteArray("from=1&type=a%2Bb"));
    // Without a credential anywhere: still refused.
    QCOMPARE(bench.get("/r?from=1").status, 401);
}

void tst_PluginAuth::presetConsumerIsReplacedByAuth()
{
    // A request may arrive with a consumer its connection identified earlier (a WebSocket
    // upgrade): kept on a route without auth, replaced by a route's auth, never a way past it.
    Bench bench;
    QCOMPARE(bench.apply("[" + route("open", "/open", "{}") + "," + route("keyed", "/keyed", R"({"key-auth": {}})") + "]", consumers()),
             QStringList());
    const auto preset = [](const QByteArray &path, const Headers &headers) {
        ApiRequest r = request("GET", path, headers);
        r.consumer = u"upgrade-user"_s;
        return r;
    };
    QCOMPARE(bench.send(preset("/open", {})).status, 200);
    QCOMPARE(bench.received.last().consumer, u"upgrade-user"_s);
    QCOMPARE(bench.send(preset("/keyed", {})).status, 401);
    QCOMPARE(bench.send(preset("/keyed", {{"apikey", "kay-key"}})).status, 200);
    QCOMPARE(bench.received.last().consumer, u"kay"_s);
    QCOMPARE(bench.received.size(), 2);
}

QTEST_GUILESS_MAIN(tst_PluginAuth)
#include "tst_plugin_auth.moc"
