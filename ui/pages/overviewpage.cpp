#include "overviewpage.h"

#include "engineclient.h"
#include "mainwindow.h"
#include "widgets/flowdiagram.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHash>
#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

namespace {

using Health = FlowDiagram::Health;

QString rate(double perSecond)
{
    return perSecond >= 100 ? QLocale().toString(qRound64(perSecond)) : QLocale().toString(perSecond, 'f', perSecond >= 10 ? 0 : 1);
}

} // namespace

OverviewPage::OverviewPage(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
{
    setObjectName(QStringLiteral("overviewPage"));
    m_diagram = new FlowDiagram(this);
    m_requests = new MetricChart(tr("Requests/s"), tr("req/s"), this);
    m_requests->setObjectName(QStringLiteral("chartRequests"));
    m_events = new MetricChart(tr("Events/s"), tr("events/s"), this);
    m_events->setObjectName(QStringLiteral("chartEvents"));
    m_latency = new MetricChart(tr("Request latency p99"), tr("ms"), this);
    m_latency->setObjectName(QStringLiteral("chartLatency"));
    m_lag = new MetricChart(tr("Worst projection lag"), tr("events"), this);
    m_lag->setObjectName(QStringLiteral("chartLag"));

    auto *charts = new QGridLayout;
    charts->addWidget(m_requests, 0, 0);
    charts->addWidget(m_events, 0, 1);
    charts->addWidget(m_latency, 1, 0);
    charts->addWidget(m_lag, 1, 1);
    m_range = new QComboBox(this);
    m_range->setObjectName(QStringLiteral("overviewRange"));
    m_range->addItem(tr("Last 5 minutes"), int(MetricChart::Range::FiveMinutes));
    m_range->addItem(tr("Last hour"), int(MetricChart::Range::OneHour));
    m_range->addItem(tr("Since start"), int(MetricChart::Range::SinceStart));
    connect(m_range, &QComboBox::currentIndexChanged, this, [this] { setRange(MetricChart::Range(m_range->currentData().toInt())); });
    m_byRoute = new QCheckBox(tr("Requests and latency by route"), this);
    m_byRoute->setObjectName(QStringLiteral("overviewByRoute"));
    connect(m_byRoute, &QCheckBox::toggled, this, &OverviewPage::setByRoute);
    auto *chartBar = new QHBoxLayout;
    chartBar->addWidget(new QLabel(tr("Charts:"), this));
    chartBar->addWidget(m_range);
    chartBar->addWidget(m_byRoute);
    chartBar->addStretch(1);
    auto *hint = new QLabel(tr("Hover a line for its values"), this);
    hint->setEnabled(false);
    chartBar->addWidget(hint);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_diagram, 3);
    layout->addLayout(chartBar);
    layout->addLayout(charts, 4);

    // Each box opens the page where its part is watched and steered.
    connect(m_diagram, &FlowDiagram::nodeActivated, this, [this](const QString &id) {
        static const QHash<QString, int> pages{
            {QStringLiteral("clients"), MainWindow::Routes},       {QStringLiteral("gateway"), MainWindow::Routes},
            {QStringLiteral("commands"), MainWindow::Events},      {QStringLiteral("eventlog"), MainWindow::Events},
            {QStringLiteral("projections"), MainWindow::Projections}, {QStringLiteral("functions"), MainWindow::Functions},
            {QStringLiteral("readstore"), MainWindow::ReadModels}, {QStringLiteral("queries"), MainWindow::ReadModels},
            {QStringLiteral("live"), MainWindow::Events},          {QStringLiteral("mqtt"), MainWindow::Events},
        };
        const auto it = pages.constFind(id);
        if (it != pages.cend())
            Q_EMIT openRequested(Location::ofPage(*it));
    });
    connect(client, &EngineClient::statusUpdated, this, &OverviewPage::showStatus);
    showStatus(client->status());
}

OverviewPage::~OverviewPage() = default;

void OverviewPage::setRange(MetricChart::Range range)
{
    const int index = m_range->findData(int(range));
    if (index >= 0 && index != m_range->currentIndex()) {
        m_range->setCurrentIndex(index);   // back here through the signal
        return;
    }
    for (MetricChart *chart : charts())
        chart->setRange(range);
}

void OverviewPage::setByRoute(bool on)
{
    if (m_byRoute->isChecked() != on) {
        m_byRoute->setChecked(on);   // back here through the signal
        return;
    }
    m_requests->setBreakdown(on);
    m_latency->setBreakdown(on);
    m_routesBefore.clear();   // rates need two samples taken while it is on
    if (on)
        sampleRoutes();
}

void OverviewPage::sampleRoutes()
{
    if (m_routesInFlight)
        return;
    m_routesInFlight = true;
    m_client->adminGet(QByteArrayLiteral("/metrics"), this, [this](const ClientReply &reply) {
        m_routesInFlight = false;
        if (!reply.isSuccess() || !m_byRoute->isChecked())
            return;
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const QHash<QString, RouteCounters> counters = RouteCounters::parse(reply.body);
        if (!m_routesBefore.isEmpty() && now > m_routesSampledMs) {
            const double dt = double(now - m_routesSampledMs) / 1000.0;
            QHash<QString, double> rates;
            QHash<QString, double> p99;
            for (auto it = counters.cbegin(); it != counters.cend(); ++it) {
                const RouteCounters before = m_routesBefore.value(it.key());
                rates.insert(it.key(), qMax(0.0, it->hits - before.hits) / dt);
                if (const double ms = RouteCounters::quantileMs(*it, before, 0.99); ms >= 0)
                    p99.insert(it.key(), ms);
            }
            m_requests->addPoints(now, rates);
            m_latency->addPoints(now, p99);
        }
        m_routesBefore = counters;
        m_routesSampledMs = now;
    });
}

