#pragma once

#include "routecounters.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>

namespace Gatehouse::Ui {

// The gateway's routes as a table for the Routes page: one row per route in the admin API's
// order (GET /admin/routes), with the hit and error counts of /metrics merged in. The page
// hands it whole lists; rows are matched by id, so a reload updates rows in place and only
// inserts or removes what changed (selection and scroll position survive). Counter samples
// only touch the Hits, 4xx, 5xx and Rejected columns. Lives on the GUI thread.
class RouteTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RouteTableModel)

public:
    enum Column { Id, Methods, Uri, Hosts, Upstream, Plugins, Priority, Hits, ClientErrors, Errors, Rejected, Status, ColumnCount };
    enum Role {
        RouteIdRole = Qt::UserRole + 1,   // QString
        RouteRole,                        // the route's JSON object (QJsonObject)
        EnabledRole,                      // bool
        SortRole,                         // numbers as numbers, for a sort proxy
    };

    explicit RouteTableModel(QObject *parent = nullptr);
    ~RouteTableModel() override;

    void setRoutes(const QJsonArray &routes);
    void setCounters(const QHash<QString, RouteCounters> &counters);

    QJsonObject route(int row) const;
    int rowOf(const QString &id) const;   // -1 when absent
    QStringList ids() const;

    // "query · products", "http · 10.0.0.1:80, 10.0.0.2:80", "upstream_id · shared".
    static QString upstreamSummary(const QJsonObject &route);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVariant display(const QJsonObject &route, int column) const;

    QList<QJsonObject> m_routes;
    QHash<QString, RouteCounters> m_counters;
};

} // namespace Gatehouse::Ui
