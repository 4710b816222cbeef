// Stored events as they travel out as CloudEvents (engine/store/cloudevent.*): the fast writer
// toJsonBytes() that /events, SSE, WebSocket and MQTT use, against the QJsonObject form
// toJson(). The input is an event's fields separated by 0xFF bytes -- type, stream, id,
// metadata, data -- then 16 bytes of time and position. data and metadata are what the store
// holds: the engine's canonical serialisation of a JSON value (an object, for metadata), or
// whatever a damaged row holds. Checked besides memory safety:
//  - toJsonBytes() is always one valid JSON object, equal to toJson() (with data as stored
//    when it is canonical JSON, and correlation/causation ids taken from the metadata);
//  - a batch is a valid JSON array of exactly those objects;
//  - the time is ISO 8601 UTC as QDateTime writes it; subject, collection and verb agree.

#include "fuzzsupport.h"

#include "store/cloudevent.h"

#if __has_include("config/strictjson.h")
#include "config/strictjson.h"
#define GATEHOUSE_HAVE_STRICT_JSON 1
#endif

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdint>
#include <cstring>

using namespace Gatehouse;

namespace {

// A JSON value from outside parsed the way the engine's doors parse it.
bool parseValue(const QByteArray &text, QJsonValue *out)
{
#ifdef GATEHOUSE_HAVE_STRICT_JSON
    auto value = StrictJson::parse(text);
    if (!value)
        return false;
    *out = *value;
    return true;
#else
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson("[" + text + "]", &error);
    if (error.error != QJsonParseError::NoError || doc.array().size() != 1)
        return false;
    *out = doc.array().first();
    return true;
#endif
}

QByteArray canonical(const QJsonValue &value)
{
    const QByteArray wrapped = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return wrapped.mid(1, wrapped.size() - 2);
}

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
    // Times from year 0 to 9999, as QDateTime's ISO form has four-digit years.
    event.timeMs = numbers[0] % 253402300800000LL;
    if (event.timeMs < -62167219200000LL)
        event.timeMs = -event.timeMs % 253402300800000LL;
    event.position = numbers[1] & 0x7fffffffffffLL;
    event.version = (numbers[1] >> 47) & 0xffff;

    QJsonValue metadata;
    const bool canonicalMetadata = parseValue(fields.at(3), &metadata) && metadata.isObject();
    event.metadata = canonicalMetadata ? canonical(metadata) : fields.at(3);
    QJsonValue payload;
    const bool canonicalData = parseValue(fields.at(4), &payload);
    event.data = canonicalData ? canonical(payload) : fields.at(4);

    const QByteArray bytes = CloudEvent::toJsonBytes(event);
    const QJsonObject fast = parseObject(bytes, "toJsonBytes()");
    const QJsonObject slow = CloudEvent::toJson(event);
    if (canonicalData && canonicalMetadata) {
        FUZZ_CHECK(fast == slow, QStringLiteral("toJsonBytes() and toJson() differ:\n%1\n%2")
                                     .arg(Fuzz::printable(bytes), Fuzz::printable(QJsonDocument(slow).toJson(QJsonDocument::Compact))));
        FUZZ_CHECK(fast.value(QStringLiteral("data")) == payload, QStringLiteral("data changed on the way out"));
    } else {
        // A damaged row must still give valid JSON; only data and the ids may differ.
        QJsonObject a = fast, b = slow;
        for (const char *k : {"data", "correlationid", "causationid"}) {
            a.remove(QLatin1String(k));
            b.remove(QLatin1String(k));
        }
        FUZZ_CHECK(a == b, QStringLiteral("toJsonBytes() and toJson() differ beyond data and ids"));
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
