#include "runchart.h"

#include <QAreaSeries>
#include <QChart>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QValueAxis>

#include <cmath>
#include <iterator>

namespace Gatehouse::Ui {

namespace {

// Keeps the first and last point and every other one between: halves a line that grew past
// the cap while keeping its shape and its ends.
QList<QPointF> thinned(const QList<QPointF> &points)
{
    QList<QPointF> out;
    out.reserve(points.size() / 2 + 2);
    for (qsizetype i = 0; i < points.size(); i += 2)
        out.append(points.at(i));
    if (!points.isEmpty() && out.constLast() != points.constLast())
        out.append(points.constLast());
    return out;
}

double roundedUp(double top)
{
    if (!(top > 0) || !std::isfinite(top))
        return 1;
    const double magnitude = std::pow(10.0, std::floor(std::log10(top)));
    return std::ceil(top * 1.15 / magnitude) * magnitude;
}

} // namespace

RunChart::RunChart(const QString &title, const QString &unit, QWidget *parent)
    // The chart is given to the constructor, as MetricChart does, so no default chart leaks.
    : QChartView(new QChart, parent)
    , m_title(title)
{
    QChart *chart = this->chart();
    chart->setTitle(title);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->setBackgroundRoundness(0);
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->legend()->hide();
    m_time = new QValueAxis(chart);
    m_time->setTitleText(tr("s"));
    m_time->setLabelFormat(QStringLiteral("%.0f"));
    m_time->setRange(0, 1);
    m_time->setTickType(QValueAxis::TicksDynamic);
    m_time->setTickAnchor(0);
    m_value = new QValueAxis(chart);
    m_value->setTitleText(unit);
    m_value->setRange(0, 1);
    m_bandAxis = new QValueAxis(chart);
    m_bandAxis->setRange(0, 1);
    m_bandAxis->setVisible(false);
    chart->addAxis(m_time, Qt::AlignBottom);
    chart->addAxis(m_value, Qt::AlignLeft);
    chart->addAxis(m_bandAxis, Qt::AlignRight);
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(160);
}

RunChart::~RunChart() = default;

int RunChart::addLine(const QString &name)
{
    Line line;
    line.series = new QLineSeries(chart());
    line.series->setName(name);
    chart()->addSeries(line.series);
    line.series->attachAxis(m_time);
    line.series->attachAxis(m_value);
    m_lines.append(line);
    if (m_lines.size() > 1) {
        chart()->legend()->show();
        for (QAbstractSeries *band : std::as_const(m_bands)) {
            for (QLegendMarker *marker : chart()->legend()->markers(band))
                marker->setVisible(false);
        }
    }
    return int(m_lines.size() - 1);
}

void RunChart::setPoints(int line, QList<QPointF> points)
{
    if (line < 0 || line >= m_lines.size())
        return;
    while (points.size() > kMaxPoints)
        points = thinned(points);
    m_lines[line].points = points;
    m_lines[line].series->replace(points);
    rescale();
}

void RunChart::appendPoint(int line, QPointF point)
{
    if (line < 0 || line >= m_lines.size())
        return;
    if (!std::isfinite(point.y()))
        point.setY(0);
    Line &l = m_lines[line];
    l.points.append(point);
    if (l.points.size() > kMaxPoints) {
        l.points = thinned(l.points);
        l.series->replace(l.points);
    } else {
        l.series->append(point);
    }
    rescale();
}

void RunChart::clearPoints()
{
    for (Line &l : m_lines) {
        l.points.clear();
        l.series->clear();
    }
    rescale();
}

void RunChart::setBands(const QList<QPointF> &startEnd)
{
    for (QAbstractSeries *band : std::as_const(m_bands)) {
        chart()->removeSeries(band);
        delete band;
    }
    m_bands.clear();
    for (const QPointF &span : startEnd) {
        auto *upper = new QLineSeries;
        upper->append(span.x(), 1);
        upper->append(span.y(), 1);
        auto *lower = new QLineSeries;
        lower->append(span.x(), 0);
        lower->append(span.y(), 0);
        auto *area = new QAreaSeries(upper, lower);   // takes neither: parent them to it
        upper->setParent(area);
        lower->setParent(area);
        area->setName(tr("fault"));
        area->setColor(QColor(255, 152, 0, 60));
        area->setBorderColor(QColor(255, 152, 0, 140));
        chart()->addSeries(area);
        area->attachAxis(m_time);
        area->attachAxis(m_bandAxis);
        for (QLegendMarker *marker : chart()->legend()->markers(area))
            marker->setVisible(false);
        m_bands.append(area);
    }
    rescale();
}

void RunChart::setMinimumSpan(double seconds)
{
    m_minSpan = qMax(1.0, seconds);
    rescale();
}

int RunChart::pointCount(int line) const
{
    return line >= 0 && line < m_lines.size() ? int(m_lines.at(line).points.size()) : 0;
}

void RunChart::rescale()
{
    double top = 0;
    double right = m_minSpan;
    for (const Line &l : std::as_const(m_lines)) {
        for (const QPointF &p : l.points)
            top = qMax(top, p.y());
        if (!l.points.isEmpty())
            right = qMax(right, l.points.constLast().x());
    }
    m_value->setRange(0, roundedUp(top));
    m_value->applyNiceNumbers();   // ticks on round values
    m_value->setLabelFormat(m_value->max() < 10 ? QStringLiteral("%.1f") : QStringLiteral("%.0f"));
    // A tick every round number of seconds, about six of them across the run.
    const double span = std::ceil(right);
    static const double steps[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400};
    double step = steps[std::size(steps) - 1];
    for (double candidate : steps) {
        if (span / candidate <= 6) {
            step = candidate;
            break;
        }
    }
    m_time->setRange(0, std::ceil(span / step) * step);
    m_time->setTickInterval(step);
}

} // namespace Gatehouse::Ui
