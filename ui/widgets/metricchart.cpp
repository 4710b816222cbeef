#include "metricchart.h"

#include <QChart>
#include <QCursor>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLocale>
#include <QToolTip>
#include <QValueAxis>

#include <cmath>

namespace Gatehouse::Ui {

namespace {
constexpr qint64 kHourMs = 3600 * 1000;
constexpr qint64 kMinuteMs = 60 * 1000;
constexpr size_t kMaxRaw = 36000;        // an hour of samples ten times a second
constexpr size_t kMaxMinutes = 7 * 24 * 60;

qint64 rangeMs(MetricChart::Range range)
{
    switch (range) {
    case MetricChart::Range::FiveMinutes: return 5 * kMinuteMs;
    case MetricChart::Range::OneHour: return kHourMs;
    case MetricChart::Range::SinceStart: return -1;
    }
    return -1;
}
} // namespace

MetricChart::MetricChart(const QString &title, const QString &unit, QWidget *parent)
    // The chart is given to the constructor: QChartView(parent) makes a default chart that
    // setChart() would release without deleting (LeakSanitizer found it).
    : QChartView(new QChart, parent)
    , m_title(title)
    , m_unit(unit)
{
    QChart *chart = this->chart();
    chart->setTitle(title);
    chart->legend()->hide();
    chart->legend()->setAlignment(Qt::AlignRight);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->setBackgroundRoundness(0);
    m_time = new QDateTimeAxis(chart);
    m_time->setFormat(QStringLiteral("HH:mm"));
    m_time->setTickCount(4);
    m_value = new QValueAxis(chart);
    m_value->setLabelFormat(QStringLiteral("%.0f"));
    m_value->setTitleText(unit);
    m_value->setRange(0, 1);
    chart->addAxis(m_time, Qt::AlignBottom);
    chart->addAxis(m_value, Qt::AlignLeft);
    samples({});   // the total's line
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    m_time->setRange(QDateTime::fromMSecsSinceEpoch(now - 5 * kMinuteMs), QDateTime::fromMSecsSinceEpoch(now));
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(150);
}

MetricChart::~MetricChart() = default;

MetricChart::Samples &MetricChart::samples(const QString &name)
{
    Samples &s = name.isEmpty() ? m_total : m_byName[name];
    if (!s.line) {
        s.line = new QLineSeries(chart());
        s.line->setName(name.isEmpty() ? m_title : name);
        chart()->addSeries(s.line);
        s.line->attachAxis(m_time);
        s.line->attachAxis(m_value);
        s.line->setVisible(name.isEmpty() != m_breakdown);
        connect(s.line, &QLineSeries::hovered, this, [this, name](const QPointF &point, bool state) { hovered(name, point, state); });
    }
    return s;
}

void MetricChart::add(Samples &s, qint64 timeMs, double value)
{
    if (!std::isfinite(value))
        value = 0;
    s.raw.emplace_back(double(timeMs), value);
    // Samples older than an hour become minute averages.
    while (!s.raw.empty() && (s.raw.front().x() < double(timeMs - kHourMs) || s.raw.size() > kMaxRaw)) {
        const QPointF old = s.raw.front();
        s.raw.pop_front();
        const qint64 minute = qint64(old.x()) / kMinuteMs * kMinuteMs;
        if (minute != s.minuteStart && s.minuteCount > 0) {
            s.minutes.emplace_back(double(s.minuteStart + kMinuteMs / 2), s.minuteSum / s.minuteCount);
            s.minuteSum = 0;
            s.minuteCount = 0;
        }
        s.minuteStart = minute;
        s.minuteSum += old.y();
        ++s.minuteCount;
        while (s.minutes.size() > kMaxMinutes)
            s.minutes.pop_front();
    }
}

void MetricChart::addPoint(qint64 timeMs, double value)
{
    add(m_total, timeMs, value);
    m_firstMs = m_firstMs == 0 ? timeMs : m_firstMs;
    m_lastMs = qMax(m_lastMs, timeMs);
    redraw();
}

void MetricChart::addPoints(qint64 timeMs, const QHash<QString, double> &byName)
{
    for (auto it = byName.cbegin(); it != byName.cend(); ++it) {
        if (it.key().isEmpty() || (!m_byName.contains(it.key()) && m_byName.size() >= kMaxSeries))
            continue;
        add(samples(it.key()), timeMs, it.value());
    }
    m_firstMs = m_firstMs == 0 ? timeMs : m_firstMs;
    m_lastMs = qMax(m_lastMs, timeMs);
    redraw();
}

void MetricChart::clear()
{
    QLineSeries *line = m_total.line;
    m_total = Samples();
    m_total.line = line;
    for (Samples &s : m_byName) {
        chart()->removeSeries(s.line);
        delete s.line;
    }
    m_byName.clear();
    m_firstMs = 0;
    m_lastMs = 0;
    m_total.line->clear();
    m_value->setRange(0, 1);
}

void MetricChart::setRange(Range range)
{
    m_range = range;
    redraw();
}

void MetricChart::setBreakdown(bool on)
{
    m_breakdown = on;
    m_total.line->setVisible(!on);
    for (Samples &s : m_byName)
        s.line->setVisible(on);
    chart()->legend()->setVisible(on);
    // The legend lists the breakdown only.
    const QList<QLegendMarker *> markers = chart()->legend()->markers(m_total.line);
    for (QLegendMarker *marker : markers)
        marker->setVisible(false);
    redraw();
}

QList<QPointF> MetricChart::visible(const Samples &s) const
{
    const qint64 span = rangeMs(m_range);
    const double from = span < 0 ? -1 : double(m_lastMs - span);
    QList<QPointF> points;
    if (span < 0 || from < (s.raw.empty() ? 0 : s.raw.front().x())) {
        for (const QPointF &p : s.minutes) {
            if (p.x() >= from)
                points.append(p);
        }
        if (s.minuteCount > 0) {
            const double x = double(s.minuteStart + kMinuteMs / 2);
            points.append(QPointF(s.raw.empty() ? x : qMin(x, s.raw.front().x() - 1), s.minuteSum / s.minuteCount));
        }
    }
    for (const QPointF &p : s.raw) {
        if (p.x() >= from)
            points.append(p);
    }
    if (points.size() <= kMaxDrawn)
        return points;
    // Neighbours averaged: at most kMaxDrawn points drawn.
    const qsizetype group = (points.size() + kMaxDrawn - 1) / kMaxDrawn;
    QList<QPointF> drawn;
    drawn.reserve(kMaxDrawn + 1);
    for (qsizetype i = 0; i < points.size(); i += group) {
        const qsizetype end = qMin(points.size(), i + group);
        double x = 0, y = 0;
        for (qsizetype j = i; j < end; ++j) {
            x += points.at(j).x();
            y += points.at(j).y();
        }
        drawn.append(QPointF(x / double(end - i), y / double(end - i)));
    }
    return drawn;
}

void MetricChart::redraw()
{
    double top = 0;
    double first = double(m_lastMs);
    const auto draw = [&](Samples &s) {
        const QList<QPointF> points = visible(s);
        s.line->replace(points);
        if (!s.line->isVisible())
            return;
        for (const QPointF &p : points) {
            top = qMax(top, p.y());
            first = qMin(first, p.x());
        }
    };
    draw(m_total);
    for (Samples &s : m_byName)
        draw(s);
    // A round upper bound a little above the maximum, so the line never touches the frame.
    const double magnitude = top > 0 ? std::pow(10.0, std::floor(std::log10(top))) : 1;
    const double upper = qMax(1.0, std::ceil(top * 1.15 / magnitude) * magnitude);
    m_value->setRange(0, upper);
    m_value->setLabelFormat(upper < 10 ? QStringLiteral("%.1f") : QStringLiteral("%.0f"));
    if (m_lastMs == 0)
        return;
    // The whole range once it has filled; until then what there is (at least a minute).
    const qint64 span = rangeMs(m_range);
    const qint64 shown = span < 0 ? qMax(kMinuteMs, m_lastMs - m_firstMs) : qBound(kMinuteMs, m_lastMs - m_firstMs, span);
    m_time->setRange(QDateTime::fromMSecsSinceEpoch(m_lastMs - shown), QDateTime::fromMSecsSinceEpoch(m_lastMs));
    m_time->setFormat(shown <= 2 * kMinuteMs ? QStringLiteral("HH:mm:ss") : shown <= 24 * kHourMs ? QStringLiteral("HH:mm")
                                                                                                  : QStringLiteral("dd HH:mm"));
}

void MetricChart::hovered(const QString &name, const QPointF &point, bool state)
{
    if (!state) {
        QToolTip::hideText();
        return;
    }
    const QString when = QDateTime::fromMSecsSinceEpoch(qint64(point.x())).toString(QStringLiteral("HH:mm:ss"));
    const QString value = QLocale().toString(point.y(), 'f', point.y() < 10 ? 2 : 1);
    m_hoverText = name.isEmpty() ? tr("%1 %2 at %3").arg(value, m_unit, when) : tr("%1: %2 %3 at %4").arg(name, value, m_unit, when);
    QToolTip::showText(QCursor::pos(), m_hoverText, this);
}

int MetricChart::pointCount() const
{
    if (!m_breakdown)
        return int(m_total.line->count());
    int n = 0;
    for (const Samples &s : m_byName)
        n += int(s.line->count());
    return n;
}

double MetricChart::lastValue() const
{
    return m_total.raw.empty() ? 0 : m_total.raw.back().y();
}

QStringList MetricChart::seriesNames() const
{
    return m_byName.keys();
}

qint64 MetricChart::spanMs() const
{
    return m_time->max().toMSecsSinceEpoch() - m_time->min().toMSecsSinceEpoch();
}

} // namespace Gatehouse::Ui
