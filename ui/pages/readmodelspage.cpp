#include "readmodelspage.h"

#include "engineclient.h"
#include "models/readmodeldocumentsmodel.h"
#include "widgets/collectioneditordialog.h"
#include "widgets/readmodeldetailview.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QtMath>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

ReadModelsPage::ReadModelsPage(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_documents(new ReadModelDocumentsModel(client, this))
{
    setObjectName(QStringLiteral("readmodelsPage"));

    m_collections = new QListWidget(this);
    m_collections->setObjectName(QStringLiteral("readModelCollections"));
    m_collections->setToolTip(tr("Collections of the read store, with their document counts"));

    auto *newCollection = new QPushButton(tr("New…"), this);
    newCollection->setObjectName(QStringLiteral("readModelNewCollection"));
    newCollection->setToolTip(tr("Declare a collection: its schema, indexes, snapshots"));
    m_editCollection = new QPushButton(tr("Edit…"), this);
    m_editCollection->setObjectName(QStringLiteral("readModelEditCollection"));
    m_editCollection->setToolTip(tr("Change the collection's schema (with upcasters for its older events), indexes and snapshots"));
    m_editCollection->setEnabled(false);

    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("readModelFilter"));
    m_filter->setPlaceholderText(tr("price[gt]=5&name=Lamp"));
    m_filter->setToolTip(tr("A filter as the query API takes it: field=value or field[op]=value, joined by &; Enter applies"));
    m_filter->setClearButtonEnabled(true);
    m_filterProblem = new QLabel(this);
    m_filterProblem->setObjectName(QStringLiteral("readModelFilterProblem"));
    m_filterProblem->setStyleSheet(QStringLiteral("color: #a00000"));
    m_filterProblem->setWordWrap(true);
    m_filterProblem->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_filterProblem->hide();
    auto *apply = new QPushButton(tr("Apply"), this);
    apply->setObjectName(QStringLiteral("readModelApplyFilter"));
    m_includeDeleted = new QCheckBox(tr("Include deleted"), this);
    m_includeDeleted->setObjectName(QStringLiteral("readModelIncludeDeleted"));
    auto *reload = new QPushButton(tr("Reload"), this);
    reload->setObjectName(QStringLiteral("readModelReload"));

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("readModelTable"));
    m_table->setModel(m_documents);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setSectionsClickable(true);
    m_table->horizontalHeader()->setSortIndicatorShown(false);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setWordWrap(false);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("readModelStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_loadMore = new QPushButton(tr("Load more"), this);
    m_loadMore->setObjectName(QStringLiteral("readModelLoadMore"));
    m_loadMore->setEnabled(false);

    m_detail = new ReadModelDetailView(client, this);

    // The filter has its row to itself (with Apply): at the window's smallest useful width the
    // pane is narrow, and a filter is read whole.
    auto *filterRow = new QHBoxLayout;
    filterRow->addWidget(m_filter, 1);
    filterRow->addWidget(apply);
    auto *statusRow = new QHBoxLayout;
    statusRow->addWidget(m_status, 1);
    statusRow->addWidget(m_includeDeleted);
    statusRow->addWidget(reload);
    statusRow->addWidget(m_loadMore);
    auto *center = new QWidget(this);
    auto *centerLayout = new QVBoxLayout(center);
    centerLayout->setContentsMargins(0, 0, 0, 0);
    centerLayout->addLayout(filterRow);
    centerLayout->addWidget(m_filterProblem);
    centerLayout->addWidget(m_table, 1);
    centerLayout->addLayout(statusRow);

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->setObjectName(QStringLiteral("readModelSplitter"));
    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(m_collections, 1);
    auto *collectionButtons = new QHBoxLayout;
    collectionButtons->addWidget(newCollection);
    collectionButtons->addWidget(m_editCollection);
    leftLayout->addLayout(collectionButtons);
    split->addWidget(left);
    split->addWidget(center);
    split->addWidget(m_detail);
    split->setStretchFactor(0, 0);
    split->setStretchFactor(1, 3);
    split->setStretchFactor(2, 2);
    split->setSizes({180, 580, 360});
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(split);

    m_countsTimer = new QTimer(this);
    m_countsTimer->setSingleShot(true);
    m_countsTimer->setInterval(1000);
    connect(m_countsTimer, &QTimer::timeout, this, &ReadModelsPage::refreshCollections);

    connect(m_collections, &QListWidget::currentItemChanged, this, &ReadModelsPage::collectionChosen);
    connect(m_collections, &QListWidget::currentItemChanged, this, [this](QListWidgetItem *current) { m_editCollection->setEnabled(current); });
    connect(newCollection, &QPushButton::clicked, this, [this] { editCollection(true); });
    connect(m_editCollection, &QPushButton::clicked, this, [this] { editCollection(false); });
    connect(m_filter, &QLineEdit::returnPressed, this, &ReadModelsPage::applyFilter);
    connect(apply, &QPushButton::clicked, this, &ReadModelsPage::applyFilter);
    connect(m_includeDeleted, &QCheckBox::toggled, m_documents, &ReadModelDocumentsModel::setIncludeDeleted);
    connect(reload, &QPushButton::clicked, this, [this] {
        refreshCollections();
        m_documents->refresh();
        m_detail->reload();
    });
    connect(m_loadMore, &QPushButton::clicked, this, [this] { m_documents->fetchMore({}); });
    connect(m_table->horizontalHeader(), &QHeaderView::sectionClicked, this, &ReadModelsPage::headerClicked);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &ReadModelsPage::currentRowChanged);
    connect(m_documents, &ReadModelDocumentsModel::pageLoaded, this, &ReadModelsPage::updateStatus);
    connect(m_documents, &ReadModelDocumentsModel::loadingChanged, this, &ReadModelsPage::updateStatus);
    connect(m_documents, &ReadModelDocumentsModel::errorOccurred, this, &ReadModelsPage::updateStatus);
    // A filter the query API refuses (an unknown operator, a field it cannot filter on) is
    // said next to the filter as well.
    connect(m_documents, &ReadModelDocumentsModel::errorOccurred, this, [this](const QString &message) {
        if (m_documents->filter().isEmpty())
            return;
        m_filterProblem->setText(tr("The engine refused the filter: %1").arg(message));
        m_filterProblem->show();
    });
    connect(m_documents, &QAbstractItemModel::rowsRemoved, this, &ReadModelsPage::updateStatus);
    connect(m_documents, &QAbstractItemModel::rowsInserted, this, &ReadModelsPage::updateStatus);
    connect(m_documents, &QAbstractItemModel::modelReset, this, [this] {
        m_detail->showDocument(m_documents->collection(), m_wantedDocument);
        updateStatus();
    });
    connect(m_documents, &ReadModelDocumentsModel::pageLoaded, this, &ReadModelsPage::showWantedDocument);
    connect(m_detail, &ReadModelDetailView::openRequested, this, &ReadModelsPage::openRequested);

    connect(client, &EngineClient::documentsChanged, this, &ReadModelsPage::onDocumentsChanged);
    connect(client, &EngineClient::resourcesChanged, this, [this](const QString &kind) {
        if (kind == QLatin1String("collections") || kind == QLatin1String("config") || kind == QLatin1String("functions"))
            m_countsTimer->start();
    });
}

