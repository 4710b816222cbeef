#pragma once

#include "location.h"

#include <QWidget>

#include <memory>

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

Q_SIGNALS:
    void openRequested(const Gatehouse::Ui::Location &location);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void buildUi();
    QWidget *buildFilterBar();
    QWidget *buildControlBar();
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
