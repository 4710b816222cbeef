#pragma once

#include <QJsonObject>
#include <QWidget>

class QLabel;
class QTableView;

namespace Gatehouse::Ui {

class RunChart;
class RunComparisonModel;

// Two run reports side by side: which runs they are, the per-operation table with B's
// differences from A, and their p99 and achieved-rate series overlaid on the runs' own time
// axes. GUI thread only.
class RunComparisonView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunComparisonView)

public:
    explicit RunComparisonView(QWidget *parent = nullptr);
    ~RunComparisonView() override;

    void setRuns(const QJsonObject &a, const QJsonObject &b);

    RunComparisonModel *model() const { return m_model; }
    RunChart *p99Chart() const { return m_p99; }
    RunChart *rateChart() const { return m_rate; }
    QString headline() const;

private:
    QLabel *m_headline = nullptr;
    RunComparisonModel *m_model = nullptr;
    QTableView *m_table = nullptr;
    RunChart *m_p99 = nullptr;
    RunChart *m_rate = nullptr;
};

} // namespace Gatehouse::Ui
