#include "streamspage.h"

#include "engineclient.h"
#include "eventlinks.h"
#include "models/streamdiffmodel.h"
#include "models/streameventsmodel.h"
#include "models/streamhistory.h"
#include "store/cloudevent.h"
#include "widgets/streamsbrowser.h"
#include "widgets/streamsentitypicker.h"

#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QMenu>
#include <QPlainTextEdit>
#include <QScopedValueRollback>
#include <QSlider>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

namespace {
QLabel *label(const QString &name, QWidget *parent)
{
    auto *l = new QLabel(parent);
    l->setObjectName(name);
    l->setWordWrap(true);
    return l;
}

QPlainTextEdit *jsonView(const QString &name, QWidget *parent)
{
    auto *view = new QPlainTextEdit(parent);
    view->setObjectName(name);
    view->setReadOnly(true);
    view->setLineWrapMode(QPlainTextEdit::NoWrap);
    return view;
}

QTableView *table(const QString &name, QAbstractItemModel *model, QWidget *parent)
{
    auto *view = new QTableView(parent);
    view->setObjectName(name);
    view->setModel(model);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->verticalHeader()->hide();
    view->horizontalHeader()->setStretchLastSection(true);
    return view;
}

QString prettyText(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Indented));
}
} // namespace

struct StreamsPage::Private
{
    EngineClient *client = nullptr;
    StreamsEntityPicker *picker = nullptr;
    StreamsBrowser *browser = nullptr;
    StreamHistory history;
    StreamEventsModel *eventsModel = nullptr;
    StreamDiffModel *diffModel = nullptr;
    QTableView *events = nullptr;
    QSlider *slider = nullptr;
    QLabel *status = nullptr;
    QLabel *stepLabel = nullptr;
    QLabel *stateStatus = nullptr;
    QPlainTextEdit *state = nullptr;
    QTableView *diff = nullptr;
    QPlainTextEdit *serverState = nullptr;
    QLabel *agreement = nullptr;
    // What is being loaded; a newer load makes older answers stale.
    quint64 loadGeneration = 0;
    bool loading = false;
    QString loadingCollection;
    QString loadingId;
    qint64 wantedPosition = -1;   // openStream(): the step to show once loaded
    bool syncingRow = false;      // showStep() moving the table's current row
    std::optional<Collection> definition;   // of loadingCollection, for its upcasters
    RecordedEvents pages;
    quint64 serverGeneration = 0;
};

StreamsPage::StreamsPage(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , d(std::make_unique<Private>())
{
    setObjectName(QStringLiteral("streamsPage"));
    d->client = client;
    d->eventsModel = new StreamEventsModel(&d->history, this);
    d->eventsModel->setObjectName(QStringLiteral("streamsEventsModel"));
    d->diffModel = new StreamDiffModel(this);
    d->diffModel->setObjectName(QStringLiteral("streamsDiffModel"));
    buildUi();
    connect(client, &EngineClient::eventsArrived, this, &StreamsPage::liveEvents);
    showStep(-1);
}

StreamsPage::~StreamsPage()
{
    // The views and models are deleted with the children, after `d`; no calls back into us.
    disconnect(d->events->selectionModel(), nullptr, this, nullptr);
    disconnect(d->slider, nullptr, this, nullptr);
}

void StreamsPage::buildUi()
{
    d->picker = new StreamsEntityPicker(d->client, this);
    connect(d->picker, &StreamsEntityPicker::loadRequested, this, &StreamsPage::loadEntity);
    d->browser = new StreamsBrowser(d->client, this);
    connect(d->browser, &StreamsBrowser::openRequested, this, &StreamsPage::loadEntity);
    d->status = label(QStringLiteral("streamsStatus"), this);

    d->events = table(QStringLiteral("streamsEvents"), d->eventsModel, this);
    d->events->setColumnWidth(StreamEventsModel::TimeColumn, 170);
    d->events->setColumnWidth(StreamEventsModel::TypeColumn, 160);
    connect(d->events->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex &current) {
        if (!d->syncingRow)
            setStep(current.row());
    });
    d->events->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(d->events, &QWidget::customContextMenuRequested, this, [this](const QPoint &pos) {
        const QModelIndex index = d->events->indexAt(pos);
        if (!index.isValid() || index.row() >= d->history.size())
            return;
        QMenu menu(this);
        menu.setObjectName(QStringLiteral("streamsContextMenu"));
        addEventLinks(&menu, EventRef::of(d->history.eventAt(index.row())), Location::Kind::Stream,
                      [this](const Location &l) { Q_EMIT openRequested(l); });
        menu.exec(d->events->viewport()->mapToGlobal(pos));
    });

    d->slider = new QSlider(Qt::Horizontal, this);
    d->slider->setObjectName(QStringLiteral("streamsSlider"));
    d->slider->setTickPosition(QSlider::TicksBelow);
    d->slider->setPageStep(1);
    connect(d->slider, &QSlider::valueChanged, this, &StreamsPage::showStep);
    d->stepLabel = label(QStringLiteral("streamsStep"), this);

    auto *top = new QWidget(this);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(d->events, 1);
    topLayout->addWidget(d->slider);
    topLayout->addWidget(d->stepLabel);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(top);
    splitter->addWidget(buildStatePanes());
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);

    auto *main = new QWidget(this);
    auto *mainLayout = new QVBoxLayout(main);
    mainLayout->setContentsMargins(0, 0, 0, 0);
    mainLayout->addWidget(d->picker);
    mainLayout->addWidget(d->status);
    mainLayout->addWidget(splitter, 1);
    auto *outer = new QSplitter(Qt::Horizontal, this);
    outer->setObjectName(QStringLiteral("streamsOuterSplitter"));
    outer->addWidget(d->browser);
    outer->addWidget(main);
    outer->setStretchFactor(0, 0);
    outer->setStretchFactor(1, 1);
    outer->setSizes({220, 900});
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(outer, 1);
}

