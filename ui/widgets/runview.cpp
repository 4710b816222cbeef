#include "runview.h"

#include "runchart.h"
#include "simulation/reportformat.h"

#include <QFontDatabase>
#include <QGridLayout>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

namespace {

QString s(const char *latin1)
{
    return QString::fromLatin1(latin1);
}

double sumOf(const QJsonObject &operations, const char *member)
{
    double total = 0;
    for (auto it = operations.begin(); it != operations.end(); ++it)
        total += it.value().toObject().value(s(member)).toDouble();
    return total;
}

double errorsOf(const QJsonObject &operations)
{
    double total = 0;
    for (auto it = operations.begin(); it != operations.end(); ++it) {
        const QJsonObject errors = it.value().toObject().value(s("errors")).toObject();
        for (auto e = errors.begin(); e != errors.end(); ++e)
            total += e.value().toDouble();
    }
    return total;
}

// The worst of a percentile over the members of `groups` (operations or lag channels).
double worstPercentile(const QJsonObject &groups, const char *percentile)
{
    double worst = 0;
    for (auto it = groups.begin(); it != groups.end(); ++it)
        worst = qMax(worst, it.value().toObject().value(s("latency_ms")).toObject().value(s(percentile)).toDouble());
    return worst;
}

} // namespace

RunView::RunView(QWidget *parent)
    : QWidget(parent)
{
    m_state = new QLabel(this);
    m_state->setObjectName(QStringLiteral("runState"));
    m_state->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_state->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    m_charts[Rate] = new RunChart(tr("Rate: intended vs achieved"), tr("/s"), this);
    m_charts[Rate]->addLine(tr("intended"));
    m_charts[Rate]->addLine(tr("achieved"));
    m_charts[Latency] = new RunChart(tr("Latency"), tr("ms"), this);
    m_charts[Latency]->addLine(tr("p50"));
    m_charts[Latency]->addLine(tr("p99"));
    m_charts[Lag] = new RunChart(tr("Consistency lag p99"), tr("ms"), this);
    m_charts[Lag]->addLine(tr("lag p99"));
    m_charts[Errors] = new RunChart(tr("Errors and dropped iterations"), tr("per sample"), this);
    m_charts[Errors]->addLine(tr("errors"));
    m_charts[Errors]->addLine(tr("dropped"));
    m_charts[Vus] = new RunChart(tr("Active VUs"), tr("VUs"), this);
    m_charts[Vus]->addLine(tr("active"));
    const char *names[ChartCount] = {"chartRate", "chartLatency", "chartLag", "chartErrors", "chartVus"};
    for (int i = 0; i < ChartCount; ++i)
        m_charts[i]->setObjectName(QString::fromLatin1(names[i]));

    m_thresholds = new QListWidget(this);
    m_thresholds->setObjectName(QStringLiteral("runThresholds"));
    m_summary = new QPlainTextEdit(this);
    m_summary->setObjectName(QStringLiteral("runSummary"));
    m_summary->setReadOnly(true);
    m_summary->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_summary->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    auto *charts = new QWidget(this);
    auto *grid = new QGridLayout(charts);
    grid->setContentsMargins(0, 0, 0, 0);
    for (int i = 0; i < ChartCount; ++i)
        grid->addWidget(m_charts[i], i / 3, i % 3);
    grid->addWidget(m_thresholds, 1, 2);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(charts);
    split->addWidget(m_summary);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_state);
    layout->addWidget(split, 1);
    clear();
}

RunView::~RunView() = default;

void RunView::clear()
{
    m_run = {};
    m_lastSample = {};
    m_faultCount = -1;
    m_seriesSeen = 0;
    m_derived = false;
    for (RunChart *c : m_charts) {
        c->clearPoints();
        c->setBands({});
        c->setMinimumSpan(1);
    }
    m_thresholds->clear();
    m_summary->clear();
    m_state->setText(tr("No run"));
}

void RunView::begin(const QJsonObject &scenario)
{
    clear();
    const QJsonObject thresholds = scenario.value(s("thresholds")).toObject();
    for (auto it = thresholds.begin(); it != thresholds.end(); ++it) {
        for (const QJsonValue &expression : it.value().toArray()) {
            auto *item = new QListWidgetItem(QStringLiteral("… %1: %2").arg(it.key(), expression.toString()), m_thresholds);
            item->setData(ThresholdStateRole, s("pending"));
        }
    }
    m_state->setText(tr("Starting…"));
}

QJsonObject RunView::sampleOf(const QJsonObject &snapshot, const QJsonObject &previous)
{
    const QJsonObject operations = snapshot.value(s("operations")).toObject();
    const double t = snapshot.value(s("elapsed_ms")).toDouble();
    const double requests = sumOf(operations, "requests");
    const double errors = errorsOf(operations);
    const double dropped = sumOf(operations, "dropped");
    const double dt = (t - previous.value(s("t_ms")).toDouble()) / 1000.0;
    const double achieved = dt > 0 ? (requests - previous.value(s("requests")).toDouble()) / dt : 0;
    QJsonObject sample{{s("t_ms"), t},
                       {s("intended_rate"), sumOf(operations, "intended_rate")},
                       {s("achieved_rate"), previous.isEmpty() ? sumOf(operations, "achieved_rate") : achieved},
                       {s("p50_ms"), worstPercentile(operations, "p50")},
                       {s("p99_ms"), worstPercentile(operations, "p99")},
                       {s("lag_p99_ms"), worstPercentile(snapshot.value(s("consistency_lag")).toObject(), "p99")},
                       {s("errors"), errors - previous.value(s("errors_total")).toDouble()},
                       {s("dropped"), dropped - previous.value(s("dropped_total")).toDouble()},
                       {s("active_vus"), snapshot.value(s("active_vus")).toDouble()},
                       {s("requests"), requests},
                       {s("errors_total"), errors},
                       {s("dropped_total"), dropped}};
    return sample;
}

