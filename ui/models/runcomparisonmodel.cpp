#include "runcomparisonmodel.h"

#include <QBrush>
#include <QColor>
#include <QLocale>
#include <QSet>

#include <cmath>

namespace Gatehouse::Ui {

RunComparisonModel::RunComparisonModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

RunComparisonModel::~RunComparisonModel() = default;

void RunComparisonModel::setRuns(const QJsonObject &a, const QJsonObject &b)
{
    beginResetModel();
    m_a = a.value(QStringLiteral("operations")).toObject();
    m_b = b.value(QStringLiteral("operations")).toObject();
    QStringList keys = m_a.keys();
    for (const QString &k : m_b.keys()) {
        if (!m_a.contains(k))
            keys.append(k);
    }
    keys.sort();
    m_operations = keys;
    endResetModel();
}

void RunComparisonModel::clear()
{
    beginResetModel();
    m_a = {};
    m_b = {};
    m_operations.clear();
    endResetModel();
}

std::optional<double> RunComparisonModel::figure(const QJsonObject &operation, Figure which)
{
    if (operation.isEmpty())
        return std::nullopt;
    const QJsonObject latency = operation.value(QStringLiteral("latency_ms")).toObject();
    switch (which) {
    case Requests: return operation.value(QStringLiteral("requests")).toDouble();
    case AchievedRate: return operation.value(QStringLiteral("achieved_rate")).toDouble();
    case P50: return latency.value(QStringLiteral("p50")).toDouble();
    case P99: return latency.value(QStringLiteral("p99")).toDouble();
    case Errors: {
        double total = 0;
        const QJsonObject errors = operation.value(QStringLiteral("errors")).toObject();
        for (auto it = errors.begin(); it != errors.end(); ++it)
            total += it.value().toDouble();
        return total;
    }
    case FigureCount: break;
    }
    return std::nullopt;
}

std::optional<double> RunComparisonModel::value(int row, Figure which, Part part) const
{
    const QString &key = m_operations.at(row);
    const std::optional<double> a = figure(m_a.value(key).toObject(), which);
    const std::optional<double> b = figure(m_b.value(key).toObject(), which);
    switch (part) {
    case A: return a;
    case B: return b;
    case Delta: return a && b ? std::optional<double>(*b - *a) : std::nullopt;
    case PartCount: break;
    }
    return std::nullopt;
}

int RunComparisonModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_operations.size());
}

int RunComparisonModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : 1 + int(FigureCount) * int(PartCount);
}

QVariant RunComparisonModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    if (index.column() == 0)
        return role == Qt::DisplayRole || role == Qt::ToolTipRole ? QVariant(m_operations.at(index.row())) : QVariant();
    const Figure which = Figure((index.column() - 1) / PartCount);
    const Part part = Part((index.column() - 1) % PartCount);
    const std::optional<double> v = value(index.row(), which, part);
    switch (role) {
    case ValueRole: return v ? QVariant(*v) : QVariant();
    case Qt::TextAlignmentRole: return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ForegroundRole: {
        // Green where B is better than A: more throughput, less latency, fewer errors.
        if (part != Delta || !v || *v == 0)
            return {};
        const bool higherIsBetter = which == Requests || which == AchievedRate;
        return QBrush((*v > 0) == higherIsBetter ? QColor(27, 94, 32) : QColor(183, 28, 28));
    }
    case Qt::DisplayRole: {
        if (!v)
            return QStringLiteral("—");
        const QLocale locale;
        const int decimals = which == Requests || which == Errors ? 0 : 2;
        QString text = locale.toString(*v, 'f', decimals);
        if (part == Delta) {
            if (*v > 0)
                text.prepend(QLatin1Char('+'));
            const std::optional<double> a = value(index.row(), which, A);
            if (a && *a != 0 && std::isfinite(*v / *a))
                text += QStringLiteral(" (%1%2%)").arg(*v > 0 ? QStringLiteral("+") : QString(), locale.toString(100.0 * *v / *a, 'f', 1));
        }
        return text;
    }
    default: return {};
    }
}

QVariant RunComparisonModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 || section >= columnCount())
        return {};
    if (section == 0)
        return tr("Operation");
    static const char *figures[FigureCount] = {"Requests", "Rate /s", "p50 ms", "p99 ms", "Errors"};
    const Part part = Part((section - 1) % PartCount);
    const QString name = tr(figures[(section - 1) / PartCount]);
    return part == A ? tr("%1 A").arg(name) : part == B ? tr("%1 B").arg(name) : tr("Δ %1").arg(name);
}

} // namespace Gatehouse::Ui
