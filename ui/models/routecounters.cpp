#include "routecounters.h"

#include <QList>
#include <QStringList>

#include <cmath>
#include <limits>

namespace Gatehouse::Ui {

namespace {
constexpr QByteArrayView kMetric = "gatehouse_http_requests_total{";
constexpr QByteArrayView kRejections = "gatehouse_plugin_rejections_total{";
constexpr QByteArrayView kBuckets = "gatehouse_http_request_duration_seconds_bucket{";

// Reads `name="value",…}` starting at `pos` (just after the '{'); returns the labels and moves
// `pos` past the closing brace. Unescapes the value per the exposition format.
QHash<QByteArray, QByteArray> readLabels(QByteArrayView line, qsizetype &pos)
{
    QHash<QByteArray, QByteArray> labels;
    while (pos < line.size() && line.at(pos) != '}') {
        const qsizetype eq = line.indexOf('=', pos);
        if (eq < 0 || eq + 1 >= line.size() || line.at(eq + 1) != '"')
            return {};
        const QByteArray name = line.sliced(pos, eq - pos).trimmed().toByteArray();
        QByteArray value;
        qsizetype i = eq + 2;
        for (; i < line.size() && line.at(i) != '"'; ++i) {
            if (line.at(i) == '\\' && i + 1 < line.size()) {
                ++i;
                value += line.at(i) == 'n' ? '\n' : line.at(i);
            } else {
                value += line.at(i);
            }
        }
        labels.insert(name, value);
        pos = i + 1;
        if (pos < line.size() && line.at(pos) == ',')
            ++pos;
    }
    ++pos;
    return labels;
}
} // namespace

double RouteCounters::quantileMs(const RouteCounters &newer, const RouteCounters &older, double q)
{
    const double total = newer.latencyBuckets.value(std::numeric_limits<double>::infinity())
        - older.latencyBuckets.value(std::numeric_limits<double>::infinity());
    if (total <= 0)
        return -1;
    for (auto it = newer.latencyBuckets.cbegin(); it != newer.latencyBuckets.cend(); ++it) {
        const double upTo = it.value() - older.latencyBuckets.value(it.key());
        if (upTo >= q * total)
            return std::isinf(it.key()) ? -1 : it.key() * 1000.0;
    }
    return -1;
}

QString RouteCounters::rejectionsText() const
{
    QStringList parts;
    for (auto it = rejectedByStatus.cbegin(); it != rejectedByStatus.cend(); ++it)
        parts.append(QStringLiteral("%1: %2").arg(it.key()).arg(qint64(it.value())));
    return parts.join(QStringLiteral(" · "));
}

QHash<QString, RouteCounters> RouteCounters::parse(const QByteArray &exposition)
{
    QHash<QString, RouteCounters> out;
    const QList<QByteArray> lines = exposition.split('\n');
    for (QByteArrayView line : lines) {
        const bool requests = line.startsWith(kMetric);
        const bool buckets = !requests && line.startsWith(kBuckets);
        if (!requests && !buckets && !line.startsWith(kRejections))
            continue;
        qsizetype pos = requests ? kMetric.size() : buckets ? kBuckets.size() : kRejections.size();
        const QHash<QByteArray, QByteArray> labels = readLabels(line, pos);
        const QByteArray route = labels.value("route");
        if (route.isEmpty())
            continue;
        bool ok = false;
        const double value = line.sliced(qMin(pos, line.size())).trimmed().toDouble(&ok);
        if (!ok)
            continue;
        RouteCounters &c = out[QString::fromUtf8(route)];
        if (buckets) {
            const QByteArray le = labels.value("le");
            bool finite = false;
            const double bound = le == "+Inf" ? std::numeric_limits<double>::infinity() : le.toDouble(&finite);
            if (le == "+Inf" || finite)
                c.latencyBuckets[bound] += value;
            continue;
        }
        const int status = labels.value("status").toInt();
        if (!requests) {
            c.rejected += value;
            c.rejectedByStatus[status] += value;
            continue;
        }
        c.hits += value;
        if (status >= 500)
            c.errors += value;
        else if (status >= 400)
            c.clientErrors += value;
    }
    return out;
}

} // namespace Gatehouse::Ui