QWidget *StreamsPage::buildStatePanes()
{
    auto column = [this](const QString &title, QWidget *status, QWidget *body) {
        auto *box = new QWidget(this);
        auto *layout = new QVBoxLayout(box);
        layout->setContentsMargins(0, 0, 0, 0);
        auto *heading = new QLabel(QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()), box);
        layout->addWidget(heading);
        layout->addWidget(status);
        layout->addWidget(body, 1);
        return box;
    };
    d->state = jsonView(QStringLiteral("streamsState"), this);
    d->stateStatus = label(QStringLiteral("streamsStateStatus"), this);
    d->diff = table(QStringLiteral("streamsDiff"), d->diffModel, this);
    d->serverState = jsonView(QStringLiteral("streamsServerState"), this);
    d->agreement = label(QStringLiteral("streamsAgreement"), this);

    auto *panes = new QSplitter(Qt::Horizontal, this);
    panes->setObjectName(QStringLiteral("streamsPanes"));
    panes->addWidget(column(tr("State after this event"), d->stateStatus, d->state));
    QLabel *legend = label(QStringLiteral("streamsDiffLegend"), this);
    legend->setText(QStringLiteral("<span style=\"background:#d8f5d0\">&nbsp;%1&nbsp;</span> "
                                   "<span style=\"background:#fcefc7\">&nbsp;%2&nbsp;</span> "
                                   "<span style=\"background:#fad4d4\">&nbsp;%3&nbsp;</span>")
                        .arg(tr("added"), tr("changed"), tr("removed")));
    panes->addWidget(column(tr("What it changed"), legend, d->diff));
    panes->addWidget(column(tr("The engine at this position"), d->agreement, d->serverState));
    return panes;
}

void StreamsPage::openStream(const QString &collection, const QString &id, qint64 position)
{
    if (!d->loading && d->history.size() > 0 && d->history.streamName() == CloudEvent::streamName(collection, id)) {
        // Loaded already (Back to it, say): only the step.
        showPosition(position);
        return;
    }
    loadEntity(collection, id);
    d->wantedPosition = position;
}

void StreamsPage::showPosition(qint64 position)
{
    int step = d->history.size() - 1;
    for (int i = 0; position >= 0 && i < d->history.size(); ++i) {
        if (d->history.eventAt(i).position == position) {
            step = i;
            break;
        }
    }
    setStep(step);
}