void RunView::addSample(const QJsonObject &sample)
{
    const double t = sample.value(s("t_ms")).toDouble() / 1000.0;
    auto add = [&](Chart c, int line, const char *member) {
        m_charts[c]->appendPoint(line, QPointF(t, sample.value(s(member)).toDouble()));
    };
    add(Rate, 0, "intended_rate");
    add(Rate, 1, "achieved_rate");
    add(Latency, 0, "p50_ms");
    add(Latency, 1, "p99_ms");
    add(Lag, 0, "lag_p99_ms");
    add(Errors, 0, "errors");
    add(Errors, 1, "dropped");
    add(Vus, 0, "active_vus");
}

void RunView::update(const QJsonObject &snapshot)
{
    if (!m_run.isEmpty() && snapshot.value(s("id")) != m_run.value(s("id"))) {
        clear();
    }
    m_run = snapshot;
    const double duration = snapshot.value(s("duration_ms")).toDouble() / 1000.0;
    for (RunChart *c : m_charts)
        c->setMinimumSpan(duration);
    const QJsonArray faults = snapshot.value(s("faults")).toArray();
    if (faults.size() != m_faultCount)
        setFaults(faults);

    const QJsonValue series = snapshot.value(s("series"));
    if (series.isArray()) {
        const QJsonArray samples = series.toArray();
        // A shorter series, or one after samples made from snapshots: start the lines over.
        if (samples.size() < m_seriesSeen || m_derived) {
            for (RunChart *c : m_charts)
                c->clearPoints();
            m_seriesSeen = 0;
            m_derived = false;
        }
        for (qsizetype i = m_seriesSeen; i < samples.size(); ++i)
            addSample(samples.at(i).toObject());
        m_seriesSeen = samples.size();
    } else if (snapshot.value(s("elapsed_ms")).toDouble() > m_lastSample.value(s("t_ms")).toDouble()) {
        m_lastSample = sampleOf(snapshot, m_lastSample);
        m_derived = true;
        addSample(m_lastSample);
    }

    // Until the run has ended its thresholds stay pending, whatever the snapshot holds.
    const QString state = snapshot.value(s("state")).toString();
    const bool ended = state == QLatin1String("finished") || state == QLatin1String("stopped") || state == QLatin1String("failed");
    if (!ended) {
        m_state->setText(Simulation::ReportFormat::progressLine(snapshot));
    } else {
        const QString reason = snapshot.value(s("reason")).toString();
        m_state->setText(tr("Run %1 of %2: %3%4")
                             .arg(snapshot.value(s("id")).toString(), snapshot.value(s("scenario")).toString(),
                                  snapshot.value(s("state")).toString(),
                                  reason.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(reason)));
        m_summary->setPlainText(Simulation::ReportFormat::summary(snapshot));
        setThresholds(snapshot.value(s("thresholds")).toArray());
    }
}

void RunView::setFaults(const QJsonArray &faults)
{
    m_faultCount = int(faults.size());
    QList<QPointF> bands;
    for (const QJsonValue &v : faults) {
        const QJsonObject f = v.toObject();
        const double at = f.value(s("at_ms")).toDouble() / 1000.0;
        bands.append(QPointF(at, at + f.value(s("for_ms")).toDouble() / 1000.0));
    }
    for (RunChart *c : m_charts)
        c->setBands(bands);
}

void RunView::setThresholds(const QJsonArray &results)
{
    m_thresholds->clear();
    for (const QJsonValue &v : results) {
        const QJsonObject t = v.toObject();
        const bool pass = t.value(s("pass")).toBool();
        const QJsonValue value = t.value(s("value"));
        const QString shown = value.isDouble() ? QString::number(value.toDouble(), 'g', 6) : value.toString();
        auto *item = new QListWidgetItem(QStringLiteral("%1 %2: %3 (%4)")
                                             .arg(pass ? QStringLiteral("✓") : QStringLiteral("✗"),
                                                  t.value(s("metric")).toString(), t.value(s("expression")).toString(), shown),
                                         m_thresholds);
        item->setData(ThresholdStateRole, pass ? s("pass") : s("fail"));
        item->setBackground(pass ? QColor(200, 230, 201) : QColor(255, 205, 210));
        item->setForeground(pass ? QColor(27, 94, 32) : QColor(183, 28, 28));
    }
}

QString RunView::summaryText() const
{
    return m_summary->toPlainText();
}

QString RunView::stateText() const
{
    return m_state->text();
}

} // namespace Gatehouse::Ui
