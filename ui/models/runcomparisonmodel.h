#pragma once

#include <QAbstractTableModel>
#include <QJsonObject>
#include <QStringList>

#include <optional>

namespace Gatehouse::Ui {

// Two runs side by side, one row per operation ("<workload>/<op>") either of them has: the
// requests, achieved rate, p50, p99 and errors of run A, of run B and B's difference from A
// (absolute, and relative where A is not zero). A row only one run has shows "—" for the
// other. GUI thread only.
class RunComparisonModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunComparisonModel)

public:
    enum Figure { Requests, AchievedRate, P50, P99, Errors, FigureCount };
    enum Part { A, B, Delta, PartCount };
    enum Roles { ValueRole = Qt::UserRole + 1 };   // the number behind a cell (invalid: none)

    explicit RunComparisonModel(QObject *parent = nullptr);
    ~RunComparisonModel() override;

    void setRuns(const QJsonObject &a, const QJsonObject &b);
    void clear();
    QStringList operations() const { return m_operations; }
    static int column(Figure figure, Part part) { return 1 + int(figure) * int(PartCount) + int(part); }
    static std::optional<double> figure(const QJsonObject &operation, Figure which);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::optional<double> value(int row, Figure which, Part part) const;

    QJsonObject m_a;   // "operations" of each run
    QJsonObject m_b;
    QStringList m_operations;
};

} // namespace Gatehouse::Ui
