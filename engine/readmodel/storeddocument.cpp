#include "storeddocument.h"

#include "store/cloudevent.h"


namespace Gatehouse {

QByteArray StoredDocument::metaJson() const
{
    QByteArray out;
    out.reserve(112);
    out += "{\"version\":";
    out += QByteArray::number(version);
    out += ",\"position\":";
    out += QByteArray::number(position);
    out += ",\"updated_at\":\"";
    CloudEvent::appendTime(out, updatedAtMs);
    out += "\",\"deleted\":";
    out += deleted ? "true}" : "false}";
    return out;
}

QByteArray StoredDocument::toJsonWithMeta() const
{
    QByteArray body = doc.trimmed();
    if (body.size() < 2 || !body.startsWith('{') || !body.endsWith('}'))
        body = "{}";
    body.chop(1);
    // "{" alone means an empty object: no separating comma.
    if (body.trimmed().size() > 1)
        body += ',';
    body += "\"_meta\":" + metaJson() + '}';
    return body;
}

} // namespace Gatehouse
