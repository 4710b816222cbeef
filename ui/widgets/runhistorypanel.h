#pragma once

#include "runexport.h"

#include <QJsonObject>
#include <QWidget>

class QPushButton;
class QTableView;

namespace Gatehouse::Ui {

class EngineClient;
class RunView;
class SimulationRunsModel;

// The runs an engine kept (GET /admin/runs, newest first): the selected run's charts,
// thresholds and summary from its report; delete a run (with confirmation); export the
// selected one as JSON, CSV or a picture; compare two selected runs (their reports are fetched
// and handed on with comparisonReady, the older as A). Only through the client's admin calls,
// never waiting on them. GUI thread only.
class RunHistoryPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunHistoryPanel)

public:
    explicit RunHistoryPanel(EngineClient *client, QWidget *parent = nullptr);
    ~RunHistoryPanel() override;

    void refresh();
    void selectRun(const QString &id);
    void selectRuns(const QStringList &ids);
    void compareSelected();
    // Writes the selected run's report (as loaded) to `path`.
    bool exportReport(RunExport::Format format, const QString &path, QString *error);

    SimulationRunsModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    RunView *detail() const { return m_detail; }
    QJsonObject detailReport() const { return m_report; }

Q_SIGNALS:
    void comparisonReady(const QJsonObject &a, const QJsonObject &b);
    void message(const QString &text, bool error);
    void refreshed();

private:
    QStringList selectedIds() const;   // in table order (newest first)
    void selectionChanged();
    void loadDetail(const QString &id);
    void deleteSelected();
    void exportWithDialog(RunExport::Format format);

    EngineClient *m_client;
    SimulationRunsModel *m_model = nullptr;
    QTableView *m_table = nullptr;
    RunView *m_detail = nullptr;
    QPushButton *m_delete = nullptr;
    QPushButton *m_compare = nullptr;
    QPushButton *m_export = nullptr;
    QJsonObject m_report;
    QString m_loading;        // the run whose report is on its way
    bool m_inFlight = false;
    // A refresh asked for while one is on its way is sent when that one answers: the answer
    // in flight may predate what the caller wants to see (a run that has just ended).
    bool m_again = false;
};

} // namespace Gatehouse::Ui
