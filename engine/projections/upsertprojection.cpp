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
    // Records touched by this batch, folded in memory and written once each at the end: an
    // entity changed several times in a batch costs one write, and no read after a write.
    QHash<QString, qsizetype> touched;   // collection + '/' + id -> index in m_changed
    for (qsizetype i = 0; i < events.size(); ++i) {
        const RecordedEvent &e = events.at(i);
        const DocumentFold::Verb verb = DocumentFold::verbOf(e);
        if (verb == DocumentFold::Verb::Other)
            continue;
        const QString collectionName = CloudEvent::collectionOf(e.type);
        const Collection *collection = project->collection(collectionName);
        if (!collection)
            continue;   // not a write collection of this project (e.g. emitted by a function)
        if (!m_ensured.contains(collectionName)) {
            if (!tx.ensureCollection(collectionName, m_bulk ? QStringList() : collection->indexedFields)) {
                *fault = {tx.errorString(), e.position, e.id, int(i)};
                return false;
            }
            m_ensured.insert(collectionName);
        }
        const QString id = CloudEvent::subjectOf(e);
        const QString key = collectionName + QLatin1Char('/') + id;
        std::optional<StoredDocument> record;
        const auto slot = touched.constFind(key);
        if (slot != touched.cend())
            record = m_changed.at(*slot);
        else if (verb != DocumentFold::Verb::Created)
            record = tx.get(collectionName, id);
        QString error;
        if (!DocumentFold::apply(record, e, collectionName, id, &error)) {
            *fault = {error, e.position, e.id, int(i)};
            return false;
        }
        if (slot != touched.cend()) {
            m_changed[*slot] = std::move(*record);
        } else {
            touched.insert(key, m_changed.size());
            m_changed.append(std::move(*record));
        }
    }
    for (const StoredDocument &doc : std::as_const(m_changed)) {
        if (!tx.put(doc)) {
            *fault = {tx.errorString(), doc.position, QString(), -1};
            return false;
        }
    }
    return true;
}

bool UpsertProjection::endBulk(ReadStore::WriteTransaction &tx, QString *error)
{
    m_bulk = false;
    const auto project = m_catalog->snapshot();
    for (const QString &name : std::as_const(m_ensured)) {
        const Collection *c = project->collection(name);
        if (c && !tx.ensureCollection(name, c->indexedFields)) {
            *error = tx.errorString();
            return false;
        }
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
