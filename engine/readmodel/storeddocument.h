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
    // Written by a function (ctx.upsert), not folded from the entity's stream: a rebuild of
    // the upsert projection leaves it (ReadStore::WriteTransaction::resetProjected()). Kept by
    // writes only; reads do not fill it in.
    bool byFunction = false;

    // The document with `_meta: {version, position, updated_at, deleted}` appended, built
    // by splicing text rather than re-serialising the document.
    QByteArray toJsonWithMeta() const;
    QByteArray metaJson() const;
    QByteArray etag() const { return '"' + QByteArray::number(version) + '"'; }
};

} // namespace Gatehouse