void StreamsPage::loadEntity(const QString &collection, const QString &id)
{
    d->wantedPosition = -1;
    d->picker->setEntity(collection, id);
    ++d->loadGeneration;
    d->loading = true;
    d->loadingCollection = collection;
    d->loadingId = id;
    d->pages.clear();
    d->definition.reset();
    d->status->setText(tr("Loading %1 …").arg(CloudEvent::streamName(collection, id)));
    // The collection's definition first: events of older schema versions are shown folded
    // through its upcasters, as the engine folds them. Without it (archived, or no admin
    // access) the events are folded as written.
    d->client->get("/admin/collections/" + EngineClient::encode(collection), this,
                   [this, generation = d->loadGeneration](const ClientReply &reply) {
        if (generation != d->loadGeneration)
            return;
        if (reply.isSuccess()) {
            static const QStringList members{QStringLiteral("schema"), QStringLiteral("id_pattern"), QStringLiteral("commands"),
                                             QStringLiteral("indexes"), QStringLiteral("snapshot_every"),
                                             QStringLiteral("schema_version"), QStringLiteral("upcasters")};
            const QJsonObject served = QJsonDocument::fromJson(reply.body).object();
            QJsonObject definition;
            for (const QString &member : members) {
                if (served.contains(member))
                    definition.insert(member, served.value(member));
            }
            QStringList errors;
            Collection c = Collection::fromJson(d->loadingCollection, definition, &errors);
            if (errors.isEmpty())
                d->definition = std::move(c);
        }
        requestPage(1);
    });
}

void StreamsPage::requestPage(qint64 from)
{
    const QString stream = CloudEvent::streamName(d->loadingCollection, d->loadingId);
    const QByteArray target = "/events?stream=" + EngineClient::encode(stream) + "&from=" + QByteArray::number(from)
        + "&limit=" + QByteArray::number(kPageSize);
    d->client->get(target, this, [this, generation = d->loadGeneration](const ClientReply &reply) {
        if (generation == d->loadGeneration)
            pageArrived(reply);
    });
}

void StreamsPage::pageArrived(const ClientReply &reply)
{
    if (!reply.isSuccess()) {
        d->loading = false;
        d->status->setText(tr("Could not load the events: %1").arg(reply.errorText()));
        return;
    }
    const RecordedEvents page = EngineClient::parseEventBatch(reply.body);
    d->pages += page;
    if (page.size() == kPageSize) {
        requestPage(page.constLast().position + 1);
        return;
    }
    loaded();
}

void StreamsPage::loaded()
{
    d->loading = false;
    d->eventsModel->resetHistory([this] {
        d->history.reset(d->loadingCollection, d->loadingId, d->definition ? &*d->definition : nullptr);
        d->history.append(std::exchange(d->pages, {}));
    });
    const int count = d->history.size();
    d->status->setText(count == 0 ? tr("%1 has no events.").arg(d->history.streamName())
                                  : countText());
    {
        const QSignalBlocker blocker(d->slider);
        d->slider->setRange(0, qMax(0, count - 1));
        d->slider->setValue(qMax(0, count - 1));
    }
    d->slider->setEnabled(count > 0);
    showStep(count - 1);
    if (const qint64 wanted = std::exchange(d->wantedPosition, -1); wanted >= 0)
        showPosition(wanted);
}

QString StreamsPage::countText() const
{
    const int count = d->history.size();
    return count == 1 ? tr("%1: 1 event.").arg(d->history.streamName())
                      : tr("%1: %2 events.").arg(d->history.streamName()).arg(count);
}

void StreamsPage::liveEvents(const RecordedEvents &events)
{
    d->picker->noteEvents(events);
    d->browser->noteEvents(events);
    if (d->loading || d->history.size() == 0)
        return;
    RecordedEvents mine;
    qint64 nextVersion = d->history.eventAt(d->history.size() - 1).version + 1;
    for (const RecordedEvent &e : events) {
        if (e.stream == d->history.streamName() && e.version == nextVersion) {
            mine.append(e);
            ++nextVersion;
        }
    }
    if (mine.isEmpty())
        return;
    const bool atEnd = currentStep() == d->history.size() - 1;
    d->history.append(mine);
    d->eventsModel->historyAppended();
    d->slider->setMaximum(d->history.size() - 1);
    d->status->setText(countText());
    if (atEnd)
        setStep(d->history.size() - 1);
    else
        showStepLabel(currentStep());   // the same step, of more events
}

