#pragma once

#include "store/recordedevent.h"

#include <QHash>
#include <QStringList>
#include <QWidget>

class QComboBox;
class QCompleter;
class QLineEdit;
class QStringListModel;

namespace Gatehouse::Ui {

class EngineClient;

// Picks the entity the Streams page shows: a collection (from GET /admin/collections, kept
// current on resourcesChanged) and an id, completed from the subjects seen in live events
// (most recent first) and from GET /api/{collection}?limit=100. Enter or "Load" asks for it.
// GUI thread only.
class StreamsEntityPicker final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StreamsEntityPicker)

public:
    explicit StreamsEntityPicker(EngineClient *client, QWidget *parent = nullptr);
    ~StreamsEntityPicker() override;

    QString collection() const;
    QString entityId() const;
    void setEntity(const QString &collection, const QString &id);
    QStringList completions() const;   // for the current collection

    void noteEvents(const RecordedEvents &events);   // remembers recent subjects

Q_SIGNALS:
    void loadRequested(const QString &collection, const QString &id);

private:
    void reloadCollections();
    void collectionChosen();
    void refreshCompletions();
    void requestLoad();

    EngineClient *m_client;
    QComboBox *m_collections;
    QLineEdit *m_id;
    QCompleter *m_completer;
    QStringListModel *m_completions;
    QHash<QString, QStringList> m_recent;   // collection -> subjects, newest first
    QHash<QString, QStringList> m_listed;   // collection -> ids from the query API
    QString m_wantedCollection;             // set before the collections arrived
};

} // namespace Gatehouse::Ui
