#include "runcomparisonview.h"

#include "models/runcomparisonmodel.h"
#include "runchart.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

namespace {

QList<QPointF> seriesOf(const QJsonObject &run, const QString &member)
{
    QList<QPointF> points;
    for (const QJsonValue &v : run.value(QStringLiteral("series")).toArray()) {
        const QJsonObject sample = v.toObject();
        points.append(QPointF(sample.value(QStringLiteral("t_ms")).toDouble() / 1000.0, sample.value(member).toDouble()));
    }
    return points;
}

QString describe(const QJsonObject &run)
{
    return QStringLiteral("%1 (%2, %3, %4)")
        .arg(run.value(QStringLiteral("id")).toString(), run.value(QStringLiteral("scenario")).toString(),
             run.value(QStringLiteral("started_at")).toString(), run.value(QStringLiteral("state")).toString());
}

} // namespace

RunComparisonView::RunComparisonView(QWidget *parent)
    : QWidget(parent)
    , m_model(new RunComparisonModel(this))
{
    m_headline = new QLabel(tr("Select two runs in the history and press Compare."), this);
    m_headline->setObjectName(QStringLiteral("comparisonHeadline"));
    m_headline->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_headline->setWordWrap(true);
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("comparisonTable"));
    m_table->setModel(m_model);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_p99 = new RunChart(tr("p99 latency"), tr("ms"), this);
    m_p99->setObjectName(QStringLiteral("comparisonP99"));
    m_p99->addLine(tr("A"));
    m_p99->addLine(tr("B"));
    m_rate = new RunChart(tr("Achieved rate"), tr("/s"), this);
    m_rate->setObjectName(QStringLiteral("comparisonRate"));
    m_rate->addLine(tr("A"));
    m_rate->addLine(tr("B"));

    auto *charts = new QWidget(this);
    auto *row = new QHBoxLayout(charts);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(m_p99);
    row->addWidget(m_rate);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_table);
    split->addWidget(charts);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_headline);
    layout->addWidget(split, 1);
}

RunComparisonView::~RunComparisonView() = default;

void RunComparisonView::setRuns(const QJsonObject &a, const QJsonObject &b)
{
    m_headline->setText(tr("A: %1\nB: %2").arg(describe(a), describe(b)));
    m_model->setRuns(a, b);
    const double span = qMax(a.value(QStringLiteral("duration_ms")).toDouble(), b.value(QStringLiteral("duration_ms")).toDouble()) / 1000.0;
    for (RunChart *chart : {m_p99, m_rate})
        chart->setMinimumSpan(span);
    m_p99->setPoints(0, seriesOf(a, QStringLiteral("p99_ms")));
    m_p99->setPoints(1, seriesOf(b, QStringLiteral("p99_ms")));
    m_rate->setPoints(0, seriesOf(a, QStringLiteral("achieved_rate")));
    m_rate->setPoints(1, seriesOf(b, QStringLiteral("achieved_rate")));
}

QString RunComparisonView::headline() const
{
    return m_headline->text();
}

} // namespace Gatehouse::Ui
