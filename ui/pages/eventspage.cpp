#include "eventspage.h"
#include "eventspage_p.h"

#include "engineclient.h"
#include "eventlinks.h"
#include "models/eventbuffermodel.h"
#include "models/eventfilterproxy.h"
#include "models/eventlivefeed.h"
#include "widgets/eventsdetailview.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QShortcut>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <limits>
#include <utility>

namespace Gatehouse::Ui {

namespace {
constexpr auto kCapacityKey = "events/capacity";

QLineEdit *filterEdit(const QString &name, const QString &placeholder, QWidget *parent)
{
    auto *edit = new QLineEdit(parent);
    edit->setObjectName(name);
    edit->setPlaceholderText(placeholder);
    edit->setClearButtonEnabled(true);
    return edit;
}

QLabel *label(const QString &name, QWidget *parent)
{
    auto *l = new QLabel(parent);
    l->setObjectName(name);
    return l;
}
} // namespace


EventsPage::EventsPage(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    setObjectName(QStringLiteral("eventsPage"));
    d->client = client;
    d->buffer = new EventBufferModel(this);
    d->buffer->setObjectName(QStringLiteral("eventsBuffer"));
    d->proxy = new EventFilterProxy(this);
    d->proxy->setObjectName(QStringLiteral("eventsFilter"));
    d->proxy->setSourceModel(d->buffer);
    d->feed = new EventLiveFeed(d->buffer, this);
    buildUi();
    connectModels();
    setCapacity(QSettings().value(QLatin1String(kCapacityKey), EventBufferModel::kDefaultCapacity).toInt());
    connect(client, &EngineClient::eventsArrived, d->feed, &EventLiveFeed::receive);
    requestOlder(false);   // the newest page, so the table is not empty on an engine with history
}

EventsPage::~EventsPage()
{
    // The models are deleted with the children, after `d`; they must not call back into us.
    disconnect(d->proxy, nullptr, this, nullptr);
    disconnect(d->feed, nullptr, this, nullptr);
}

EventBufferModel *EventsPage::buffer() const
{
    return d->buffer;
}

void EventsPage::buildUi()
{
    d->table = new QTableView(this);
    d->table->setObjectName(QStringLiteral("eventsTable"));
    d->table->setModel(d->proxy);
    d->table->setSelectionBehavior(QAbstractItemView::SelectRows);
    d->table->setSelectionMode(QAbstractItemView::SingleSelection);
    d->table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    d->table->setWordWrap(false);
    d->table->setAlternatingRowColors(true);
    // Fixed row heights keep the view virtual: nothing measures 10,000 rows.
    d->table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    d->table->verticalHeader()->hide();
    d->table->horizontalHeader()->setStretchLastSection(true);
    d->table->setColumnWidth(EventBufferModel::PositionColumn, 80);
    d->table->setColumnWidth(EventBufferModel::TimeColumn, 100);
    d->table->setColumnWidth(EventBufferModel::TypeColumn, 170);
    d->table->setColumnWidth(EventBufferModel::SubjectColumn, 150);
    d->table->installEventFilter(this);
    d->table->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(d->table, &QWidget::customContextMenuRequested, this, &EventsPage::showContextMenu);

    d->detail = new EventsDetailView(d->buffer, this);
    connect(d->detail, &EventsDetailView::eventLinkActivated, this, &EventsPage::followLink);
    connect(d->detail, &EventsDetailView::locationActivated, this, &EventsPage::openRequested);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setObjectName(QStringLiteral("eventsSplitter"));
    splitter->addWidget(d->table);
    splitter->addWidget(d->detail);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    d->message = label(QStringLiteral("eventsMessage"), this);
    d->message->setWordWrap(true);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(buildFilterBar());
    layout->addWidget(buildControlBar());
    layout->addWidget(buildSearchBar());
    layout->addWidget(splitter, 1);
    layout->addWidget(d->message);

    auto *find = new QShortcut(QKeySequence::Find, this);
    find->setContext(Qt::WidgetWithChildrenShortcut);
    connect(find, &QShortcut::activated, this, [this] {
        d->textFilter->setFocus(Qt::ShortcutFocusReason);
        d->textFilter->selectAll();
    });
}

QWidget *EventsPage::buildFilterBar()
{
    auto *bar = new QWidget(this);
    auto *layout = new QHBoxLayout(bar);
    layout->setContentsMargins(0, 0, 0, 0);
    d->typeFilter = filterEdit(QStringLiteral("eventsTypeFilter"), tr("Type, e.g. products.*"), bar);
    d->subjectFilter = filterEdit(QStringLiteral("eventsSubjectFilter"), tr("Subject, e.g. w1*"), bar);
    d->textFilter = filterEdit(QStringLiteral("eventsTextFilter"), tr("Search type, subject and data (Ctrl+F)"), bar);
    d->since = filterEdit(QStringLiteral("eventsSince"), tr("Since, e.g. -1h"), bar);
    d->until = filterEdit(QStringLiteral("eventsUntil"), tr("Until"), bar);
    for (QLineEdit *edit : {d->since, d->until})
        edit->setToolTip(tr("A time for Search log: -15m, -2h, -1d (ago), 2026-12-06T10:00 (local) or with a zone (Z, +01:00)"));
    d->search = new QPushButton(tr("Search log"), bar);
    d->search->setObjectName(QStringLiteral("eventsSearch"));
    d->search->setToolTip(tr("Search the whole log on the engine with these filters, newest first (Enter in a filter)"));
    connect(d->typeFilter, &QLineEdit::textChanged, d->proxy, &EventFilterProxy::setTypeGlob);
    connect(d->subjectFilter, &QLineEdit::textChanged, d->proxy, &EventFilterProxy::setSubjectGlob);
    connect(d->textFilter, &QLineEdit::textChanged, d->proxy, &EventFilterProxy::setText);
    for (QLineEdit *edit : {d->typeFilter, d->subjectFilter, d->textFilter, d->since, d->until})
        connect(edit, &QLineEdit::returnPressed, this, &EventsPage::searchLog);
    connect(d->search, &QPushButton::clicked, this, &EventsPage::searchLog);
    layout->addWidget(d->typeFilter, 2);
    layout->addWidget(d->subjectFilter, 2);
    layout->addWidget(d->textFilter, 3);
    layout->addWidget(d->since, 1);
    layout->addWidget(d->until, 1);
    layout->addWidget(d->search);
    return bar;
}

QWidget *EventsPage::buildControlBar()
{
    auto *bar = new QWidget(this);
    auto *layout = new QHBoxLayout(bar);
    layout->setContentsMargins(0, 0, 0, 0);
    d->pause = new QPushButton(tr("Pause"), bar);
    d->pause->setObjectName(QStringLiteral("eventsPause"));
    d->pause->setCheckable(true);
    d->pause->setToolTip(tr("Stop following the log; arrivals are counted and kept (Space in the table)"));
    connect(d->pause, &QPushButton::toggled, this, &EventsPage::setPaused);
    d->newCount = label(QStringLiteral("eventsNewCount"), bar);
    d->loadOlder = new QPushButton(tr("Load older"), bar);
    d->loadOlder->setObjectName(QStringLiteral("eventsLoadOlder"));
    d->loadOlder->setToolTip(tr("Page back through the log, %1 events at a time").arg(kOlderPageSize));
    connect(d->loadOlder, &QPushButton::clicked, this, &EventsPage::loadOlder);
    d->capacity = new QSpinBox(bar);
    d->capacity->setObjectName(QStringLiteral("eventsCapacity"));
    d->capacity->setRange(100, 1000000);
    d->capacity->setSingleStep(1000);
    d->capacity->setGroupSeparatorShown(true);
    d->capacity->setKeyboardTracking(false);   // no trimming to "1" while typing "10000"
    d->capacity->setPrefix(tr("Keep "));
    d->capacity->setSuffix(tr(" rows"));
    connect(d->capacity, &QSpinBox::valueChanged, this, &EventsPage::setCapacity);
    d->rows = label(QStringLiteral("eventsRows"), bar);
    d->dropped = label(QStringLiteral("eventsDropped"), bar);
    d->dropped->setToolTip(tr("Events the console left out because it fell behind the log"));
    d->dropped->setStyleSheet(QStringLiteral("color: #b35900;"));
    d->jump = filterEdit(QStringLiteral("eventsJump"), tr("Jump to #position or time"), bar);
    d->jump->setToolTip(tr("Show the log from a position (#1200) or a time (-1h, 2026-12-06T10:00); Enter jumps"));
    d->jump->setMaximumWidth(220);
    connect(d->jump, &QLineEdit::returnPressed, this, [this] { jumpTo(d->jump->text()); });
    layout->addWidget(d->pause);
    layout->addWidget(d->newCount);
    layout->addWidget(d->loadOlder);
    layout->addWidget(d->jump, 1);
    layout->addStretch(1);
    layout->addWidget(d->dropped);
    layout->addWidget(d->rows);
    layout->addWidget(d->capacity);
    return bar;
}

void EventsPage::connectModels()
{
    // Follow the tail only while the view is at the bottom: reading older rows is not disturbed.
    connect(d->proxy, &QAbstractItemModel::rowsAboutToBeInserted, this, [this] {
        const QScrollBar *bar = d->table->verticalScrollBar();
        d->followTail = bar->value() == bar->maximum();
    });
    connect(d->proxy, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex &, int first) {
        if (d->followTail && first > 0)
            d->table->scrollToBottom();
    });
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(d->proxy, signal, this, &EventsPage::updateLabels);
    connect(d->proxy, &QAbstractItemModel::modelReset, this, &EventsPage::updateLabels);
    connect(d->proxy, &QAbstractItemModel::layoutChanged, this, &EventsPage::updateLabels);
    connect(d->feed, &EventLiveFeed::changed, this, &EventsPage::updatePauseLabel);
    connect(d->table->verticalScrollBar(), &QScrollBar::valueChanged, this, &EventsPage::scrolled);
    // The detail pane follows the current row, by mouse, keyboard or a filter that hides it.
    connect(d->table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &EventsPage::showDetails);
    connect(d->table, &QAbstractItemView::clicked, this, &EventsPage::showDetails);
    connect(d->table, &QAbstractItemView::activated, this, &EventsPage::showDetails);
    const auto followCurrent = [this] {
        const QModelIndex current = d->table->currentIndex();
        if (!current.isValid())
            d->detail->displayNothing();
        else if (d->detail->shownEventId() != d->buffer->eventAt(d->proxy->mapToSource(current).row()).id)
            showDetails(current);
    };
    connect(d->proxy, &QAbstractItemModel::rowsRemoved, this, followCurrent);
    // Another log at the engine's address: what the table holds is of the old one.
    connect(d->client, &EngineClient::logReplaced, this, &EventsPage::backToLive);
    // A row shown in its CloudEvent form (a page read from the log) replaced by the live batch's,
    // which has all of its metadata (a command's id): the chain is worked out again.
    connect(d->proxy, &QAbstractItemModel::dataChanged, this, [this] {
        if (std::exchange(d->detailRefreshQueued, true))
            return;   // once for all the rows a batch replaced
        QTimer::singleShot(0, this, [this] {
            d->detailRefreshQueued = false;
            const QModelIndex current = d->table->currentIndex();
            if (current.isValid() && !d->detail->shownEventId().isEmpty())
                showDetails(current);
        });
    });
    connect(d->proxy, &QAbstractItemModel::modelReset, this, followCurrent);
    connect(d->proxy, &QAbstractItemModel::layoutChanged, this, followCurrent);
    updateLabels();
    updatePauseLabel();
}

