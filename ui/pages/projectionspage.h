#pragma once

#include <QElapsedTimer>
#include <QHash>
#include "location.h"

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;
class QTableView;
class QTimer;

namespace Gatehouse::Ui {

class EngineClient;
class ParkedEventsPanel;
class ProjectionTableModel;

// The Projections page: every projection of GET /admin/projections with status, position,
// head, lag and throughput, refreshed while the page is visible each time the client samples
// the engine's status (at most four times a second); pause, resume and rebuild the selected
// one (POST /admin/projections/{name}/{action}); a progress bar for a rebuild or catch-up, and
// the fault (error, event, position) of a faulted projection, which Skip parks so the
// projection goes on without it; the selected projection's parked events below, each of which
// can be released. GUI thread only.
class ProjectionsPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProjectionsPage)

public:
    explicit ProjectionsPage(EngineClient *client, QWidget *parent = nullptr);
    ~ProjectionsPage() override;

    ProjectionTableModel *projections() const { return m_model; }
    ParkedEventsPanel *parkedEvents() const { return m_parked; }
    void refresh();

Q_SIGNALS:
    void openRequested(const Gatehouse::Ui::Location &location);

protected:
    void showEvent(QShowEvent *event) override;

private:
    void maybeRefresh();
    void applyList(const QJsonArray &items);
    void act(const QString &action);
    void confirmRebuild();
    void showAction(const QString &text, bool expires);
    void updateSelection();
    QString selectedName() const;

    struct PendingRebuild
    {
        bool seenRebuilding = false;
        int answersSince = 0;
    };

    EngineClient *m_client;
    ProjectionTableModel *m_model = nullptr;
    QTableView *m_table = nullptr;
    QPushButton *m_pause = nullptr;
    QPushButton *m_resume = nullptr;
    QPushButton *m_rebuild = nullptr;
    QPushButton *m_skip = nullptr;
    ParkedEventsPanel *m_parked = nullptr;
    qint64 m_parkedCount = -1;   // of the selected projection, as last listed
    QProgressBar *m_progress = nullptr;
    QLabel *m_fault = nullptr;
    QLabel *m_action = nullptr;
    QTimer *m_actionExpiry = nullptr;   // clears a message about something finished
    bool m_inFlight = false;
    QElapsedTimer m_sinceRefresh;
    QHash<QString, PendingRebuild> m_rebuilds;
};

} // namespace Gatehouse::Ui
