#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QWidget>

class QLabel;
class QListWidget;
class QPlainTextEdit;

namespace Gatehouse::Ui {

class RunChart;

// One simulation run on screen: its state line, five charts over the run's time (intended vs
// achieved rate, latency p50/p99, consistency lag p99, errors and dropped iterations, active
// VUs) with the faults as bands, the thresholds turning green or red, and the summary text.
// Fed either a live snapshot at a time (GET /admin/runs/{id} while it runs) or a whole report.
// GUI thread only.
class RunView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunView)

public:
    enum Chart { Rate, Latency, Lag, Errors, Vus, ChartCount };
    enum ThresholdRoles { ThresholdStateRole = Qt::UserRole + 1 };   // "pending", "pass", "fail"

    explicit RunView(QWidget *parent = nullptr);
    ~RunView() override;

    // Starts over for a run of `scenario` (its thresholds are listed as pending).
    void begin(const QJsonObject &scenario);
    // A snapshot or a report; the series is taken whole when it has one, else one sample is
    // appended from the snapshot's figures.
    void update(const QJsonObject &snapshot);
    void clear();

    QJsonObject run() const { return m_run; }
    RunChart *chart(Chart which) const { return m_charts[which]; }
    QListWidget *thresholds() const { return m_thresholds; }
    QString summaryText() const;
    QString stateText() const;

    // The samples a snapshot without a series stands for, as a series entry would give them.
    static QJsonObject sampleOf(const QJsonObject &snapshot, const QJsonObject &previous);

private:
    void addSample(const QJsonObject &sample);
    void setFaults(const QJsonArray &faults);
    void setThresholds(const QJsonArray &results);

    QLabel *m_state = nullptr;
    RunChart *m_charts[ChartCount] = {};
    QListWidget *m_thresholds = nullptr;
    QPlainTextEdit *m_summary = nullptr;
    QJsonObject m_run;
    QJsonObject m_lastSample;
    int m_faultCount = -1;
    qsizetype m_seriesSeen = 0;
    bool m_derived = false;   // the lines hold samples made from snapshots, not a series
};

} // namespace Gatehouse::Ui
