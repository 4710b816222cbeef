#pragma once

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>

namespace Gatehouse::Ui {

// The run history of GET /admin/runs (summaries, newest first): time, scenario, state,
// duration, requests, worst p99 and whether every threshold held. At most kMaxRuns rows (the
// engine keeps no more either). setRuns() updates rows in place by id, so a selection survives
// a refresh. GUI thread only.
class SimulationRunsModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SimulationRunsModel)

public:
    static constexpr int kMaxRuns = 200;
    enum Column { Time, Scenario, State, Duration, Requests, P99, Passed, ColumnCount };
    enum Roles { IdRole = Qt::UserRole + 1 };

    explicit SimulationRunsModel(QObject *parent = nullptr);
    ~SimulationRunsModel() override;

    void setRuns(const QJsonArray &runs);
    QString id(int row) const;
    QJsonObject run(int row) const;
    int rowOf(const QString &id) const;

    // Totals of a summary or report, as the history shows them.
    static double requestsOf(const QJsonObject &run);
    static double worstP99Of(const QJsonObject &run);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<QJsonObject> m_runs;
};

} // namespace Gatehouse::Ui
