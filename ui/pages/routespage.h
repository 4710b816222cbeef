#pragma once

#include <QElapsedTimer>
#include <QWidget>

class QJsonObject;
class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTabWidget;
class QTableView;

namespace Gatehouse::Ui {

class ConsumersPanel;
class EngineClient;
struct EngineStatus;
class RequestTesterWidget;
class ResourceListPanel;
class RoutePluginCatalog;
class RouteTableModel;

// The Routes page: the gateway's routes in a table (id, methods, uri, hosts, upstream, plugins,
// priority, hits, errors, status) with add / edit / duplicate / delete and enable / disable,
// a Consumers tab, and a request tester that sends real requests to the gateway. Routes are
// reloaded from the admin API whenever the engine reports a route change (whoever made it);
// hits and errors come from /metrics, sampled at most every 2 s and only while the page is
// visible. Lives on the GUI thread; talks to the engine only through EngineClient.
class RoutesPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RoutesPage)

public:
    enum Tab { RoutesTab, ConsumersTab, TesterTab, UpstreamsTab, GlobalRulesTab };

    explicit RoutesPage(EngineClient *client, QWidget *parent = nullptr);
    ~RoutesPage() override;

    RouteTableModel *routeModel() const { return m_model; }
    ConsumersPanel *consumers() const { return m_consumers; }
    RequestTesterWidget *requestTester() const { return m_tester; }
    ResourceListPanel *upstreams() const { return m_upstreams; }
    ResourceListPanel *globalRules() const { return m_globalRules; }

    void reloadRoutes();
    void refreshCounters();
    bool selectRoute(const QString &id);
    QString selectedRouteId() const;        // the one selected; empty with none or several
    QStringList selectedRouteIds() const;   // in the order shown

    void addRoute();
    void editSelected();
    void duplicateSelected();
    void deleteSelected();
    void toggleSelected();
    void testSelected();   // the selected route's method and path in the request tester

protected:
    void showEvent(QShowEvent *event) override;

private:
    void onStatus(const EngineStatus &status);
    void openEditor(bool create, const QJsonObject &route);
    void updateActions();
    void setMessage(const QString &text, bool error = false);
    // The same admin request for each route, one after the other; one message at the end.
    void runBulk(const QStringList &ids, const QByteArray &method, const QByteArray &body, const QString &done);

    EngineClient *m_client;
    RoutePluginCatalog *m_catalog;
    RouteTableModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTabWidget *m_tabs = nullptr;
    QTableView *m_view = nullptr;
    QLineEdit *m_filter = nullptr;
    QPushButton *m_add = nullptr;
    QPushButton *m_edit = nullptr;
    QPushButton *m_duplicate = nullptr;
    QPushButton *m_delete = nullptr;
    QPushButton *m_toggle = nullptr;
    QPushButton *m_test = nullptr;
    QLabel *m_message = nullptr;
    ConsumersPanel *m_consumers = nullptr;
    RequestTesterWidget *m_tester = nullptr;
    ResourceListPanel *m_upstreams = nullptr;
    ResourceListPanel *m_globalRules = nullptr;
    QElapsedTimer m_countersSampled;
    bool m_countersInFlight = false;
    QString m_selectAfterReload;   // a route just saved, selected once the reload brings it
};

} // namespace Gatehouse::Ui
