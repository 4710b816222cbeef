#include "routetablemodel.h"

#include <QBrush>
#include <QFont>
#include <QGuiApplication>
#include <QPalette>
#include <QSet>

namespace Gatehouse::Ui {

namespace {
QString joinStrings(const QJsonValue &array, const QString &empty)
{
    QStringList items;
    for (const QJsonValue &v : array.toArray())
        items.append(v.toString());
    return items.isEmpty() ? empty : items.join(QStringLiteral(", "));
}

QString routeId(const QJsonObject &route)
{
    return route.value(QStringLiteral("id")).toString();
}

QString nodesSummary(const QJsonValue &nodes)
{
    QStringList out;
    if (nodes.isObject()) {
        out = nodes.toObject().keys();
    } else {
        for (const QJsonValue &n : nodes.toArray()) {
            const QJsonObject node = n.toObject();
            const QJsonValue port = node.value(QStringLiteral("port"));
            out.append(port.isUndefined() ? node.value(QStringLiteral("host")).toString()
                                          : node.value(QStringLiteral("host")).toString() + QLatin1Char(':') + QString::number(port.toInt()));
        }
    }
    return out.join(QStringLiteral(", "));
}
} // namespace

RouteTableModel::RouteTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

RouteTableModel::~RouteTableModel() = default;

QString RouteTableModel::upstreamSummary(const QJsonObject &route)
{
    if (route.contains(QStringLiteral("upstream_id")))
        return QStringLiteral("upstream_id · ") + route.value(QStringLiteral("upstream_id")).toString();
    const QJsonObject up = route.value(QStringLiteral("upstream")).toObject();
    const QString type = up.value(QStringLiteral("type")).toString();
    QString target;
    if (type == QLatin1String("command") || type == QLatin1String("query"))
        target = up.value(QStringLiteral("collection")).toString();
    else if (type == QLatin1String("function"))
        target = up.value(QStringLiteral("function")).toString();
    else if (type == QLatin1String("http"))
        target = nodesSummary(up.value(QStringLiteral("nodes")));
    return target.isEmpty() ? type : type + QStringLiteral(" · ") + target;
}

void RouteTableModel::setRoutes(const QJsonArray &routes)
{
    QList<QJsonObject> next;
    QSet<QString> nextIds;
    next.reserve(routes.size());
    for (const QJsonValue &v : routes) {
        next.append(v.toObject());
        nextIds.insert(routeId(next.last()));
    }
    // Remove the rows that went away (from the bottom, so indexes stay valid).
    for (int row = int(m_routes.size()) - 1; row >= 0; --row) {
        if (!nextIds.contains(routeId(m_routes.at(row)))) {
            beginRemoveRows({}, row, row);
            m_routes.removeAt(row);
            endRemoveRows();
        }
    }
    // The survivors keep the service's order (creation order), so walking the new list either
    // finds the same id at the same row (update) or a new route to insert there. Anything else
    // (an order change) falls back to a reset.
    for (int row = 0; row < next.size(); ++row) {
        const QString id = routeId(next.at(row));
        if (row < m_routes.size() && routeId(m_routes.at(row)) == id) {
            if (m_routes.at(row) != next.at(row)) {
                m_routes[row] = next.at(row);
                Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
            }
            continue;
        }
        if (rowOf(id) >= 0) {
            beginResetModel();
            m_routes = next;
            endResetModel();
            return;
        }
        beginInsertRows({}, row, row);
        m_routes.insert(row, next.at(row));
        endInsertRows();
    }
}

void RouteTableModel::setCounters(const QHash<QString, RouteCounters> &counters)
{
    if (counters == m_counters)
        return;
    m_counters = counters;
    if (!m_routes.isEmpty())
        Q_EMIT dataChanged(index(0, Hits), index(int(m_routes.size()) - 1, Rejected));
}

QJsonObject RouteTableModel::route(int row) const
{
    return row >= 0 && row < m_routes.size() ? m_routes.at(row) : QJsonObject();
}

int RouteTableModel::rowOf(const QString &id) const
{
    for (int row = 0; row < m_routes.size(); ++row) {
        if (routeId(m_routes.at(row)) == id)
            return row;
    }
    return -1;
}

QStringList RouteTableModel::ids() const
{
    QStringList out;
    for (const QJsonObject &r : m_routes)
        out.append(routeId(r));
    return out;
}

int RouteTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_routes.size());
}

int RouteTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RouteTableModel::display(const QJsonObject &route, int column) const
{
    const RouteCounters counters = m_counters.value(routeId(route));
    switch (column) {
    case Id: return routeId(route);
    case Methods: return joinStrings(route.value(QStringLiteral("methods")), tr("any"));
    case Uri: return route.value(QStringLiteral("uri")).toString();
    case Hosts: return joinStrings(route.value(QStringLiteral("hosts")), QString());
    case Upstream: return upstreamSummary(route);
    case Plugins: return route.value(QStringLiteral("plugins")).toObject().keys().join(QStringLiteral(", "));
    case Priority: return route.value(QStringLiteral("priority")).toInt();
    case Hits: return qint64(counters.hits);
    case ClientErrors: return qint64(counters.clientErrors);
    case Errors: return qint64(counters.errors);
    case Rejected: return qint64(counters.rejected);
    case Status: return route.value(QStringLiteral("status")).toInt(1) != 0 ? tr("enabled") : tr("disabled");
    default: return {};
    }
}

QVariant RouteTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const QJsonObject &route = m_routes.at(index.row());
    const bool enabled = route.value(QStringLiteral("status")).toInt(1) != 0;
    switch (role) {
    case Qt::DisplayRole:
    case SortRole:
        return display(route, index.column());
    case Qt::ToolTipRole:
        if (index.column() == Upstream || index.column() == Plugins)
            return display(route, index.column());
        if (index.column() == Rejected) {
            const QString byStatus = m_counters.value(routeId(route)).rejectionsText();
            return byStatus.isEmpty() ? tr("No request turned away by a plugin") : tr("Turned away by plugins, by status: %1").arg(byStatus);
        }
        if (index.column() == ClientErrors)
            return tr("Answers 400-499, plugin rejections included");
        if (index.column() == Errors)
            return tr("Answers 500-599: the upstream failed, timed out, or the circuit was open");
        return {};
    case Qt::TextAlignmentRole:
        return index.column() == Priority || (index.column() >= Hits && index.column() <= Rejected)
            ? QVariant(int(Qt::AlignRight | Qt::AlignVCenter)) : QVariant();
    case Qt::ForegroundRole:
        if (!enabled)
            return QGuiApplication::palette().brush(QPalette::Disabled, QPalette::Text);
        if (index.column() == Errors && m_counters.value(routeId(route)).errors > 0)
            return QBrush(Qt::darkRed);
        if ((index.column() == ClientErrors && m_counters.value(routeId(route)).clientErrors > 0)
            || (index.column() == Rejected && m_counters.value(routeId(route)).rejected > 0))
            return QBrush(QColor(0xb3, 0x59, 0x00));
        return {};
    case RouteIdRole: return routeId(route);
    case RouteRole: return route;
    case EnabledRole: return enabled;
    default: return {};
    }
}

QVariant RouteTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Id: return tr("ID");
    case Methods: return tr("Methods");
    case Uri: return tr("URI");
    case Hosts: return tr("Hosts");
    case Upstream: return tr("Upstream");
    case Plugins: return tr("Plugins");
    case Priority: return tr("Priority");
    case Hits: return tr("Hits");
    case ClientErrors: return tr("4xx");
    case Errors: return tr("5xx");
    case Rejected: return tr("Rejected");
    case Status: return tr("Status");
    default: return {};
    }
}

} // namespace Gatehouse::Ui
