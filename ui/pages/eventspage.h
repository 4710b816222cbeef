#pragma once

#include "location.h"

#include <QWidget>

#include <memory>
#include <optional>

namespace Gatehouse::Ui {

class EngineClient;
class EventBufferModel;
struct ClientReply;

// The live event stream: a virtualised table over a bounded ring buffer (EventBufferModel,
// capacity from the spin box, remembered in QSettings), filters by type glob, subject glob
// and free text, pause/resume with a count of what arrived meanwhile, "load older" paging back
// through GET /events?before=, and a detail pane with the CloudEvent and its
// correlation/causation chain. Live batches come from EngineClient::eventsArrived (about 20 a
// second at most) and each is applied with one model insert.
//
// Loading older into a full buffer shifts the window back in time: the newest rows that no
// longer fit are set aside (held, not lost), and the live view pauses so the history asked
// for is not pushed out again at once. Resume puts the held rows and everything that arrived
// meanwhile back in, which pushes the older rows out again.
//
// Scrolling up from the newest row holds the view still (as a pause: arrivals are counted)
// until it is scrolled back to the bottom.
//
// Typing in the filters narrows the rows in the buffer at once; Enter (or Search log) searches
// the whole log on the engine with them (GET /events with q, subject, since, until, newest
// first), page by page with a progress bar and Cancel, and shows what it found; Load older
// searches further back. Jump shows the log from a position (#123) or a time. Back to live
// returns to the newest events.
//
// Keys: Ctrl+F focuses the text filter; in the table, Space toggles pause and Enter shows the
// current row's details. GUI thread only.
class EventsPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventsPage)

public:
    static constexpr int kOlderPageSize = 500;

    explicit EventsPage(EngineClient *client, QWidget *parent = nullptr);
    ~EventsPage() override;

    EventBufferModel *buffer() const;
    bool isPaused() const;
    void setPaused(bool paused);
    void loadOlder();
    // Selects the event with this id (or the first event of the command with this id) and
    // shows it; says so in the message line when it is not in the buffer or filtered out.
    void followLink(const QString &id);

    enum class Mode { Live, Search, Jump };
    Mode mode() const;
    // Searches the whole log with the filters as they are; false (and a message) when they
    // say nothing to search for or a time does not parse.
    bool searchLog();
    void cancelSearch();
    bool isSearching() const;
    // "#123" or "123": from that position; otherwise a time (see parseTime()): from the first
    // event at or after it.
    bool jumpTo(const QString &where);
    void backToLive();
    // "-15m", "-2h", "-1d", "-30s" (ago), an ISO date-time (local time unless it has a zone)
    // or a date: ms since the epoch; nullopt when it is none of those.
    static std::optional<qint64> parseTime(const QString &text, qint64 nowMs);

Q_SIGNALS:
    void openRequested(const Gatehouse::Ui::Location &location);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void buildUi();
    QWidget *buildFilterBar();
    QWidget *buildControlBar();
    QWidget *buildSearchBar();
    void runSearch();
    void searchPageArrived(const ClientReply &reply);
    void jumpArrived(const ClientReply &reply, const QString &where);
    void enterResults(Mode mode);
    void scrolled(int value);
    void connectModels();
    void setCapacity(int rows);
    void requestOlder(bool makeRoom);
    void olderPageArrived(const ClientReply &reply, bool makeRoom);
    void showDetails(const QModelIndex &proxyIndex);
    void showContextMenu(const QPoint &pos);
    void updateLabels();
    void updatePauseLabel();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse::Ui