ReadModelsPage::~ReadModelsPage() = default;

void ReadModelsPage::editCollection(bool create)
{
    const QString current = m_collections->currentItem() ? m_collections->currentItem()->data(Qt::UserRole).toString() : QString();
    if (!create && current.isEmpty())
        return;
    QStringList names;
    for (int i = 0; i < m_collections->count(); ++i)
        names.append(m_collections->item(i)->data(Qt::UserRole).toString());
    auto *dialog = new CollectionEditorDialog(m_client, create ? CollectionEditorDialog::Mode::Create : CollectionEditorDialog::Mode::Edit,
                                              create ? QJsonObject() : m_definitions.value(current), names, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &CollectionEditorDialog::saved, this, [this](const QString &name) {
        m_status->setText(tr("Collection %1 saved.").arg(name));
        selectCollection(name);
        refreshCollections();
    });
    dialog->open();
}

void ReadModelsPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refreshCollections();
    if (m_stale) {
        m_stale = false;
        m_documents->refresh();
        m_detail->reload();
    }
}

void ReadModelsPage::selectCollection(const QString &name)
{
    m_wantedCollection = name;
    for (int i = 0; i < m_collections->count(); ++i) {
        if (m_collections->item(i)->data(Qt::UserRole).toString() == name) {
            m_collections->setCurrentRow(i);
            m_wantedCollection.clear();
            return;
        }
    }
    refreshCollections();
}

