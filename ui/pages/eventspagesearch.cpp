// EventsPage: searching the whole log on the engine (GET /events with q, subject, since,
// until; newest first, page by page, cancellable) and jumping to a position or a time.

#include "eventspage.h"
#include "eventspage_p.h"

#include "engineclient.h"
#include "models/eventbuffermodel.h"
#include "models/eventfilterproxy.h"
#include "models/eventlivefeed.h"
#include "widgets/eventsdetailview.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QTableView>

namespace Gatehouse::Ui {

QWidget *EventsPage::buildSearchBar()
{
    d->searchBar = new QWidget(this);
    d->searchBar->setObjectName(QStringLiteral("eventsSearchBar"));
    auto *layout = new QHBoxLayout(d->searchBar);
    layout->setContentsMargins(0, 0, 0, 0);
    d->searchStatus = new QLabel(d->searchBar);
    d->searchStatus->setObjectName(QStringLiteral("eventsSearchStatus"));
    d->progress = new QProgressBar(d->searchBar);
    d->progress->setObjectName(QStringLiteral("eventsSearchProgress"));
    d->progress->setRange(0, 1000);
    d->progress->setTextVisible(false);
    d->progress->setMaximumWidth(240);
    d->cancel = new QPushButton(tr("Cancel"), d->searchBar);
    d->cancel->setObjectName(QStringLiteral("eventsSearchCancel"));
    connect(d->cancel, &QPushButton::clicked, this, &EventsPage::cancelSearch);
    d->live = new QPushButton(tr("Back to live"), d->searchBar);
    d->live->setObjectName(QStringLiteral("eventsBackToLive"));
    d->live->setToolTip(tr("Leave the search and show the newest events as they come"));
    connect(d->live, &QPushButton::clicked, this, &EventsPage::backToLive);
    layout->addWidget(d->searchStatus, 1);
    layout->addWidget(d->progress);
    layout->addWidget(d->cancel);
    layout->addWidget(d->live);
    d->searchBar->hide();
    return d->searchBar;
}

EventsPage::Mode EventsPage::mode() const
{
    return d->mode;
}

bool EventsPage::isSearching() const
{
    return d->searching;
}

std::optional<qint64> EventsPage::parseTime(const QString &text, qint64 nowMs)
{
    const QString t = text.trimmed();
    static const QRegularExpression relative(QStringLiteral(R"(^-(\d{1,6})\s*([smhd])$)"));
    if (const QRegularExpressionMatch m = relative.match(t); m.hasMatch()) {
        const qint64 n = m.captured(1).toLongLong();
        const QChar unit = m.captured(2).at(0);
        const qint64 ms = unit == u's' ? 1000 : unit == u'm' ? 60000 : unit == u'h' ? 3600000 : 86400000;
        return nowMs - n * ms;
    }
    for (const Qt::DateFormat format : {Qt::ISODateWithMs, Qt::ISODate}) {
        QDateTime when = QDateTime::fromString(t, format);
        if (when.isValid())
            return when.toMSecsSinceEpoch();   // without a zone: local time
    }
    const QDate day = QDate::fromString(t, Qt::ISODate);
    if (day.isValid())
        return day.startOfDay().toMSecsSinceEpoch();
    return std::nullopt;
}

void EventsPage::enterResults(Mode mode)
{
    ++d->generation;
    d->mode = mode;
    d->scrollPaused = false;
    d->feed->setPaused(true);
    {
        const QSignalBlocker blocker(d->pause);
        d->pause->setChecked(true);
        d->pause->setText(tr("Resume"));
    }
    d->loadingOlder = false;   // a page on its way is for the buffer cleared here
    d->buffer->clear();
    d->detail->displayNothing();
    d->searchBar->show();
    d->message->clear();
}

bool EventsPage::searchLog()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QByteArray query;
    const auto add = [&query](const char *name, const QString &value) {
        if (!value.isEmpty())
            query += QByteArray(name) + '=' + EngineClient::encode(value) + '&';
    };
    add("type", d->typeFilter->text().trimmed());
    add("subject", d->subjectFilter->text().trimmed());
    add("q", d->textFilter->text().trimmed());
    for (const auto &[edit, name] : {std::pair{d->since, "since"}, std::pair{d->until, "until"}}) {
        if (edit->text().trimmed().isEmpty())
            continue;
        const std::optional<qint64> ms = parseTime(edit->text(), now);
        if (!ms) {
            d->message->setText(tr("'%1' is not a time: write -15m, -2h, -1d, 2026-12-06T10:00 or 2026-12-06.").arg(edit->text()));
            edit->setFocus();
            return false;
        }
        query += QByteArray(name) + '=' + QByteArray::number(*ms) + '&';
    }
    if (query.isEmpty()) {
        d->message->setText(tr("Type what to search for first: a type, a subject, a text or a time range."));
        return false;
    }
    enterResults(Mode::Search);
    d->searchQuery = query;
    d->searchNext = std::numeric_limits<qint64>::max();
    d->searchHead = 0;
    d->searchFound = 0;
    d->foundThisRun = 0;
    d->searchComplete = false;
    d->progress->setValue(0);
    runSearch();
    return true;
}

void EventsPage::runSearch()
{
    d->searching = true;
    d->cancel->setVisible(true);
    d->progress->setVisible(true);
    updateLabels();
    const QByteArray target = "/events?" + d->searchQuery + "limit=" + QByteArray::number(kOlderPageSize)
        + "&before=" + QByteArray::number(d->searchNext);
    d->client->get(target, this, [this, generation = d->generation](const ClientReply &reply) {
        if (generation == d->generation)
            searchPageArrived(reply);
    });
}

