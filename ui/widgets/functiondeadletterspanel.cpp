#include "functiondeadletterspanel.h"

#include "engineclient.h"
#include "eventlinks.h"
#include "models/jsonrowsmodel.h"

#include <QDateTime>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <utility>

namespace Gatehouse::Ui {

namespace {
enum Column { FunctionColumn, TypeColumn, SubjectColumn, PositionColumn, AttemptsColumn, FailedAtColumn, ErrorColumn };

QList<JsonRowsModel::Column> columns()
{
    using C = JsonRowsModel::Column;
    return {
        C{QObject::tr("Function"), QStringLiteral("function")},
        C{QObject::tr("Event type"), QStringLiteral("event.type")},
        C{QObject::tr("Subject"), QStringLiteral("event.subject")},
        C{QObject::tr("Position"), QStringLiteral("event.position")},
        C{QObject::tr("Attempts"), QStringLiteral("attempts")},
        C{QObject::tr("Failed at"), QString(), [](const QJsonObject &row) -> QVariant {
              const qint64 ms = row.value(QLatin1String("failed_at_ms")).toInteger();
              return ms > 0 ? QDateTime::fromMSecsSinceEpoch(ms).toString(Qt::ISODate) : QString();
          }},
        C{QObject::tr("Error"), QStringLiteral("error")},
    };
}

EventRef eventOf(const QJsonObject &letter)
{
    const QJsonObject event = letter.value(QLatin1String("event")).toObject();
    EventRef ref;
    ref.id = event.value(QLatin1String("id")).toString();
    ref.position = event.value(QLatin1String("position")).toInteger(-1);
    ref.type = event.value(QLatin1String("type")).toString();
    ref.subject = event.value(QLatin1String("subject")).toString();
    ref.stream = event.value(QLatin1String("stream")).toString();
    return ref;
}
} // namespace

FunctionDeadLettersPanel::FunctionDeadLettersPanel(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_model(new JsonRowsModel(QStringLiteral("id"), columns(), this))
    , m_proxy(new QSortFilterProxyModel(this))
{
    setObjectName(QStringLiteral("functionDeadLettersPanel"));
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(JsonRowsModel::SortRole);
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("functionDeadLetters"));
    m_table->setModel(m_proxy);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(PositionColumn, Qt::AscendingOrder);
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    m_detail = new QPlainTextEdit(this);
    m_detail->setObjectName(QStringLiteral("deadLetterDetail"));
    m_detail->setReadOnly(true);
    m_detail->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_replay = new QPushButton(tr("Replay"), this);
    m_replay->setObjectName(QStringLiteral("deadLetterReplay"));
    m_replay->setToolTip(tr("Run the selected events again against their function's current version"));
    m_skip = new QPushButton(tr("Skip"), this);
    m_skip->setObjectName(QStringLiteral("deadLetterSkip"));
    m_skip->setToolTip(tr("Drop the selected dead letters without running them"));
    m_selectAll = new QPushButton(tr("Select all"), this);
    m_selectAll->setObjectName(QStringLiteral("deadLetterSelectAll"));
    m_sameError = new QPushButton(tr("Same error"), this);
    m_sameError->setObjectName(QStringLiteral("deadLetterSameError"));
    m_sameError->setToolTip(tr("Select every dead letter that failed with the current one's error"));
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("deadLetterStatus"));
    m_status->setWordWrap(true);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_selectAll);
    buttons->addWidget(m_sameError);
    buttons->addWidget(m_replay);
    buttons->addWidget(m_skip);
    buttons->addWidget(m_status, 1);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_table);
    split->addWidget(m_detail);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split, 1);
    layout->addLayout(buttons);

    connect(m_replay, &QPushButton::clicked, this, [this] { start(Bulk::Replay); });
    connect(m_skip, &QPushButton::clicked, this, &FunctionDeadLettersPanel::confirmSkip);
    connect(m_selectAll, &QPushButton::clicked, m_table, &QTableView::selectAll);
    connect(m_sameError, &QPushButton::clicked, this, &FunctionDeadLettersPanel::selectSameError);
    connect(m_table, &QWidget::customContextMenuRequested, this, &FunctionDeadLettersPanel::showContextMenu);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &FunctionDeadLettersPanel::showSelected);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &FunctionDeadLettersPanel::showSelected);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &FunctionDeadLettersPanel::showSelected);
    showSelected();
}