bool EventsPage::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == d->table && event->type() == QEvent::KeyPress) {
        const auto *key = static_cast<QKeyEvent *>(event);
        if (key->key() == Qt::Key_Space && key->modifiers() == Qt::NoModifier) {
            setPaused(!isPaused());
            return true;
        }
        if (key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) {
            showDetails(d->table->currentIndex());
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

bool EventsPage::isPaused() const
{
    return d->feed->isPaused();
}

void EventsPage::setPaused(bool paused)
{
    if (!paused && d->mode != Mode::Live) {
        backToLive();   // live rows do not belong among search results or a jump's page
        return;
    }
    d->scrollPaused = false;
    d->feed->setPaused(paused);
    if (!paused) {
        d->message->clear();
        d->table->scrollToBottom();
    }
    const QSignalBlocker blocker(d->pause);
    d->pause->setChecked(paused);
    d->pause->setText(paused ? tr("Resume") : tr("Pause"));
}

void EventsPage::scrolled(int value)
{
    // Live, the view holds still while the user reads older rows: scrolled away from the
    // newest row it pauses (arrivals are counted), scrolled back it resumes.
    if (d->mode != Mode::Live || d->loadingOlder)
        return;
    const QScrollBar *bar = d->table->verticalScrollBar();
    const bool atBottom = value >= bar->maximum();
    if (!atBottom && !isPaused()) {
        d->feed->setPaused(true);
        d->scrollPaused = true;
        const QSignalBlocker blocker(d->pause);
        d->pause->setChecked(true);
        d->pause->setText(tr("Resume"));
        d->message->setText(tr("Scrolled up: the view holds still; scroll to the bottom (or Resume) to follow the log again."));
    } else if (atBottom && d->scrollPaused) {
        d->scrollPaused = false;
        d->feed->setPaused(false);
        const QSignalBlocker blocker(d->pause);
        d->pause->setChecked(false);
        d->pause->setText(tr("Pause"));
        d->message->clear();
        d->table->scrollToBottom();
    }
}

void EventsPage::setCapacity(int rows)
{
    if (d->capacity->value() != rows) {
        d->capacity->setValue(rows);   // comes back here through valueChanged
        return;
    }
    d->buffer->setCapacity(rows);
    QSettings().setValue(QLatin1String(kCapacityKey), rows);
    updateLabels();
}

void EventsPage::loadOlder()
{
    if (d->mode == Mode::Search) {
        // Further back with the same search.
        if (d->searching || d->searchComplete)
            return;
        d->foundThisRun = 0;
        runSearch();
        return;
    }
    requestOlder(true);
}

void EventsPage::requestOlder(bool makeRoom)
{
    if (d->loadingOlder)
        return;
    d->loadingOlder = true;
    d->loadOlder->setEnabled(false);
    // An empty buffer asks for the newest page.
    const qint64 before = d->buffer->rowCount() > 0 ? d->buffer->oldestPosition() : std::numeric_limits<qint64>::max();
    d->client->get("/events?before=" + QByteArray::number(before) + "&limit=" + QByteArray::number(kOlderPageSize), this,
                   [this, makeRoom, generation = d->generation](const ClientReply &reply) {
        if (generation == d->generation)   // not for a buffer that was started over since
            olderPageArrived(reply, makeRoom);
    });
}

void EventsPage::olderPageArrived(const ClientReply &reply, bool makeRoom)
{
    d->loadingOlder = false;
    if (!reply.isSuccess()) {
        d->message->setText(tr("Loading older events failed: %1").arg(reply.errorText()));
        updateLabels();
        return;
    }
    // Only a user's request may push rows aside; the page loaded at start just fills free room.
    const RecordedEvents displaced = d->buffer->prependEvents(EngineClient::parseEventBatch(reply.body), makeRoom);
    if (!makeRoom)
        d->table->scrollToBottom();   // the page opens at the newest event
    if (!displaced.isEmpty()) {
        setPaused(true);
        d->feed->holdBack(displaced);
        d->message->setText(tr("The buffer is full: the newest rows (%1) were set aside and the live view paused. "
                               "Resume brings them back and pushes the older rows out again.").arg(QLocale().toString(displaced.size())));
    }
    updateLabels();
}

void EventsPage::showDetails(const QModelIndex &proxyIndex)
{
    const QModelIndex source = d->proxy->mapToSource(proxyIndex);
    if (!source.isValid()) {
        d->detail->displayNothing();
        return;
    }
    d->detail->display(d->buffer->eventAt(source.row()));
}

void EventsPage::showContextMenu(const QPoint &pos)
{
    const QModelIndex source = d->proxy->mapToSource(d->table->indexAt(pos));
    if (!source.isValid())
        return;
    const RecordedEvent &event = d->buffer->eventAt(source.row());
    QMenu menu(this);
    menu.setObjectName(QStringLiteral("eventsContextMenu"));
    addEventLinks(&menu, EventRef::of(event), Location::Kind::Event, [this](const Location &l) { Q_EMIT openRequested(l); });
    menu.exec(d->table->viewport()->mapToGlobal(pos));
}

void EventsPage::followLink(const QString &id)
{
    const int row = d->buffer->rowOfEventOrCommand(id);
    if (row < 0) {
        d->message->setText(tr("%1 is not loaded: it is older than the buffer (try Load older) or not in the log.").arg(id));
        return;
    }
    const QModelIndex proxyIndex = d->proxy->mapFromSource(d->buffer->index(row, 0));
    if (!proxyIndex.isValid()) {
        d->message->setText(tr("Event #%1 is hidden by the filter: clear the filters to see it.").arg(d->buffer->eventAt(row).position));
        return;
    }
    d->table->setCurrentIndex(proxyIndex);
    d->table->scrollTo(proxyIndex);
    d->message->clear();
    d->detail->display(d->buffer->eventAt(row));
}

void EventsPage::updateLabels()
{
    const QLocale locale;
    const int inBuffer = d->buffer->rowCount();
    QString text = tr("%1 / %2 rows").arg(locale.toString(inBuffer), locale.toString(d->buffer->capacity()));
    if (d->proxy->isFiltering())
        text = tr("%1 shown, ").arg(locale.toString(d->proxy->rowCount())) + text;
    d->rows->setText(text);
    if (d->mode == Mode::Search) {
        d->loadOlder->setEnabled(!d->searching && !d->searchComplete && inBuffer < d->buffer->capacity());
        d->loadOlder->setText(d->searchComplete ? tr("Start of the log") : tr("Search older"));
        return;
    }
    const bool atStart = inBuffer > 0 && d->buffer->oldestPosition() <= 1;
    d->loadOlder->setEnabled(!d->loadingOlder && !atStart);
    d->loadOlder->setText(atStart ? tr("Start of the log") : tr("Load older"));
}

void EventsPage::updatePauseLabel()
{
    const QLocale locale;
    d->newCount->setText(isPaused() ? tr("%1 new").arg(locale.toString(d->feed->newWhilePaused())) : QString());
    d->dropped->setText(d->feed->dropped() > 0 ? tr("%1 dropped").arg(locale.toString(d->feed->dropped())) : QString());
}

} // namespace Gatehouse::Ui
