#pragma once

#include "models/jsonrowsmodel.h"

namespace Gatehouse::Ui {

// The projections of GET /admin/projections as a table: name, status, position, head, lag
// (events and ms), throughput and the fault (error, position and event id), one row per
// projection keyed by name, the status coloured. GUI thread only.
class ProjectionTableModel final : public JsonRowsModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProjectionTableModel)

public:
    enum Column { Name, Status, Position, Head, LagEvents, LagMs, EventsPerSecond, Error, ColumnCount };

    explicit ProjectionTableModel(QObject *parent = nullptr);
    ~ProjectionTableModel() override;

    static QString faultText(const QJsonObject &projection);   // empty unless faulted

protected:
    QVariant decoration(const QJsonObject &row, int column, int role) const override;
};

} // namespace Gatehouse::Ui
