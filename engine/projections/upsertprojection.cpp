#include "upsertprojection.h"

#include "config/collectioncatalog.h"
#include "readmodel/documentfold.h"
#include "store/cloudevent.h"

namespace Gatehouse {

UpsertProjection::UpsertProjection(const CollectionCatalog *catalog, QObject *parent)
    : QObject(parent)
    , m_catalog(catalog)
{
    qRegisterMetaType<QList<Gatehouse::StoredDocument>>("QList<Gatehouse::StoredDocument>");
}

bool UpsertProjection::apply(const RecordedEvents &events, ReadStore::WriteTransaction &tx, ProjectionFault *fault)
{
    const auto project = m_catalog->snapshot();
    for (qsizetype i = 0; i < events.size(); ++i) {
        const RecordedEvent &e = events.at(i);
        if (DocumentFold::verbOf(e) == DocumentFold::Verb::Other)
            continue;
        const QString collectionName = CloudEvent::collectionOf(e.type);
        const Collection *collection = project->collection(collectionName);
        if (!collection)
            continue;   // not a write collection of this project (e.g. emitted by a function)
        if (!m_ensured.contains(collectionName)) {
            if (!tx.ensureCollection(collectionName, collection->indexedFields)) {
                *fault = {tx.errorString(), e.position, e.id, int(i)};
                return false;
            }
            m_ensured.insert(collectionName);
        }
        const QString id = CloudEvent::subjectOf(e);
        std::optional<StoredDocument> record;
        if (DocumentFold::verbOf(e) != DocumentFold::Verb::Created)
            record = tx.get(collectionName, id);
        QString error;
        if (!DocumentFold::apply(record, e, collectionName, id, &error)) {
            *fault = {error, e.position, e.id, int(i)};
            return false;
        }
        if (!tx.put(*record)) {
            *fault = {tx.errorString(), e.position, e.id, int(i)};
            return false;
        }
        m_changed.append(*record);
    }
    return true;
}

bool UpsertProjection::reset(ReadStore::WriteTransaction &tx, QString *error)
{
    const auto project = m_catalog->snapshot();
    for (const Collection &c : project->collections()) {
        if (!tx.dropCollection(c.name)) {
            *error = tx.errorString();
            return false;
        }
    }
    m_ensured.clear();
    m_changed.clear();
    return true;
}

void UpsertProjection::committed()
{
    if (m_changed.isEmpty())
        return;
    QList<StoredDocument> changed;
    changed.swap(m_changed);
    Q_EMIT documentsChanged(changed);
}

void UpsertProjection::discarded()
{
    m_changed.clear();
    // A rolled-back transaction may have created tables that are gone again.
    m_ensured.clear();
}

} // namespace Gatehouse