QList<MetricChart *> OverviewPage::charts() const
{
    return {m_requests, m_events, m_latency, m_lag};
}

void OverviewPage::showStatus(const EngineStatus &s)
{
    if (s.sampledAtMs == 0)
        return;
    if (m_havePrevious && s.sampledAtMs > m_previous.sampledAtMs) {
        const double dt = double(s.sampledAtMs - m_previous.sampledAtMs) / 1000.0;
        const auto per = [dt](double now, double before) { return qMax(0.0, now - before) / dt; };
        m_rates.requestsPerSecond = per(s.httpRequests, m_previous.httpRequests);
        m_rates.errorsPerSecond = per(s.httpErrors, m_previous.httpErrors);
        m_rates.rejectedPerSecond = per(s.httpRejected, m_previous.httpRejected);
        m_rates.eventsPerSecond = per(double(s.headPosition), double(m_previous.headPosition));
        m_rates.documentsPerSecond = per(s.documentsChanged, m_previous.documentsChanged);
        m_rates.invocationsPerSecond = per(s.functionInvocations, m_previous.functionInvocations);
        m_rates.functionErrorsPerSecond = per(s.functionErrors, m_previous.functionErrors);
        m_rates.mqttPerSecond = per(s.mqttPublished, m_previous.mqttPublished);
        m_requests->addPoint(s.sampledAtMs, m_rates.requestsPerSecond);
        if (m_byRoute->isChecked() && isVisible() && s.sampledAtMs - m_routesSampledMs >= 2000)
            sampleRoutes();
        m_events->addPoint(s.sampledAtMs, m_rates.eventsPerSecond);
        m_latency->addPoint(s.sampledAtMs, s.httpP99Ms);
        m_lag->addPoint(s.sampledAtMs, double(s.worstLagEvents));
    }
    m_previous = s;
    m_havePrevious = true;
    const Rates &r = m_rates;

    const auto busy = [](double perSecond) { return perSecond > 0 ? Health::Ok : Health::Idle; };
    m_diagram->setNode(QStringLiteral("clients"), tr("%1 req/s").arg(rate(r.requestsPerSecond)), busy(r.requestsPerSecond));
    Health gateway = busy(r.requestsPerSecond);
    if (r.errorsPerSecond > 0)
        gateway = r.errorsPerSecond > r.requestsPerSecond * 0.05 ? Health::Error : Health::Warning;
    m_diagram->setNode(QStringLiteral("gateway"),
                       tr("%1 req/s · p99 %2 ms").arg(rate(r.requestsPerSecond), QLocale().toString(s.httpP99Ms, 'f', 1)),
                       gateway,
                       tr("5xx answers: %1/s; rejected by plugins: %2/s").arg(rate(r.errorsPerSecond), rate(r.rejectedPerSecond)));
    m_diagram->setNode(QStringLiteral("commands"), tr("%1 events/s").arg(rate(r.eventsPerSecond)), busy(r.eventsPerSecond));
    m_diagram->setNode(QStringLiteral("eventlog"), tr("%1 events").arg(QLocale().toString(s.headPosition)),
                       s.headPosition > 0 ? Health::Ok : Health::Idle);
    Health projections = Health::Ok;
    QString lag = tr("current");
    if (s.projectionFaults > 0) {
        projections = Health::Error;
        lag = tr("%n faulted", nullptr, s.projectionFaults);
    } else if (s.worstLagEvents > 0) {
        projections = (s.worstLagEvents > 10000 || s.worstLagMs > 5000) ? Health::Warning : Health::Ok;
        lag = tr("lag %1 (%2 ms)").arg(QLocale().toString(s.worstLagEvents)).arg(s.worstLagMs);
    }
    m_diagram->setNode(QStringLiteral("projections"), lag, projections, s.worstLagProjection);
    Health functions = busy(r.invocationsPerSecond);
    if (r.functionErrorsPerSecond > 0 || s.deadLetters > 0)
        functions = Health::Warning;
    // Waiting dead letters take the box's line (the rates go to its tooltip): they need a hand.
    const QString rates = tr("%1 inv/s · %2 err/s").arg(rate(r.invocationsPerSecond), rate(r.functionErrorsPerSecond));
    if (s.deadLetters > 0)
        m_diagram->setNode(QStringLiteral("functions"), s.deadLetters == 1 ? tr("1 dead letter") : tr("%1 dead letters").arg(QLocale().toString(s.deadLetters)),
                           functions, tr("%1\nDead letters wait on the Functions page: replay or skip them.").arg(rates));
    else
        m_diagram->setNode(QStringLiteral("functions"), rates, functions);
    m_diagram->setNode(QStringLiteral("readstore"), tr("%1 docs/s").arg(rate(r.documentsPerSecond)), busy(r.documentsPerSecond));
    m_diagram->setNode(QStringLiteral("queries"), tr("reads at %1").arg(QLocale().toString(s.headPosition - s.worstLagEvents)),
                       projections == Health::Error ? Health::Warning : Health::Ok);
    m_diagram->setNode(QStringLiteral("live"), tr("%n subscriber(s)", nullptr, int(s.liveClients)),
                       s.liveClients > 0 ? Health::Ok : Health::Idle);
    if (!s.mqttEnabled)
        m_diagram->setNode(QStringLiteral("mqtt"), tr("off"), Health::Idle, s.mqttBroker);
    else
        m_diagram->setNode(QStringLiteral("mqtt"),
                           s.mqttConnected ? tr("%1 msg/s").arg(rate(r.mqttPerSecond)) : tr("disconnected"),
                           s.mqttConnected ? Health::Ok : Health::Error, s.mqttBroker);
}

} // namespace Gatehouse::Ui