FunctionDeadLettersPanel::~FunctionDeadLettersPanel() = default;

int FunctionDeadLettersPanel::count() const
{
    return m_model->rowCount();
}

void FunctionDeadLettersPanel::refresh()
{
    if (m_inFlight) {
        m_again = true;
        return;
    }
    m_inFlight = true;
    m_client->adminGet("/admin/dead-letters", this, [this](const ClientReply &reply) {
        m_inFlight = false;
        if (std::exchange(m_again, false))
            refresh();
        if (!reply.isSuccess()) {
            m_status->setText(reply.errorText());
            return;
        }
        m_model->setItems(reply.object().value(QLatin1String("items")).toArray());
        if (!m_wanted.isEmpty() && m_model->rowOf(m_wanted) >= 0)
            selectLetter(std::exchange(m_wanted, QString()));
        if (!m_wantedEvent.isEmpty())
            selectEvent(std::exchange(m_wantedEvent, QString()));
        showSelected();
        if (m_count != m_model->rowCount()) {
            m_count = m_model->rowCount();
            Q_EMIT countChanged(m_count);
        }
    });
}

QString FunctionDeadLettersPanel::currentId() const
{
    const QModelIndex current = m_proxy->mapToSource(m_table->selectionModel()->currentIndex());
    return current.isValid() ? m_model->key(current.row()) : QString();
}

QStringList FunctionDeadLettersPanel::selectedIds() const
{
    QModelIndexList rows = m_table->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QStringList ids;
    for (const QModelIndex &row : std::as_const(rows))
        ids.append(m_model->key(m_proxy->mapToSource(row).row()));
    return ids;
}

void FunctionDeadLettersPanel::selectLetter(const QString &id)
{
    const int row = m_model->rowOf(id);
    if (row < 0) {
        m_wanted = id;
        refresh();
        return;
    }
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
    m_table->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_table->scrollTo(index);
}

void FunctionDeadLettersPanel::selectEvent(const QString &eventId)
{
    if (m_count < 0 || m_inFlight) {
        m_wantedEvent = eventId;   // the list is not in yet
        refresh();
        return;
    }
    QItemSelection selection;
    QModelIndex first;
    for (int row = 0; row < m_proxy->rowCount(); ++row) {
        const QModelIndex index = m_proxy->index(row, 0);
        if (eventOf(m_model->item(m_proxy->mapToSource(index).row())).id == eventId) {
            selection.select(index, index);
            if (!first.isValid())
                first = index;
        }
    }
    if (!first.isValid()) {
        m_table->clearSelection();
        m_status->setText(tr("No dead letter of event %1: every function handled it (or it was replayed or skipped).").arg(eventId));
        return;
    }
    m_table->selectionModel()->setCurrentIndex(first, QItemSelectionModel::NoUpdate);
    m_table->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_table->scrollTo(first);
    const qsizetype n = selection.indexes().size();
    m_status->setText(n == 1 ? tr("1 dead letter of this event") : tr("%1 dead letters of this event").arg(n));
}

void FunctionDeadLettersPanel::selectSameError()
{
    const QString id = currentId();
    if (id.isEmpty())
        return;
    const QString error = m_model->item(m_model->rowOf(id)).value(QLatin1String("error")).toString();
    QItemSelection selection;
    for (int row = 0; row < m_proxy->rowCount(); ++row) {
        const QModelIndex index = m_proxy->index(row, 0);
        if (m_model->item(m_proxy->mapToSource(index).row()).value(QLatin1String("error")).toString() == error)
            selection.select(index, index);
    }
    m_table->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    const qsizetype n = selection.indexes().size();
    m_status->setText(n == 1 ? tr("Only this dead letter failed with this error") : tr("%1 dead letters failed with this error").arg(n));
}

void FunctionDeadLettersPanel::showSelected()
{
    const int selected = int(selectedIds().size());
    const bool busy = m_running;
    m_replay->setEnabled(selected > 0 && !busy);
    m_skip->setEnabled(selected > 0 && !busy);
    m_sameError->setEnabled(!currentId().isEmpty() && !busy);
    m_selectAll->setEnabled(m_model->rowCount() > 0 && !busy);
    m_replay->setText(selected > 1 ? tr("Replay %1").arg(selected) : tr("Replay"));
    m_skip->setText(selected > 1 ? tr("Skip %1").arg(selected) : tr("Skip"));
    const QJsonObject letter = m_model->item(m_model->rowOf(currentId()));
    m_detail->setPlainText(letter.isEmpty() ? QString() : QString::fromUtf8(QJsonDocument(letter).toJson(QJsonDocument::Indented)));
}

