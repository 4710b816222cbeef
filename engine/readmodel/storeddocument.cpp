#include "storeddocument.h"

#include <QDateTime>

namespace Gatehouse {

QByteArray StoredDocument::metaJson() const
{
    const QByteArray updated = QDateTime::fromMSecsSinceEpoch(updatedAtMs, Qt::UTC).toString(Qt::ISODateWithMs).toLatin1();
    return "{\"version\":" + QByteArray::number(version) + ",\"position\":" + QByteArray::number(position)
        + ",\"updated_at\":\"" + updated + "\",\"deleted\":" + (deleted ? "true" : "false") + '}';
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
