// Stored events as they travel out as CloudEvents (engine/store/cloudevent.*): the fast writer
// toJsonBytes() that /events, SSE, WebSocket and MQTT use, against the QJsonObject form
// toJson(). The input is an event's fields separated by 0xFF bytes -- type, stream, id,
// metadata, data -- then 16 bytes of time and position. data and metadata are what the store
// holds: the engine's canonical serialisation of a JSON value (an object, for metadata), or
// whatever a damaged row holds. Checked besides memory safety:
//  - toJsonBytes() is always one valid JSON object, equal to toJson() (with data as stored
//    when it is canonical JSON, else as data_base64, and correlation/causation ids taken from
//    the metadata);
//  - a batch is a valid JSON array of exactly those objects;
//  - the time is ISO 8601 UTC as QDateTime writes it; subject, collection and verb agree.

#include "fuzzsupport.h"

#include "store/cloudevent.h"

#include "config/strictjson.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdint>
#include <cstring>
#include <optional>

using namespace Gatehouse;

namespace {

QJsonObject parseObject(const QByteArray &json, const char *what)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    FUZZ_CHECK(error.error == QJsonParseError::NoError && doc.isObject(),
               QStringLiteral("%1 is not a JSON object (%2): %3").arg(QLatin1String(what), error.errorString(), Fuzz::printable(json)));
    return doc.object();
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    Fuzz::quietLogs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 16)
        return 0;
    qint64 numbers[2];
    std::memcpy(numbers, data + size - 16, 16);
    const QList<QByteArray> fields = QByteArray(reinterpret_cast<const char *>(data), qsizetype(size - 16)).split('\xff');
    if (fields.size() != 5)
        return 0;

    RecordedEvent event;
    event.type = QString::fromUtf8(fields.at(0));
    event.stream = QString::fromUtf8(fields.at(1));
    event.id = QString::fromUtf8(fields.at(2));
    // Any commit time: outside the years 1 to 9999 both forms have an empty time, as QDateTime
    // (the engine's clock never gives such times).
    event.timeMs = numbers[0];
    event.position = numbers[1] & 0x7fffffffffffLL;
    event.version = (numbers[1] >> 47) & 0xffff;

    // What the store holds: the canonical form of what passed the strict parser.
    const std::optional<QJsonObject> metadata = StrictJson::parseObject(fields.at(3));
    const bool canonicalMetadata = metadata.has_value();
    event.metadata = canonicalMetadata ? StrictJson::canonical(*metadata) : fields.at(3);
    const std::optional<QJsonValue> payload = StrictJson::parse(fields.at(4));
    const bool canonicalData = payload.has_value();
    event.data = canonicalData ? StrictJson::canonical(*payload) : fields.at(4);

    const QByteArray bytes = CloudEvent::toJsonBytes(event);
    const QJsonObject fast = parseObject(bytes, "toJsonBytes()");
    const QJsonObject slow = CloudEvent::toJson(event);
    if (canonicalData && canonicalMetadata) {
        FUZZ_CHECK(fast == slow, QStringLiteral("toJsonBytes() and toJson() differ:\n%1\n%2")
                                     .arg(Fuzz::printable(bytes), Fuzz::printable(QJsonDocument(slow).toJson(QJsonDocument::Compact))));
        FUZZ_CHECK(fast.value(QStringLiteral("data")) == *payload, QStringLiteral("data changed on the way out"));
    } else {
        // A row an older version wrote with a client's bytes must still give valid JSON, its
        // data passed on losslessly as data_base64; only the ids may come out differently.
        if (!canonicalData && !StrictJson::check(event.data))
            FUZZ_CHECK(QByteArray::fromBase64(fast.value(QStringLiteral("data_base64")).toString().toLatin1()) == event.data,
                       QStringLiteral("data_base64 is not the stored data"));
        QJsonObject a = fast, b = slow;
        for (const char *k : {"correlationid", "causationid"}) {
            a.remove(QLatin1String(k));
            b.remove(QLatin1String(k));
        }
        FUZZ_CHECK(a == b, QStringLiteral("toJsonBytes() and toJson() differ beyond the ids:\n%1\n%2")
                                 .arg(Fuzz::printable(bytes), Fuzz::printable(QJsonDocument(slow).toJson(QJsonDocument::Compact))));
    }
    const QString time = QDateTime::fromMSecsSinceEpoch(event.timeMs, Qt::UTC).toString(Qt::ISODateWithMs);
    FUZZ_CHECK(fast.value(QStringLiteral("time")).toString() == time,
               QStringLiteral("time %1, QDateTime says %2").arg(fast.value(QStringLiteral("time")).toString(), time));
    FUZZ_CHECK(fast.value(QStringLiteral("type")).toString() == event.type, QStringLiteral("type changed"));
    FUZZ_CHECK(CloudEvent::collectionOf(event.type) + (event.type.contains(QLatin1Char('.')) ? QStringLiteral(".") + CloudEvent::verbOf(event.type) : QString())
                   == event.type,
               QStringLiteral("collection and verb do not make up the type"));

    const QByteArray batch = CloudEvent::batchToJsonBytes({event, event});
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(batch, &error);
    FUZZ_CHECK(doc.isArray() && doc.array().size() == 2 && doc.array().at(1).toObject() == fast,
               QStringLiteral("batch is not the array of its events: %1").arg(error.errorString()));
    return 0;
}
