#pragma once

#include <QByteArrayView>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <optional>

namespace Gatehouse {

// The one way JSON enters the engine from outside (HTTP and WebSocket commands, MQTT payloads,
// admin resources, tokens, function results): exactly one RFC 8259 JSON text, nothing Qt's
// lenient parser lets through. Numbers follow the RFC's grammar and must be finite doubles;
// strings are valid UTF-8 without raw control characters or unpaired surrogate escapes; no
// byte order mark; member names are unique within an object (I-JSON, RFC 7493), compared after
// unescaping, so a validator and the read side can never see different values for one name;
// nesting is at most `maxDepth`. Whatever passes is then stored in the engine's canonical
// serialisation (canonical()), never in the client's bytes.
//
// Pure functions, safe from any thread. The check is one linear pass with bounded recursion
// (the depth limit), then Qt builds the value.
struct StrictJson
{
    static constexpr int kMaxDepth = 64;   // nesting limit for every JSON the engine takes in

    struct Error
    {
        qsizetype offset = -1;   // byte offset of the offending input
        QString message;
        QString toString() const;   // "<message> at offset N"
    };

    // The syntax check alone: true when `text` is one strict JSON text.
    static bool check(QByteArrayView text, Error *error = nullptr, int maxDepth = kMaxDepth);
    static std::optional<QJsonValue> parse(QByteArrayView text, Error *error = nullptr, int maxDepth = kMaxDepth);
    // As parse(), and the value must be an object ("the body must be a JSON object" otherwise).
    static std::optional<QJsonObject> parseObject(QByteArrayView text, Error *error = nullptr, int maxDepth = kMaxDepth);

    // Nesting depth of a value (a scalar is 0, [] and {} are 1); counting stops at stopAt, so
    // the walk is bounded whatever the value.
    static int depth(const QJsonValue &value, int stopAt = kMaxDepth + 1);

    // The engine's serialisation of a document: compact, members in Qt's (sorted) order.
    static QByteArray canonical(const QJsonObject &object);
    static QByteArray canonical(const QJsonValue &value);
};

} // namespace Gatehouse