void FunctionDeadLettersPanel::showContextMenu(const QPoint &pos)
{
    const QModelIndex index = m_proxy->mapToSource(m_table->indexAt(pos));
    if (!index.isValid())
        return;
    const QJsonObject letter = m_model->item(index.row());
    QMenu menu(this);
    menu.setObjectName(QStringLiteral("deadLetterContextMenu"));
    const auto open = [this](const Location &l) { Q_EMIT openRequested(l); };
    addEventLinks(&menu, eventOf(letter), Location::Kind::DeadLetter, open);
    const QString function = letter.value(QLatin1String("function")).toString();
    if (!function.isEmpty()) {
        QAction *action = menu.addAction(tr("Open function %1").arg(function));
        connect(action, &QAction::triggered, this, [open, function] { open(Location::ofFunction(function)); });
    }
    menu.exec(m_table->viewport()->mapToGlobal(pos));
}

void FunctionDeadLettersPanel::confirmSkip()
{
    const QStringList ids = selectedIds();
    if (ids.size() <= 1) {
        start(Bulk::Skip);
        return;
    }
    auto *confirm = new QMessageBox(QMessageBox::Question, tr("Skip dead letters"),
                                    tr("Drop %1 dead letters? Their events are not run again by their functions.").arg(ids.size()),
                                    QMessageBox::Yes | QMessageBox::Cancel, this);
    confirm->setObjectName(QStringLiteral("deadLetterSkipConfirm"));
    confirm->setAttribute(Qt::WA_DeleteOnClose);
    confirm->setDefaultButton(QMessageBox::Cancel);
    connect(confirm, &QMessageBox::buttonClicked, this, [this, confirm, ids](QAbstractButton *button) {
        if (confirm->standardButton(button) == QMessageBox::Yes && selectedIds() == ids)
            start(Bulk::Skip);
    });
    confirm->open();
}

void FunctionDeadLettersPanel::start(Bulk bulk)
{
    if (m_running)
        return;
    m_queue = selectedIds();
    if (m_queue.isEmpty())
        return;
    m_running = true;
    m_bulk = bulk;
    m_total = int(m_queue.size());
    m_done = 0;
    m_failed = 0;
    m_firstError.clear();
    showSelected();
    next();
}

void FunctionDeadLettersPanel::next()
{
    // One request at a time: a replay runs the function, and hundreds at once would only queue
    // up in the engine behind the live events.
    if (m_queue.isEmpty()) {
        m_running = false;
        QString text;
        if (m_total == 1 && m_failed == 0)
            text = m_bulk == Bulk::Replay ? tr("Replayed: the function handled the event") : tr("Skipped");
        else if (m_total == 1)
            text = (m_bulk == Bulk::Replay ? tr("Replay failed: %1") : tr("Skip failed: %1")).arg(m_firstError);
        else
            text = (m_bulk == Bulk::Replay ? tr("Replayed %1 of %2") : tr("Skipped %1 of %2")).arg(m_total - m_failed).arg(m_total)
                + (m_failed > 0 ? tr("; %1 failed, the first with: %2").arg(m_failed).arg(m_firstError) : QString());
        m_status->setText(text);
        showSelected();
        refresh();
        Q_EMIT changed();
        return;
    }
    const QString id = m_queue.takeFirst();
    if (m_total > 1)
        m_status->setText((m_bulk == Bulk::Replay ? tr("Replaying %1 of %2…") : tr("Skipping %1 of %2…")).arg(m_done + 1).arg(m_total));
    const QByteArray path = "/admin/dead-letters/" + EngineClient::encode(id);
    const QByteArray method = m_bulk == Bulk::Replay ? QByteArrayLiteral("POST") : QByteArrayLiteral("DELETE");
    m_client->admin(method, m_bulk == Bulk::Replay ? path + "/replay" : path, {}, this, [this](const ClientReply &reply) {
        ++m_done;
        if (!reply.isSuccess()) {
            if (m_failed++ == 0)
                m_firstError = reply.errorText();
        }
        next();
    });
}

} // namespace Gatehouse::Ui
