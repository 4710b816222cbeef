#pragma once

#include <QChartView>
#include <QHash>
#include <QMap>

#include <deque>

class QLineSeries;
class QDateTimeAxis;
class QValueAxis;

namespace Gatehouse::Ui {

// A small line chart (Qt Charts) of one metric over a chosen range: the last five minutes, the
// last hour, or since the console started. It keeps every sample of the last hour and, older
// than that, one average per minute (at most a week of them), and draws at most about 720
// points whatever the range (averaging neighbours). Besides the total it can show a breakdown
// (one line per name, e.g. per route, at most kMaxSeries, with a legend). Hovering a line shows
// its value at that time. GUI thread only.
class MetricChart final : public QChartView
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MetricChart)

public:
    enum class Range { FiveMinutes, OneHour, SinceStart };
    static constexpr int kMaxSeries = 8;
    static constexpr int kMaxDrawn = 720;

    MetricChart(const QString &title, const QString &unit, QWidget *parent = nullptr);
    ~MetricChart() override;

    void addPoint(qint64 timeMs, double value);   // the total
    // The breakdown's values at one time; a name not given keeps no point there.
    void addPoints(qint64 timeMs, const QHash<QString, double> &byName);
    void clear();   // every sample and line of the breakdown
    void setRange(Range range);
    Range range() const { return m_range; }
    void setBreakdown(bool on);   // lines per name instead of the total
    bool breakdown() const { return m_breakdown; }

    int pointCount() const;         // drawn, of the total (or of all breakdown lines)
    double lastValue() const;       // of the total
    QString title() const { return m_title; }
    QStringList seriesNames() const;   // of the breakdown
    qint64 spanMs() const;             // of the time axis as drawn
    QString hoverText() const { return m_hoverText; }

private:
    struct Samples
    {
        std::deque<QPointF> raw;       // the last hour, every sample
        std::deque<QPointF> minutes;   // older: one average per minute
        double minuteSum = 0;          // the minute being filled from what leaves `raw`
        int minuteCount = 0;
        qint64 minuteStart = -1;
        QLineSeries *line = nullptr;
    };
    Samples &samples(const QString &name);
    void add(Samples &s, qint64 timeMs, double value);
    QList<QPointF> visible(const Samples &s) const;
    void redraw();
    void hovered(const QString &name, const QPointF &point, bool state);

    QString m_title;
    QString m_unit;
    Range m_range = Range::FiveMinutes;
    bool m_breakdown = false;
    qint64 m_firstMs = 0;
    qint64 m_lastMs = 0;
    Samples m_total;
    QMap<QString, Samples> m_byName;
    QDateTimeAxis *m_time = nullptr;
    QValueAxis *m_value = nullptr;
    QString m_hoverText;
};

} // namespace Gatehouse::Ui
