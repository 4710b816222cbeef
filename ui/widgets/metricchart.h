#pragma once

#include <QChartView>

class QLineSeries;
class QDateTimeAxis;
class QValueAxis;

namespace Gatehouse::Ui {

// A small rolling line chart (Qt Charts) of one metric over the last `windowSeconds`: points
// older than the window fall off, the value axis follows the visible maximum. GUI thread only.
class MetricChart final : public QChartView
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MetricChart)

public:
    MetricChart(const QString &title, const QString &unit, int windowSeconds = 300, QWidget *parent = nullptr);
    ~MetricChart() override;

    void addPoint(qint64 timeMs, double value);
    int pointCount() const;
    double lastValue() const;
    QString title() const { return m_title; }

private:
    QString m_title;
    int m_windowMs;
    qint64 m_firstMs = 0;
    QLineSeries *m_series = nullptr;
    QDateTimeAxis *m_time = nullptr;
    QValueAxis *m_value = nullptr;
};

} // namespace Gatehouse::Ui