StreamsBrowser *StreamsPage::browser() const
{
    return d->browser;
}

int StreamsPage::stepCount() const
{
    return d->history.size();
}

int StreamsPage::currentStep() const
{
    return d->history.size() == 0 ? -1 : d->slider->value();
}

void StreamsPage::setStep(int step)
{
    if (step < 0 || step >= d->history.size())
        return;
    d->slider->setValue(step);   // showStep via valueChanged
}

void StreamsPage::showStep(int step)
{
    if (step < 0 || step >= d->history.size()) {
        d->stepLabel->setText(tr("Pick an entity and load it to travel through its events."));
        d->state->clear();
        d->stateStatus->clear();
        d->serverState->clear();
        d->agreement->clear();
        d->diffModel->setChanges({});
        return;
    }
    showStepLabel(step);
    const QModelIndex row = d->eventsModel->index(step, 0);
    if (d->events->currentIndex().row() != step) {
        // Not by blocking the selection model's signals: the view repaints the rows it
        // deselects on them (old highlights stayed painted).
        const QScopedValueRollback<bool> syncing(d->syncingRow, true);
        d->events->setCurrentIndex(row);
        d->events->selectRow(step);
    }
    d->events->scrollTo(row);
    showLocalState(step);
    compareWithServer(step);
}

void StreamsPage::showStepLabel(int step)
{
    const RecordedEvent &e = d->history.eventAt(step);
    d->stepLabel->setText(tr("Event %1 of %2: version %3, position %4, %5")
                              .arg(step + 1).arg(d->history.size()).arg(e.version).arg(e.position).arg(e.type));
}

void StreamsPage::showLocalState(int step)
{
    const StreamHistory::State &state = d->history.stateAfter(step);
    d->state->setPlainText(state.exists ? prettyText(state.document) : QString());
    QString status = !state.exists ? tr("does not exist yet") : state.deleted ? tr("deleted") : tr("exists");
    if (!state.error.isEmpty())
        status += QStringLiteral(" — ") + state.error;
    d->stateStatus->setText(status);
    d->stateStatus->setStyleSheet(state.deleted || !state.error.isEmpty() ? QStringLiteral("color: #b00020;") : QString());
    d->diffModel->setChanges(d->history.changesAt(step));
    d->diff->resizeColumnToContents(StreamDiffModel::FieldColumn);
}

void StreamsPage::compareWithServer(int step)
{
    const qint64 position = d->history.eventAt(step).position;
    const QByteArray target = "/api/" + EngineClient::encode(d->history.collection()) + '/' + EngineClient::encode(d->history.id())
        + "?at_position=" + QByteArray::number(position);
    d->agreement->setText(tr("Asking the engine for position %1 …").arg(position));
    d->agreement->setStyleSheet({});
    d->client->get(target, this, [this, step, generation = ++d->serverGeneration](const ClientReply &reply) {
        if (generation == d->serverGeneration && step < d->history.size())
            serverAnswered(step, reply);
    });
}

void StreamsPage::serverAnswered(int step, const ClientReply &reply)
{
    const StreamHistory::State &local = d->history.stateAfter(step);
    const qint64 position = d->history.eventAt(step).position;
    const bool localVisible = local.exists && !local.deleted;
    bool agrees = false;
    if (reply.status == 200) {
        QJsonObject server = reply.object();
        server.remove(QLatin1String("_meta"));
        d->serverState->setPlainText(QString::fromUtf8(reply.json().toJson(QJsonDocument::Indented)));
        agrees = localVisible && server == local.document;
    } else {
        d->serverState->setPlainText(reply.errorText());
        agrees = reply.status == 404 && !localVisible;
    }
    if (reply.status != 200 && reply.status != 404)
        d->agreement->setText(tr("The engine could not answer for position %1.").arg(position));
    else
        d->agreement->setText(agrees ? tr("The engine agrees at position %1.").arg(position)
                                     : tr("The engine differs at position %1!").arg(position));
    d->agreement->setStyleSheet(agrees ? QStringLiteral("color: #1b7f1b;") : QStringLiteral("color: #b00020;"));
}

} // namespace Gatehouse::Ui
