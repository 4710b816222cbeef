#pragma once

#include "engineclient.h"

#include "location.h"
#include "models/routecounters.h"
#include "widgets/metricchart.h"

#include <QHash>
#include <QWidget>

class QCheckBox;
class QComboBox;

namespace Gatehouse::Ui {

class FlowDiagram;

// The first page: the live flow diagram (each stage with its rate and a health colour) and
// four rolling charts — requests/s, events/s, request latency p99 and the worst projection lag
// — over the last five minutes. Driven by the client's status samples; GUI thread only.
class OverviewPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OverviewPage)

public:
    explicit OverviewPage(EngineClient *client, QWidget *parent = nullptr);
    ~OverviewPage() override;

    FlowDiagram *diagram() const { return m_diagram; }
    QList<MetricChart *> charts() const;

    // Rates between the last two samples.
    struct Rates
    {
        double requestsPerSecond = 0;
        double errorsPerSecond = 0;
        double rejectedPerSecond = 0;
        double eventsPerSecond = 0;
        double documentsPerSecond = 0;
        double invocationsPerSecond = 0;
        double functionErrorsPerSecond = 0;
        double mqttPerSecond = 0;
    };
    Rates rates() const { return m_rates; }

    // The charts' range and whether requests and latency are broken down by route (their
    // figures then come from /metrics, every two seconds while the page is shown).
    void setRange(MetricChart::Range range);
    void setByRoute(bool on);

Q_SIGNALS:
    void openRequested(const Gatehouse::Ui::Location &location);   // a box of the diagram clicked

private:
    void showStatus(const EngineStatus &status);
    void sampleRoutes();

    EngineClient *m_client;
    FlowDiagram *m_diagram = nullptr;
    MetricChart *m_requests = nullptr;
    MetricChart *m_events = nullptr;
    MetricChart *m_latency = nullptr;
    MetricChart *m_lag = nullptr;
    QComboBox *m_range = nullptr;
    QCheckBox *m_byRoute = nullptr;
    QHash<QString, RouteCounters> m_routesBefore;
    qint64 m_routesSampledMs = 0;
    bool m_routesInFlight = false;
    EngineStatus m_previous;
    bool m_havePrevious = false;
    Rates m_rates;
};

} // namespace Gatehouse::Ui
