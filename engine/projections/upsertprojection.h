#pragma once

#include "projection.h"

#include <QObject>
#include <QSet>

namespace Gatehouse {

class CollectionCatalog;

// The upsert service: the built-in projection that keeps one read collection per write
// collection (created inserts, updated merges the patch, deleted marks the record) and,
// after each committed batch, announces every changed document in one signal -- the hook
// WebSocket watchers, MQTT retained state and the GUI use. Runs on its runner's thread;
// documentsChanged() is emitted from there.
class UpsertProjection final : public QObject, public Projection
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UpsertProjection)

public:
    explicit UpsertProjection(const CollectionCatalog *catalog, QObject *parent = nullptr);

    QString name() const override { return QStringLiteral("upsert"); }
    bool apply(const RecordedEvents &events, ReadStore::WriteTransaction &tx, ProjectionFault *fault) override;
    bool reset(ReadStore::WriteTransaction &tx, QString *error) override;
    void committed() override;
    void discarded() override;
    void beginBulk() override { m_bulk = true; }
    bool endBulk(ReadStore::WriteTransaction &tx, QString *error) override;

Q_SIGNALS:
    void documentsChanged(const QList<Gatehouse::StoredDocument> &documents);

private:
    const CollectionCatalog *m_catalog;
    QSet<QString> m_ensured;                 // collections whose table exists
    QList<StoredDocument> m_changed;         // in this transaction, in position order
    bool m_bulk = false;                     // rebuilding: indexes come at the end
};

} // namespace Gatehouse
