#pragma once

#include <QHash>
#include <QJsonObject>
#include "location.h"

#include <QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QTableView;
class QTimer;

namespace Gatehouse::Ui {

class EngineClient;
class ReadModelDetailView;
class ReadModelDocumentsModel;

// The Read models page: collections on the left (GET /admin/collections, with document
// counts), the chosen collection's documents as a table that pages in on scroll or with "Load
// more", a filter line and an include-deleted toggle (passed to the query API as they are),
// sorting by clicking a column header, and a detail pane with the selected document, its _meta
// and its history. Live changes are applied while the page is visible; when it comes back into
// view it reloads. "New…" and "Edit…" open the collection editor (CollectionEditorDialog). GUI
// thread only.
class ReadModelsPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReadModelsPage)

public:
    explicit ReadModelsPage(EngineClient *client, QWidget *parent = nullptr);
    ~ReadModelsPage() override;

    ReadModelDocumentsModel *documents() const { return m_documents; }
    void selectCollection(const QString &name);
    // Selects the collection and shows the document in the detail pane, its row selected when
    // the first page holds it.
    void openDocument(const QString &collection, const QString &id);

    void refreshCollections();

Q_SIGNALS:
    void openRequested(const Gatehouse::Ui::Location &location);

protected:
    void showEvent(QShowEvent *event) override;

private:
    void collectionChosen();
    void applyFilter();
    void headerClicked(int section);
    void currentRowChanged();
    void onDocumentsChanged(const QString &collection, const QStringList &ids);
    void updateStatus();
    void showWantedDocument();
    void editCollection(bool create);

    EngineClient *m_client;
    ReadModelDocumentsModel *m_documents = nullptr;
    QListWidget *m_collections = nullptr;
    QLineEdit *m_filter = nullptr;
    QLabel *m_filterProblem = nullptr;   // what of the filter was not applied, and why
    QCheckBox *m_includeDeleted = nullptr;
    QPushButton *m_loadMore = nullptr;
    QTableView *m_table = nullptr;
    QLabel *m_status = nullptr;
    ReadModelDetailView *m_detail = nullptr;
    QPushButton *m_editCollection = nullptr;
    QHash<QString, QJsonObject> m_definitions;   // by name, as GET /admin/collections lists them
    QTimer *m_countsTimer = nullptr;   // collection counts after changes, at most once a second
    QString m_wantedCollection;        // selectCollection() before the list arrived
    QString m_wantedDocument;          // openDocument(): its id, until its collection's first page is in
    bool m_stale = false;              // changes missed while hidden
};

} // namespace Gatehouse::Ui
