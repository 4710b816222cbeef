#pragma once

#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTableView;

namespace Gatehouse::Ui {

class EngineClient;
class JsonRowsModel;

// The dead letters of every function (GET /admin/dead-letters): function, event, attempts,
// last error; the selected letter's full JSON; Replay runs it against the function's current
// version (POST /admin/dead-letters/{id}/replay) and Skip drops it (DELETE). GUI thread only.
class FunctionDeadLettersPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FunctionDeadLettersPanel)

public:
    explicit FunctionDeadLettersPanel(EngineClient *client, QWidget *parent = nullptr);
    ~FunctionDeadLettersPanel() override;

    JsonRowsModel *letters() const { return m_model; }
    void refresh();

Q_SIGNALS:
    void changed();   // a letter was replayed or skipped

private:
    void replaySelected();
    void skipSelected();
    void showSelected();
    QString selectedId() const;

    EngineClient *m_client;
    JsonRowsModel *m_model = nullptr;
    QTableView *m_table = nullptr;
    QPlainTextEdit *m_detail = nullptr;
    QPushButton *m_replay = nullptr;
    QPushButton *m_skip = nullptr;
    QLabel *m_status = nullptr;
    bool m_inFlight = false;
    bool m_again = false;   // asked again while a request was out
};

} // namespace Gatehouse::Ui
