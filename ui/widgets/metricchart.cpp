#include "metricchart.h"

#include <QChart>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QLineSeries>
#include <QValueAxis>

#include <cmath>

namespace Gatehouse::Ui {

MetricChart::MetricChart(const QString &title, const QString &unit, int windowSeconds, QWidget *parent)
    // The chart is given to the constructor: QChartView(parent) makes a default chart that
    // setChart() would release without deleting (LeakSanitizer found it).
    : QChartView(new QChart, parent)
    , m_title(title)
    , m_windowMs(windowSeconds * 1000)
{
    QChart *chart = this->chart();
    chart->setTitle(title);
    chart->legend()->hide();
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->setBackgroundRoundness(0);
    m_series = new QLineSeries(chart);
    chart->addSeries(m_series);
    m_time = new QDateTimeAxis(chart);
    m_time->setFormat(QStringLiteral("HH:mm"));
    m_time->setTickCount(4);
    m_value = new QValueAxis(chart);
    m_value->setLabelFormat(QStringLiteral("%.0f"));
    m_value->setTitleText(unit);
    m_value->setRange(0, 1);
    chart->addAxis(m_time, Qt::AlignBottom);
    chart->addAxis(m_value, Qt::AlignLeft);
    m_series->attachAxis(m_time);
    m_series->attachAxis(m_value);
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    m_time->setRange(QDateTime::fromMSecsSinceEpoch(now - m_windowMs), QDateTime::fromMSecsSinceEpoch(now));
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(150);
}

MetricChart::~MetricChart() = default;

void MetricChart::addPoint(qint64 timeMs, double value)
{
    if (!std::isfinite(value))
        value = 0;
    m_series->append(double(timeMs), value);
    // Drop what scrolled out of the window (points arrive in time order).
    int old = 0;
    const int count = m_series->count();
    while (old < count && m_series->at(old).x() < double(timeMs - m_windowMs))
        ++old;
    if (old > 0)
        m_series->removePoints(0, old);
    double top = 0;
    for (const QPointF &p : m_series->points())
        top = qMax(top, p.y());
    // A round upper bound a little above the maximum, so the line never touches the frame.
    const double magnitude = top > 0 ? std::pow(10.0, std::floor(std::log10(top))) : 1;
    const double upper = qMax(1.0, std::ceil(top * 1.15 / magnitude) * magnitude);
    m_value->setRange(0, upper);
    m_value->setLabelFormat(upper < 10 ? QStringLiteral("%.1f") : QStringLiteral("%.0f"));
    // Until the window has filled, show what there is (at least a minute) rather than a sliver.
    if (m_firstMs == 0)
        m_firstMs = timeMs;
    const qint64 span = qBound(qint64(60000), timeMs - m_firstMs, qint64(m_windowMs));
    m_time->setRange(QDateTime::fromMSecsSinceEpoch(timeMs - span), QDateTime::fromMSecsSinceEpoch(timeMs));
    m_time->setFormat(span <= 120000 ? QStringLiteral("HH:mm:ss") : QStringLiteral("HH:mm"));
}

int MetricChart::pointCount() const
{
    return m_series->count();
}

double MetricChart::lastValue() const
{
    return m_series->count() ? m_series->at(m_series->count() - 1).y() : 0;
}

} // namespace Gatehouse::Ui