void ReadModelsPage::openDocument(const QString &collection, const QString &id)
{
    m_wantedDocument = id;
    if (m_documents->collection() == collection && !m_documents->isLoading()) {
        showWantedDocument();
        if (m_detail->documentId() != id || m_detail->collection() != collection)
            m_detail->showDocument(collection, id);   // not on the pages loaded
        return;
    }
    m_detail->showDocument(collection, id);
    selectCollection(collection);
}

void ReadModelsPage::showWantedDocument()
{
    if (m_wantedDocument.isEmpty())
        return;
    const QString id = std::exchange(m_wantedDocument, QString());
    for (int row = 0; row < m_documents->rowCount(); ++row) {
        if (m_documents->idAt(row) == id) {
            m_table->selectRow(row);
            m_table->scrollTo(m_documents->index(row, 0));
            return;
        }
    }
    // Not among the rows loaded (filtered out, or further on): the pane shows it anyway.
    m_table->clearSelection();
    if (m_detail->documentId() != id || m_detail->collection() != m_documents->collection())
        m_detail->showDocument(m_documents->collection(), id);
}

void ReadModelsPage::refreshCollections()
{
    m_client->adminGet("/admin/collections", this, [this](const ClientReply &reply) {
        if (!reply.isSuccess()) {
            m_status->setText(tr("Collections: %1").arg(reply.errorText()));
            return;
        }
        const QString current = m_collections->currentItem() ? m_collections->currentItem()->data(Qt::UserRole).toString() : QString();
        const QJsonArray items = reply.object().value(QLatin1String("items")).toArray();
        QStringList names;
        bool building = false;
        for (const QJsonValue &v : items) {
            const QJsonObject c = v.toObject();
            const QString name = c.value(QLatin1String("name")).toString();
            names.append(name);
            m_definitions.insert(name, c);
            QListWidgetItem *item = nullptr;
            for (int i = 0; i < m_collections->count() && !item; ++i) {
                if (m_collections->item(i)->data(Qt::UserRole).toString() == name)
                    item = m_collections->item(i);
            }
            if (!item) {
                item = new QListWidgetItem(m_collections);
                item->setData(Qt::UserRole, name);
            }
            const qint64 count = c.value(QLatin1String("count")).toInteger();
            const qint64 all = c.value(QLatin1String("count_including_deleted")).toInteger(count);
            // Indexes built while the engine runs: the one in progress after the name, every
            // build of this session in the tooltip.
            QString text = QStringLiteral("%1  (%2)").arg(name).arg(count);
            QString tip = tr("%1 documents, %2 logically deleted").arg(count).arg(all - count);
            for (const QJsonValue &b : c.value(QLatin1String("index_builds")).toArray()) {
                const QJsonObject build = b.toObject();
                const QString field = build.value(QLatin1String("field")).toString();
                const QString state = build.value(QLatin1String("state")).toString();
                const QJsonValue progress = build.value(QLatin1String("progress"));
                const QString done = progress.isDouble() ? QStringLiteral(" %1%").arg(qFloor(progress.toDouble() * 100)) : QString();
                if (state == QLatin1String("building") || state == QLatin1String("queued")) {
                    building = true;
                    text += state == QLatin1String("building") ? tr("  indexing %1%2").arg(field, done) : tr("  index %1 queued").arg(field);
                }
                tip += u'\n' + (state == QLatin1String("failed")
                                      ? tr("index on %1: failed: %2").arg(field, build.value(QLatin1String("error")).toString())
                                      : tr("index on %1: %2%3").arg(field, state, state == QLatin1String("building") ? done : QString()));
            }
            item->setText(text);
            item->setToolTip(tip);
        }
        // While an index is being built, its progress is asked for again every second.
        if (building && !m_countsTimer->isActive())
            m_countsTimer->start();
        for (int i = m_collections->count() - 1; i >= 0; --i) {
            if (!names.contains(m_collections->item(i)->data(Qt::UserRole).toString()))
                delete m_collections->takeItem(i);
        }
        const QString wanted = !m_wantedCollection.isEmpty() ? m_wantedCollection : current;
        for (int i = 0; i < m_collections->count(); ++i) {
            if (m_collections->item(i)->data(Qt::UserRole).toString() == wanted) {
                if (m_collections->currentRow() != i)
                    m_collections->setCurrentRow(i);
                m_wantedCollection.clear();
            }
        }
        if (!m_collections->currentItem() && m_wantedCollection.isEmpty() && m_collections->count() > 0)
            m_collections->setCurrentRow(0);
    });
}

