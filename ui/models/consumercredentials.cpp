#include "consumercredentials.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>

namespace Gatehouse::Ui::ConsumerCredentials {

namespace {
QByteArray base64url(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}
} // namespace

QByteArray signHmacJwt(const QJsonObject &claims, const QString &algorithm, const QByteArray &secret)
{
    const QCryptographicHash::Algorithm hash = algorithm == QLatin1String("HS384") ? QCryptographicHash::Sha384
                                             : algorithm == QLatin1String("HS512") ? QCryptographicHash::Sha512
                                                                                   : QCryptographicHash::Sha256;
    const QJsonObject header{{QStringLiteral("alg"), algorithm}, {QStringLiteral("typ"), QStringLiteral("JWT")}};
    const QByteArray signingInput = base64url(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.'
        + base64url(QJsonDocument(claims).toJson(QJsonDocument::Compact));
    return signingInput + '.' + base64url(QMessageAuthenticationCode::hash(signingInput, secret, hash));
}

QList<std::pair<QString, QString>> headersFor(const QJsonObject &consumer, QString *error, qint64 nowSeconds)
{
    const QJsonObject plugins = consumer.value(QLatin1String("plugins")).toObject();
    if (const QJsonObject key = plugins.value(QLatin1String("key-auth")).toObject(); !key.value(QLatin1String("key")).toString().isEmpty())
        return {{QStringLiteral("apikey"), key.value(QLatin1String("key")).toString()}};
    if (const QJsonObject basic = plugins.value(QLatin1String("basic-auth")).toObject(); !basic.value(QLatin1String("username")).toString().isEmpty()) {
        const QByteArray pair = basic.value(QLatin1String("username")).toString().toUtf8() + ':' + basic.value(QLatin1String("password")).toString().toUtf8();
        return {{QStringLiteral("Authorization"), QStringLiteral("Basic ") + QString::fromLatin1(pair.toBase64())}};
    }
    if (const QJsonObject jwt = plugins.value(QLatin1String("jwt-auth")).toObject(); !jwt.value(QLatin1String("key")).toString().isEmpty()) {
        const QString algorithm = jwt.value(QLatin1String("algorithm")).toString(QStringLiteral("HS256"));
        if (!algorithm.startsWith(QLatin1String("HS"))) {
            *error = QObject::tr("%1 signs with %2: the console has only the public key").arg(consumer.value(QLatin1String("username")).toString(), algorithm);
            return {};
        }
        QByteArray secret = jwt.value(QLatin1String("secret")).toString().toUtf8();
        if (jwt.value(QLatin1String("base64_secret")).toBool())
            secret = QByteArray::fromBase64(secret);
        const QJsonObject claims{{QStringLiteral("key"), jwt.value(QLatin1String("key")).toString()}, {QStringLiteral("exp"), nowSeconds + 3600}};
        return {{QStringLiteral("Authorization"), QStringLiteral("Bearer ") + QString::fromLatin1(signHmacJwt(claims, algorithm, secret))}};
    }
    *error = QObject::tr("%1 has no key-auth, basic-auth or jwt-auth credentials").arg(consumer.value(QLatin1String("username")).toString());
    return {};
}

} // namespace Gatehouse::Ui::ConsumerCredentials
