#include "reportformat.h"

#include <QJsonArray>
#include <QLocale>
#include <QStringList>

#include <algorithm>

namespace Gatehouse::Simulation::ReportFormat {

namespace {

QString number(double value, int decimals = 0)
{
    static const QLocale c(QLocale::English);
    return c.toString(value, 'f', decimals);
}

QString ms(const QJsonValue &value)
{
    return value.isDouble() ? number(value.toDouble(), 2) : QStringLiteral("-");
}

QString percent(double fraction)
{
    return number(fraction * 100.0, 2) + QLatin1Char('%');
}

// Columns padded to the widest cell; the first column left-aligned, the rest right-aligned.
QString table(const QList<QStringList> &rows)
{
    QList<int> widths;
    for (const QStringList &row : rows) {
        for (int i = 0; i < row.size(); ++i) {
            if (widths.size() <= i)
                widths.append(0);
            widths[i] = std::max(widths[i], int(row.at(i).size()));
        }
    }
    QString out;
    for (const QStringList &row : rows) {
        QString line = QStringLiteral("  ");
        for (int i = 0; i < row.size(); ++i) {
            line += i == 0 ? row.at(i).leftJustified(widths.at(i)) : row.at(i).rightJustified(widths.at(i));
            line += QStringLiteral("  ");
        }
        out += line.trimmed().prepend(QStringLiteral("  ")) + QLatin1Char('\n');
    }
    return out;
}

double totalErrors(const QJsonObject &op)
{
    double n = 0;
    const QJsonObject errors = op.value(QStringLiteral("errors")).toObject();
    for (auto it = errors.begin(); it != errors.end(); ++it)
        n += it.value().toDouble();
    return n;
}

QByteArray csvField(const QString &text)
{
    QByteArray utf8 = text.toUtf8();
    if (utf8.contains(',') || utf8.contains('"') || utf8.contains('\n')) {
        utf8.replace("\"", "\"\"");
        utf8 = '"' + utf8 + '"';
    }
    return utf8;
}

} // namespace

QString progressLine(const QJsonObject &snapshot)
{
    const QJsonArray series = snapshot.value(QStringLiteral("series")).toArray();
    const QJsonObject last = series.isEmpty() ? QJsonObject{} : series.last().toObject();
    const double elapsed = snapshot.value(QStringLiteral("elapsed_ms")).toDouble() / 1000.0;
    const double duration = snapshot.value(QStringLiteral("duration_ms")).toDouble() / 1000.0;
    return QStringLiteral("%1s/%2s  %3/s (%4/s)  p99 %5 ms  lag p99 %6 ms  errors %7  dropped %8  VUs %9")
        .arg(number(elapsed, 1), number(duration, 0),
             number(last.value(QStringLiteral("achieved_rate")).toDouble()),
             number(last.value(QStringLiteral("intended_rate")).toDouble()),
             ms(last.value(QStringLiteral("p99_ms"))), ms(last.value(QStringLiteral("lag_p99_ms"))),
             number(last.value(QStringLiteral("errors")).toDouble()),
             number(last.value(QStringLiteral("dropped")).toDouble()),
             number(last.value(QStringLiteral("active_vus")).toDouble()));
}

QString summary(const QJsonObject &report)
{
    QString out;
    const QString state = report.value(QStringLiteral("state")).toString();
    out += QStringLiteral("scenario %1  seed %2  target %3\n")
               .arg(report.value(QStringLiteral("scenario")).toString(),
                    QString::number(report.value(QStringLiteral("seed")).toInteger()),
                    report.value(QStringLiteral("target")).toString());
    out += QStringLiteral("run %1  %2 after %3 s  configuration version %4  engine %5\n")
               .arg(report.value(QStringLiteral("id")).toString(), state,
                    number(report.value(QStringLiteral("elapsed_ms")).toDouble() / 1000.0, 1),
                    QString::number(report.value(QStringLiteral("config_version")).toInteger()),
                    report.value(QStringLiteral("engine_version")).toString());
    if (!report.value(QStringLiteral("reason")).toString().isEmpty())
        out += QStringLiteral("reason: %1\n").arg(report.value(QStringLiteral("reason")).toString());

    QList<QStringList> ops{{QStringLiteral("operation"), QStringLiteral("requests"), QStringLiteral("rate/s"),
                            QStringLiteral("intended/s"), QStringLiteral("dropped"), QStringLiteral("errors"),
                            QStringLiteral("p50 ms"), QStringLiteral("p90 ms"), QStringLiteral("p99 ms"),
                            QStringLiteral("p99.9 ms"), QStringLiteral("max ms")}};
    const QJsonObject operations = report.value(QStringLiteral("operations")).toObject();
    for (auto it = operations.begin(); it != operations.end(); ++it) {
        const QJsonObject op = it.value().toObject();
        const QJsonObject latency = op.value(QStringLiteral("latency_ms")).toObject();
        const double requests = op.value(QStringLiteral("requests")).toDouble();
        ops.append({it.key(), number(requests), number(op.value(QStringLiteral("achieved_rate")).toDouble(), 1),
                    number(op.value(QStringLiteral("intended_rate")).toDouble(), 1),
                    number(op.value(QStringLiteral("dropped")).toDouble()),
                    requests > 0 ? percent(totalErrors(op) / requests) : QStringLiteral("-"),
                    ms(latency.value(QStringLiteral("p50"))), ms(latency.value(QStringLiteral("p90"))),
                    ms(latency.value(QStringLiteral("p99"))), ms(latency.value(QStringLiteral("p99.9"))),
                    ms(latency.value(QStringLiteral("max")))});
    }
    out += QLatin1Char('\n') + table(ops);

    const QJsonObject lag = report.value(QStringLiteral("consistency_lag")).toObject();
    if (!lag.isEmpty()) {
        QList<QStringList> rows{{QStringLiteral("consistency lag"), QStringLiteral("samples"), QStringLiteral("missing"),
                                 QStringLiteral("p50 ms"), QStringLiteral("p90 ms"), QStringLiteral("p99 ms"),
                                 QStringLiteral("max ms")}};
        for (auto it = lag.begin(); it != lag.end(); ++it) {
            const QJsonObject via = it.value().toObject();
            const QJsonObject latency = via.value(QStringLiteral("latency_ms")).toObject();
            rows.append({QStringLiteral("202 -> ") + it.key(), number(via.value(QStringLiteral("samples")).toDouble()),
                         number(via.value(QStringLiteral("missing")).toDouble()), ms(latency.value(QStringLiteral("p50"))),
                         ms(latency.value(QStringLiteral("p90"))), ms(latency.value(QStringLiteral("p99"))),
                         ms(latency.value(QStringLiteral("max")))});
        }
        out += QLatin1Char('\n') + table(rows);
    }

    const QJsonArray thresholds = report.value(QStringLiteral("thresholds")).toArray();
    if (!thresholds.isEmpty()) {
        out += QStringLiteral("\n  thresholds\n");
        for (const QJsonValue &v : thresholds) {
            const QJsonObject t = v.toObject();
            const bool pass = t.value(QStringLiteral("pass")).toBool();
            const QJsonValue value = t.value(QStringLiteral("value"));
            out += QStringLiteral("  %1 %2  %3  (%4)\n")
                       .arg(pass ? QStringLiteral("pass") : QStringLiteral("FAIL"), t.value(QStringLiteral("metric")).toString(),
                            t.value(QStringLiteral("expression")).toString(),
                            value.isDouble() ? number(value.toDouble(), 4) : QStringLiteral("no data"));
        }
    }
    const QJsonArray faults = report.value(QStringLiteral("faults")).toArray();
    if (!faults.isEmpty()) {
        out += QStringLiteral("\n  faults\n");
        for (const QJsonValue &v : faults) {
            const QJsonObject f = v.toObject();
            const QString error = f.value(QStringLiteral("error")).toString();
            out += QStringLiteral("  %1 at %2 s for %3 s%4\n")
                       .arg(f.value(QStringLiteral("kind")).toString(),
                            number(f.value(QStringLiteral("at_ms")).toDouble() / 1000.0, 1),
                            number(f.value(QStringLiteral("for_ms")).toDouble() / 1000.0, 1),
                            error.isEmpty() ? QString() : QStringLiteral(": not applied (%1)").arg(error));
        }
    }
    out += QStringLiteral("\n%1\n").arg(report.value(QStringLiteral("passed")).toBool()
                                            ? QStringLiteral("every threshold holds")
                                            : QStringLiteral("a threshold failed"));
    return out;
}

QByteArray operationsCsv(const QJsonObject &report)
{
    QByteArray out = "workload,op,requests,intended,achieved_rate,intended_rate,dropped,errors,p50_ms,p90_ms,p99_ms,p99_9_ms,max_ms\n";
    const QJsonObject operations = report.value(QStringLiteral("operations")).toObject();
    for (auto it = operations.begin(); it != operations.end(); ++it) {
        const QJsonObject op = it.value().toObject();
        const QJsonObject latency = op.value(QStringLiteral("latency_ms")).toObject();
        QList<QByteArray> fields{csvField(op.value(QStringLiteral("workload")).toString()), csvField(op.value(QStringLiteral("op")).toString())};
        for (const char *key : {"requests", "intended", "achieved_rate", "intended_rate", "dropped"})
            fields.append(QByteArray::number(op.value(QLatin1String(key)).toDouble(), 'g', 12));
        fields.append(QByteArray::number(totalErrors(op), 'g', 12));
        for (const char *key : {"p50", "p90", "p99", "p99.9", "max"})
            fields.append(QByteArray::number(latency.value(QLatin1String(key)).toDouble(), 'g', 12));
        out += fields.join(',') + '\n';
    }
    return out;
}

QByteArray seriesCsv(const QJsonObject &report)
{
    static const char *const columns[] = {"t_ms", "intended_rate", "achieved_rate", "p50_ms", "p99_ms", "lag_p99_ms", "errors", "dropped", "active_vus"};
    static const char *const engineColumns[] = {"projection_lag", "function_queue", "dead_letters", "breakers_open", "cpu_percent", "rss_bytes"};
    QList<QByteArray> header;
    for (const char *c : columns)
        header.append(c);
    for (const char *c : engineColumns)
        header.append(QByteArray("engine_") + c);
    QByteArray out = header.join(',') + '\n';
    const QJsonArray series = report.value(QStringLiteral("series")).toArray();
    for (const QJsonValue &v : series) {
        const QJsonObject s = v.toObject();
        const QJsonObject engine = s.value(QStringLiteral("engine")).toObject();
        QList<QByteArray> fields;
        for (const char *c : columns)
            fields.append(s.contains(QLatin1String(c)) ? QByteArray::number(s.value(QLatin1String(c)).toDouble(), 'g', 12) : QByteArray());
        for (const char *c : engineColumns)
            fields.append(engine.contains(QLatin1String(c)) ? QByteArray::number(engine.value(QLatin1String(c)).toDouble(), 'g', 12) : QByteArray());
        out += fields.join(',') + '\n';
    }
    return out;
}

} // namespace Gatehouse::Simulation::ReportFormat