void ReadModelsPage::collectionChosen()
{
    const QString name = m_collections->currentItem() ? m_collections->currentItem()->data(Qt::UserRole).toString() : QString();
    if (name == m_documents->collection())
        return;
    m_filter->clear();
    m_table->horizontalHeader()->setSortIndicatorShown(false);
    m_documents->setCollection(name);
}

void ReadModelsPage::applyFilter()
{
    ReadModelDocumentsModel::Filter filter;
    QString error;
    // The parts that are filters apply; the others are named, with why, next to the filter.
    const bool whole = ReadModelDocumentsModel::parseFilter(m_filter->text(), &filter, &error);
    m_filterProblem->setText(whole ? QString() : tr("Not applied: %1").arg(error));
    m_filterProblem->setVisible(!whole);
    m_documents->setFilter(filter);
}

void ReadModelsPage::headerClicked(int section)
{
    const QString field = m_documents->field(section);
    if (field.startsWith(QLatin1String("_meta."))) {
        m_status->setText(tr("The query API sorts by document fields, not by %1").arg(field));
        return;
    }
    const bool descending = m_documents->sortField() == field && !m_documents->sortDescending();
    const Qt::SortOrder order = descending ? Qt::DescendingOrder : Qt::AscendingOrder;
    m_table->horizontalHeader()->setSortIndicatorShown(true);
    m_table->horizontalHeader()->setSortIndicator(section, order);
    m_documents->sort(section, order);
}

void ReadModelsPage::currentRowChanged()
{
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    const QString id = current.isValid() ? m_documents->idAt(current.row()) : QString();
    if (id != m_detail->documentId() || m_documents->collection() != m_detail->collection())
        m_detail->showDocument(m_documents->collection(), id);
}

void ReadModelsPage::onDocumentsChanged(const QString &collection, const QStringList &ids)
{
    if (!isVisible()) {
        m_stale = m_stale || collection == m_documents->collection();
        return;
    }
    m_documents->documentsChanged(collection, ids);
    if (collection == m_detail->collection() && ids.contains(m_detail->documentId()))
        m_detail->reload();
    if (!m_countsTimer->isActive())
        m_countsTimer->start();
}

void ReadModelsPage::updateStatus()
{
    m_loadMore->setEnabled(m_documents->hasMore());
    if (!m_documents->lastError().isEmpty()) {
        m_status->setText(m_documents->lastError());
        return;
    }
    if (m_documents->collection().isEmpty()) {
        m_status->setText(tr("No collection selected"));
        return;
    }
    QString text = tr("%n document(s) shown", nullptr, m_documents->rowCount());
    if (m_documents->hasMore())
        text += tr(" · more available");
    if (!m_documents->sortField().isEmpty())
        text += tr(" · sorted by %1%2").arg(m_documents->sortDescending() ? QStringLiteral("-") : QString(), m_documents->sortField());
    if (m_documents->isLoading())
        text += tr(" · loading…");
    m_status->setText(text);
}

} // namespace Gatehouse::Ui
