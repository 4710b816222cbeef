#pragma once

#include "eventlinks.h"

#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QTreeWidget;
class QTreeWidgetItem;

namespace Gatehouse::Ui {

class EngineClient;

// The Read models page's detail pane for one document: the document pretty-printed (GET
// /api/{collection}/{id}?include_deleted=true), its _meta, and its history (the events of its
// stream, GET /events?stream={collection}-{id}), oldest first. reload() fetches again, e.g.
// after the engine announced a change. GUI thread only.
class ReadModelDetailView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReadModelDetailView)

public:
    explicit ReadModelDetailView(EngineClient *client, QWidget *parent = nullptr);
    ~ReadModelDetailView() override;

    void showDocument(const QString &collection, const QString &id);   // empty id: clear
    void reload();
    QString collection() const { return m_collection; }
    QString documentId() const { return m_id; }

Q_SIGNALS:
    // An event of the history to open elsewhere: double-click steps to it on the Streams page.
    void openRequested(const Gatehouse::Ui::Location &location);

private:
    void showEventData();
    EventRef eventOf(const QTreeWidgetItem *item) const;

    EngineClient *m_client;
    QString m_collection;
    QString m_id;
    quint64 m_generation = 0;
    QLabel *m_title = nullptr;
    QPlainTextEdit *m_document = nullptr;
    QLabel *m_meta = nullptr;
    QTreeWidget *m_history = nullptr;
    QPlainTextEdit *m_eventData = nullptr;
};

} // namespace Gatehouse::Ui
