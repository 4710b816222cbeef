#include "projectiontablemodel.h"

#include <QColor>

namespace Gatehouse::Ui {

namespace {
QList<JsonRowsModel::Column> columns()
{
    using C = JsonRowsModel::Column;
    return {
        C{QObject::tr("Name"), QStringLiteral("name")},
        C{QObject::tr("Status"), QStringLiteral("status")},
        C{QObject::tr("Position"), QStringLiteral("position")},
        C{QObject::tr("Head"), QStringLiteral("head")},
        C{QObject::tr("Lag (events)"), QStringLiteral("lag_events")},
        C{QObject::tr("Lag (ms)"), QStringLiteral("lag_ms")},
        C{QObject::tr("Events/s"), QStringLiteral("events_per_second"),
          [](const QJsonObject &row) -> QVariant { return QString::number(row.value(QLatin1String("events_per_second")).toDouble(), 'f', 1); }},
        C{QObject::tr("Error"), QString(), [](const QJsonObject &row) -> QVariant { return ProjectionTableModel::faultText(row); }},
    };
}
} // namespace

ProjectionTableModel::ProjectionTableModel(QObject *parent)
    : JsonRowsModel(QStringLiteral("name"), columns(), parent)
{
}

ProjectionTableModel::~ProjectionTableModel() = default;

QString ProjectionTableModel::faultText(const QJsonObject &p)
{
    const QString error = p.value(QLatin1String("error")).toString();
    if (error.isEmpty())
        return {};
    QString text = error;
    const qint64 position = p.value(QLatin1String("fault_position")).toInteger();
    const QString event = p.value(QLatin1String("fault_event_id")).toString();
    if (position > 0 || !event.isEmpty())
        text += tr(" (event %1 at position %2)").arg(event.isEmpty() ? QStringLiteral("?") : event).arg(position);
    return text;
}

QVariant ProjectionTableModel::decoration(const QJsonObject &row, int column, int role) const
{
    if (column != Status || role != Qt::ForegroundRole)
        return {};
    const QString status = row.value(QLatin1String("status")).toString();
    if (status == QLatin1String("faulted"))
        return QColor(200, 30, 30);
    if (status == QLatin1String("paused") || status == QLatin1String("stopped"))
        return QColor(200, 120, 0);
    if (status == QLatin1String("rebuilding") || status == QLatin1String("catching_up"))
        return QColor(30, 90, 200);
    return QColor(20, 140, 60);
}

} // namespace Gatehouse::Ui
