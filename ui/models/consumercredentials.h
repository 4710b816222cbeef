#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>

#include <utility>

namespace Gatehouse::Ui {

// The request headers that log a consumer in, from its credential plugins as the admin API
// shows them: key-auth -> `apikey: <key>`; basic-auth -> `Authorization: Basic …`; jwt-auth
// with an HMAC algorithm (HS256/384/512, base64_secret honoured) -> `Authorization: Bearer`
// and a token signed here with the `key` claim, valid for an hour. Empty with `*error` when the
// consumer has none the console can use (jwt-auth with RS256 needs the private key).
namespace ConsumerCredentials {
QList<std::pair<QString, QString>> headersFor(const QJsonObject &consumer, QString *error, qint64 nowSeconds);
// The JWS compact form of `claims` signed with HMAC-SHA `algorithm` (HS256, HS384, HS512).
QByteArray signHmacJwt(const QJsonObject &claims, const QString &algorithm, const QByteArray &secret);
} // namespace ConsumerCredentials

} // namespace Gatehouse::Ui
