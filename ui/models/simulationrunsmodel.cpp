#include "simulationrunsmodel.h"

#include <QBrush>
#include <QSet>
#include <QColor>
#include <QDateTime>
#include <QLocale>

#include <algorithm>

namespace Gatehouse::Ui {

namespace {
const QString kId = QStringLiteral("id");
}

SimulationRunsModel::SimulationRunsModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

SimulationRunsModel::~SimulationRunsModel() = default;

void SimulationRunsModel::setRuns(const QJsonArray &runs)
{
    QList<QJsonObject> fresh;
    QSet<QString> ids;
    for (const QJsonValue &v : runs) {
        if (fresh.size() >= kMaxRuns)
            break;
        const QJsonObject o = v.toObject();
        const QString id = o.value(kId).toString();
        if (!id.isEmpty() && !ids.contains(id)) {
            ids.insert(id);
            fresh.append(o);
        }
    }
    // Same ids in the same order (the common case while one run goes on): update in place.
    bool sameIds = fresh.size() == m_runs.size();
    for (qsizetype i = 0; sameIds && i < fresh.size(); ++i)
        sameIds = fresh.at(i).value(kId) == m_runs.at(i).value(kId);
    if (sameIds) {
        m_runs = fresh;
        if (!m_runs.isEmpty())
            Q_EMIT dataChanged(index(0, 0), index(int(m_runs.size()) - 1, ColumnCount - 1));
        return;
    }
    // Otherwise remove the rows that went, then insert the new ones where they belong, so the
    // rows that stay keep their selection.
    for (int row = int(m_runs.size()) - 1; row >= 0; --row) {
        const QJsonValue id = m_runs.at(row).value(kId);
        const bool kept = std::any_of(fresh.cbegin(), fresh.cend(), [&](const QJsonObject &o) { return o.value(kId) == id; });
        if (!kept) {
            beginRemoveRows({}, row, row);
            m_runs.removeAt(row);
            endRemoveRows();
        }
    }
    for (int row = 0; row < fresh.size(); ++row) {
        const QJsonObject &o = fresh.at(row);
        if (row < m_runs.size() && m_runs.at(row).value(kId) == o.value(kId)) {
            m_runs[row] = o;
            Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
            continue;
        }
        const int existing = rowOf(o.value(kId).toString());
        if (existing > row) {   // the engine reordered: move it up
            beginMoveRows({}, existing, existing, {}, row);
            m_runs.move(existing, row);
            endMoveRows();
            m_runs[row] = o;
            Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
            continue;
        }
        beginInsertRows({}, row, row);
        m_runs.insert(row, o);
        endInsertRows();
    }
}

QString SimulationRunsModel::id(int row) const
{
    return run(row).value(kId).toString();
}

QJsonObject SimulationRunsModel::run(int row) const
{
    return row >= 0 && row < m_runs.size() ? m_runs.at(row) : QJsonObject{};
}

int SimulationRunsModel::rowOf(const QString &id) const
{
    for (int row = 0; row < m_runs.size(); ++row) {
        if (m_runs.at(row).value(kId).toString() == id)
            return row;
    }
    return -1;
}

double SimulationRunsModel::requestsOf(const QJsonObject &run)
{
    double total = 0;
    const QJsonObject operations = run.value(QStringLiteral("operations")).toObject();
    for (auto it = operations.begin(); it != operations.end(); ++it)
        total += it.value().toObject().value(QStringLiteral("requests")).toDouble();
    return total;
}

double SimulationRunsModel::worstP99Of(const QJsonObject &run)
{
    double worst = 0;
    const QJsonObject operations = run.value(QStringLiteral("operations")).toObject();
    for (auto it = operations.begin(); it != operations.end(); ++it) {
        const QJsonObject latency = it.value().toObject().value(QStringLiteral("latency_ms")).toObject();
        worst = qMax(worst, latency.value(QStringLiteral("p99")).toDouble());
    }
    return worst;
}

int SimulationRunsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_runs.size());
}

int SimulationRunsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SimulationRunsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const QJsonObject &r = m_runs.at(index.row());
    if (role == IdRole)
        return r.value(kId).toString();
    const QString state = r.value(QStringLiteral("state")).toString();
    const bool ended = state != QLatin1String("running");
    const bool passed = r.value(QStringLiteral("passed")).toBool(true);
    if (role == Qt::ForegroundRole && index.column() == Passed && ended)
        return QBrush(passed ? QColor(27, 94, 32) : QColor(183, 28, 28));
    if (role == Qt::TextAlignmentRole && index.column() >= Duration && index.column() <= P99)
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    const QLocale locale;
    switch (Column(index.column())) {
    case Time: {
        const QDateTime t = QDateTime::fromString(r.value(QStringLiteral("started_at")).toString(), Qt::ISODateWithMs);
        return t.isValid() ? locale.toString(t.toLocalTime(), QStringLiteral("yyyy-MM-dd HH:mm:ss")) : QString();
    }
    case Scenario: return r.value(QStringLiteral("scenario")).toString();
    case State: {
        const QString reason = r.value(QStringLiteral("reason")).toString();
        return role == Qt::ToolTipRole && !reason.isEmpty() ? reason : state;
    }
    case Duration: return tr("%1 s").arg(locale.toString(r.value(QStringLiteral("elapsed_ms")).toDouble() / 1000.0, 'f', 1));
    case Requests: return locale.toString(requestsOf(r), 'f', 0);
    case P99: return tr("%1 ms").arg(locale.toString(worstP99Of(r), 'f', 2));
    case Passed: return ended ? (passed ? tr("passed") : tr("failed")) : tr("pending");
    case ColumnCount: break;
    }
    return {};
}

QVariant SimulationRunsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case Time: return tr("Started");
    case Scenario: return tr("Scenario");
    case State: return tr("State");
    case Duration: return tr("Duration");
    case Requests: return tr("Requests");
    case P99: return tr("p99 (worst op)");
    case Passed: return tr("Thresholds");
    case ColumnCount: break;
    }
    return {};
}

} // namespace Gatehouse::Ui
