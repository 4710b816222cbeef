#pragma once

#include "location.h"

#include <QStringList>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace Gatehouse::Ui {

class EngineClient;
class JsonRowsModel;

// The dead letters of every function (GET /admin/dead-letters): function, event, attempts,
// last error, sortable by each; the current letter's full JSON. Several letters may be
// selected (all, or all failing with the current one's error) and replayed against their
// function's current version (POST /admin/dead-letters/{id}/replay) or skipped (DELETE,
// asked first for more than one), one request at a time, with the outcome counted. A letter's
// context menu opens its event, stream, document or function elsewhere. GUI thread only.
class FunctionDeadLettersPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FunctionDeadLettersPanel)

public:
    explicit FunctionDeadLettersPanel(EngineClient *client, QWidget *parent = nullptr);
    ~FunctionDeadLettersPanel() override;

    JsonRowsModel *letters() const { return m_model; }
    QTableView *view() const { return m_table; }
    void refresh();
    int count() const;
    QStringList selectedIds() const;   // in the order shown
    void selectLetter(const QString &id);   // now, or once the next list holds it
    void selectSameError();                 // every letter failing with the current one's error
    void selectEvent(const QString &eventId);   // the letters of one event (now, or once the list is in)

Q_SIGNALS:
    void changed();            // letters were replayed or skipped
    void countChanged(int count);
    void openRequested(const Gatehouse::Ui::Location &location);

private:
    enum class Bulk { Replay, Skip };
    void start(Bulk bulk);
    void confirmSkip();
    void next();
    void showSelected();
    void showContextMenu(const QPoint &pos);
    QString currentId() const;

    EngineClient *m_client;
    JsonRowsModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_table = nullptr;
    QPlainTextEdit *m_detail = nullptr;
    QPushButton *m_replay = nullptr;
    QPushButton *m_skip = nullptr;
    QPushButton *m_selectAll = nullptr;
    QPushButton *m_sameError = nullptr;
    QLabel *m_status = nullptr;
    bool m_inFlight = false;
    bool m_again = false;   // asked again while a request was out
    int m_count = -1;
    QString m_wanted;       // selectLetter() before the list held it
    QString m_wantedEvent;  // selectEvent() before the list was in
    // The bulk action under way: what is left, and how it went.
    Bulk m_bulk = Bulk::Replay;
    QStringList m_queue;
    bool m_running = false;   // a bulk action under way (its last request may be out with the queue empty)
    int m_total = 0;
    int m_done = 0;
    int m_failed = 0;
    QString m_firstError;
};

} // namespace Gatehouse::Ui