void EventsPage::searchPageArrived(const ClientReply &reply)
{
    if (!reply.isSuccess()) {
        d->searching = false;
        d->cancel->hide();
        d->searchStatus->setText(tr("The search failed: %1").arg(reply.errorText()));
        updateLabels();
        return;
    }
    const RecordedEvents found = EngineClient::parseEventBatch(reply.body);
    const int before = d->buffer->rowCount();
    d->buffer->prependEvents(found, false);
    const int taken = d->buffer->rowCount() - before;
    d->searchFound += taken;
    d->foundThisRun += taken;
    d->searchHead = reply.header("x-head-position").toLongLong();
    d->searchNext = reply.header("x-next-before").toLongLong();
    d->searchComplete = reply.header("x-scan-complete") == "true" || d->searchNext <= 0;
    const QLocale locale;
    // Newest first: how far back from the head the search has looked.
    const qint64 head = qMax<qint64>(d->searchHead, 1);
    d->progress->setValue(d->searchComplete ? 1000 : int(qBound(qint64(0), (head - d->searchNext + 1) * 1000 / head, qint64(1000))));
    const bool full = d->buffer->rowCount() >= d->buffer->capacity();
    if (d->searchComplete) {
        d->searching = false;
        d->searchStatus->setText(tr("Searched the whole log (%1 events): %2 found.")
                                     .arg(locale.toString(d->searchHead), locale.toString(d->searchFound)));
    } else if (d->foundThisRun >= kOlderPageSize || full) {
        d->searching = false;
        d->searchStatus->setText(full ? tr("%1 found back to #%2: the buffer is full.").arg(locale.toString(d->searchFound), locale.toString(d->searchNext))
                                      : tr("%1 found back to #%2 of %3. Load older searches further back.")
                                            .arg(locale.toString(d->searchFound), locale.toString(d->searchNext), locale.toString(d->searchHead)));
    } else {
        d->searchStatus->setText(tr("Searching… back to #%1 of %2: %3 found.")
                                     .arg(locale.toString(d->searchNext), locale.toString(d->searchHead), locale.toString(d->searchFound)));
        runSearch();
        return;
    }
    d->cancel->hide();
    if (d->table->currentIndex().row() < 0 && d->proxy->rowCount() > 0)
        d->table->scrollToBottom();
    updateLabels();
}

void EventsPage::cancelSearch()
{
    if (!d->searching)
        return;
    ++d->generation;   // the answer on its way is not waited for
    d->searching = false;
    d->cancel->hide();
    d->searchStatus->setText(tr("Stopped back at #%1: %2 found. Load older goes on from there.")
                                 .arg(QLocale().toString(d->searchNext == std::numeric_limits<qint64>::max() ? d->searchHead : d->searchNext),
                                      QLocale().toString(d->searchFound)));
    updateLabels();
}

bool EventsPage::jumpTo(const QString &where)
{
    const QString text = where.trimmed();
    QByteArray target;
    static const QRegularExpression position(QStringLiteral(R"(^#?(\d{1,18})$)"));
    if (const QRegularExpressionMatch m = position.match(text); m.hasMatch()) {
        target = "/events?from=" + QByteArray::number(qMax<qint64>(1, m.captured(1).toLongLong()));
    } else if (const std::optional<qint64> ms = parseTime(text, QDateTime::currentMSecsSinceEpoch())) {
        target = "/events?since=" + QByteArray::number(*ms);
    } else {
        d->message->setText(tr("Jump to a position (#1200) or a time (-1h, 2026-12-06T10:00), not '%1'.").arg(text));
        return false;
    }
    enterResults(Mode::Jump);
    d->searching = false;
    d->cancel->hide();
    d->progress->hide();
    d->searchStatus->setText(tr("Loading from %1…").arg(text));
    d->client->get(target + "&limit=" + QByteArray::number(kOlderPageSize), this,
                   [this, generation = d->generation, text](const ClientReply &reply) {
        if (generation == d->generation)
            jumpArrived(reply, text);
    });
    return true;
}

void EventsPage::jumpArrived(const ClientReply &reply, const QString &where)
{
    if (!reply.isSuccess()) {
        d->searchStatus->setText(tr("Could not jump to %1: %2").arg(where, reply.errorText()));
        return;
    }
    const RecordedEvents events = EngineClient::parseEventBatch(reply.body);
    d->buffer->appendEvents(events);
    if (events.isEmpty()) {
        d->searchStatus->setText(tr("Nothing at or after %1: the log ends at #%2.").arg(where, QString::fromLatin1(reply.header("x-head-position"))));
    } else {
        d->searchStatus->setText(tr("From #%1 (%2): %3 events; Load older pages back, Back to live returns to the newest.")
                                     .arg(QLocale().toString(events.first().position), where, QLocale().toString(events.size())));
        const QModelIndex first = d->proxy->index(0, 0);
        d->table->setCurrentIndex(first);
        d->table->scrollTo(first, QAbstractItemView::PositionAtTop);
    }
    updateLabels();
}

void EventsPage::backToLive()
{
    ++d->generation;
    d->mode = Mode::Live;
    d->searching = false;
    d->scrollPaused = false;
    d->searchBar->hide();
    d->buffer->clear();
    d->detail->displayNothing();
    d->feed->discardHeld();
    d->feed->setPaused(false);
    {
        const QSignalBlocker blocker(d->pause);
        d->pause->setChecked(false);
        d->pause->setText(tr("Pause"));
    }
    d->message->clear();
    d->loadingOlder = false;
    requestOlder(false);   // the newest page, as at start
}

} // namespace Gatehouse::Ui
