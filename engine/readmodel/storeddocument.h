#pragma once

#include <QByteArray>
#include <QString>

namespace Gatehouse {

// One read-model record: the document as JSON text (without _meta) and its bookkeeping.
struct StoredDocument
{
    QString collection;
    QString id;
    QByteArray doc;            // a JSON object
    qint64 version = -1;       // stream version of the last event applied
    qint64 position = 0;       // global position of the last event applied
    qint64 updatedAtMs = 0;    // commit time of that event
    bool deleted = false;      // logically deleted: kept, hidden by default

    // The document with `_meta: {version, position, updated_at, deleted}` appended, built
    // by splicing text rather than re-serialising the document.
    QByteArray toJsonWithMeta() const;
    QByteArray metaJson() const;
    QByteArray etag() const { return '"' + QByteArray::number(version) + '"'; }
};

} // namespace Gatehouse
