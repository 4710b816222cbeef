#pragma once

#include <QChartView>
#include <QList>
#include <QPointF>

class QAbstractSeries;
class QLineSeries;
class QValueAxis;

namespace Gatehouse::Ui {

// One chart of a simulation run over the run's own time axis (seconds since it started): a
// few named lines and the run's faults as shaded bands from their start to their end. The
// bands sit on a hidden 0..1 axis so they always span the plot's height whatever the values.
// Each line keeps at most kMaxPoints points: past that it is thinned to every other point, so
// a 24-hour run costs the same to draw as a short one. GUI thread only.
class RunChart final : public QChartView
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunChart)

public:
    static constexpr int kMaxPoints = 1200;

    RunChart(const QString &title, const QString &unit, QWidget *parent = nullptr);
    ~RunChart() override;

    int addLine(const QString &name);          // returns the line's index
    void setPoints(int line, QList<QPointF> points);
    void appendPoint(int line, QPointF point);
    void clearPoints();
    // Faults as [start, end] in seconds.
    void setBands(const QList<QPointF> &startEnd);
    // The time axis covers at least [0, seconds] (the run's planned duration).
    void setMinimumSpan(double seconds);

    int lineCount() const { return int(m_lines.size()); }
    int pointCount(int line) const;
    int bandCount() const { return int(m_bands.size()); }
    QString title() const { return m_title; }

private:
    struct Line
    {
        QLineSeries *series = nullptr;
        QList<QPointF> points;
    };

    void rescale();

    QString m_title;
    QList<Line> m_lines;
    QList<QAbstractSeries *> m_bands;
    QValueAxis *m_time = nullptr;
    QValueAxis *m_value = nullptr;
    QValueAxis *m_bandAxis = nullptr;
    double m_minSpan = 1;
};

} // namespace Gatehouse::Ui
