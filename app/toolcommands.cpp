#include "toolcommands.h"

#include "assembly/engine.h"
#include "assembly/offlinetools.h"
#include "resources/configexport.h"
#include "resources/resourceservice.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>

#include <cstdio>
#include <cstring>
#include <unistd.h>

using namespace Gatehouse;

namespace {

constexpr int kExitUsage = 2;

void say(const QString &line)
{
    std::fprintf(stderr, "gatehouse: %s\n", line.toLocal8Bit().constData());
}

// The data directory and project the tools work on (the engine's defaults otherwise).
EngineOptions optionsOf(const QCommandLineParser &parser)
{
    EngineOptions options;
    options.dataDir = parser.isSet(QStringLiteral("data-dir")) ? parser.value(QStringLiteral("data-dir")) : Engine::defaultDataDir();
    options.projectFile = parser.value(QStringLiteral("project"));
    return options;
}

// A one-line progress bar on a terminal; every tenth on a pipe.
class ProgressBar
{
public:
    explicit ProgressBar(QString label) : m_label(std::move(label)), m_tty(::isatty(STDERR_FILENO)) { m_timer.start(); }

    void update(qint64 done, qint64 total)
    {
        const int percent = total > 0 ? int(done * 100 / total) : 100;
        if (m_tty) {
            if (m_timer.elapsed() - m_lastDraw < 100 && done < total)
                return;
            m_lastDraw = m_timer.elapsed();
            const int width = 30;
            const int filled = percent * width / 100;
            const double rate = m_timer.elapsed() > 0 ? double(done) * 1000.0 / double(m_timer.elapsed()) : 0;
            std::fprintf(stderr, "\r%s [%s%s] %3d%% %lld/%lld events, %.0f events/s ", m_label.toLocal8Bit().constData(),
                         QByteArray(filled, '#').constData(), QByteArray(width - filled, '.').constData(), percent,
                         static_cast<long long>(done), static_cast<long long>(total), rate);
            std::fflush(stderr);
        } else if (percent / 10 != m_lastTenth || done == total) {
            m_lastTenth = percent / 10;
            std::fprintf(stderr, "%s %d%% (%lld/%lld events)\n", m_label.toLocal8Bit().constData(), percent,
                         static_cast<long long>(done), static_cast<long long>(total));
        }
    }
    void finish()
    {
        if (m_tty)
            std::fputc('\n', stderr);
    }
    qint64 elapsedMs() const { return m_timer.elapsed(); }

private:
    QString m_label;
    bool m_tty;
    QElapsedTimer m_timer;
    qint64 m_lastDraw = -1000;
    int m_lastTenth = -1;
};

int rebuild(const QCommandLineParser &parser)
{
    const QStringList args = parser.positionalArguments();
    const QString name = args.size() > 1 ? args.at(1) : QStringLiteral("upsert");
    if (name != QLatin1String("upsert")) {
        say(QStringLiteral("unknown projection '%1' (known: upsert)").arg(name));
        return kExitUsage;
    }
    ProgressBar bar(QStringLiteral("rebuilding ") + name);
    QString error;
    const std::optional<OfflineTools::RebuildResult> result =
        OfflineTools::rebuild(optionsOf(parser), name, [&bar](qint64 done, qint64 total) { bar.update(done, total); }, &error);
    bar.finish();
    if (!result) {
        say(error);
        return 1;
    }
    const double seconds = qMax<qint64>(1, bar.elapsedMs()) / 1000.0;
    say(QStringLiteral("rebuilt %1 from %2 events in %3 s (%4 events/s)")
            .arg(name).arg(result->events).arg(seconds, 0, 'f', 2).arg(qint64(double(result->events) / seconds)));
    return 0;
}

int exportConfig(const QCommandLineParser &parser)
{
    const QString format = parser.value(QStringLiteral("format"));
    if (format != QLatin1String("json") && format != QLatin1String("apisix")) {
        say(QStringLiteral("--format is json or apisix, got '%1'").arg(format));
        return kExitUsage;
    }
    QString error;
    const std::optional<QByteArray> out =
        OfflineTools::exportConfig(optionsOf(parser), format, parser.value(QStringLiteral("engine-address")), &error);
    if (!out) {
        say(error);
        return 1;
    }
    std::fwrite(out->constData(), 1, size_t(out->size()), stdout);
    return 0;
}

int importConfig(const QCommandLineParser &parser)
{
    const QString file = parser.positionalArguments().value(1);
    if (file.isEmpty()) {
        say(QStringLiteral("usage: gatehouse import FILE [--data-dir DIR]"));
        return kExitUsage;
    }
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly)) {
        say(QStringLiteral("cannot read %1: %2").arg(file, in.errorString()));
        return 1;
    }
    QString error;
    const std::optional<QJsonObject> document = ConfigExport::readDocument(in.readAll(), &error);
    if (!document) {
        say(QStringLiteral("%1: %2").arg(file, error));
        return 1;
    }
    const EngineOptions options = optionsOf(parser);
    const std::optional<qint64> version = OfflineTools::importConfig(options, *document, file, &error);
    if (!version) {
        say(error);
        return 1;
    }
    QStringList counts;
    for (const QString &kind : ResourceService::kinds())
        counts.append(QStringLiteral("%1 %2").arg(document->value(kind).toArray().size()).arg(kind));
    counts.sort();
    say(QStringLiteral("imported %1 into %2 (configuration version %3)").arg(counts.join(QStringLiteral(", ")), options.dataDir).arg(*version));
    return 0;
}

} // namespace

namespace ToolCommands {

bool isToolCommand(const char *name)
{
    return std::strcmp(name, "rebuild") == 0 || std::strcmp(name, "export") == 0 || std::strcmp(name, "import") == 0;
}

int run(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("gatehouse"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "gatehouse rebuild [PROJECTION]   rebuild a read model offline from the event log\n"
        "gatehouse export [--format json|apisix] > FILE   write the gateway configuration\n"
        "gatehouse import FILE            replace the gateway configuration (json or apisix form)"));
    parser.addHelpOption();
    parser.addOptions({
        {QStringLiteral("data-dir"), QStringLiteral("Data directory."), QStringLiteral("DIR")},
        {QStringLiteral("project"), QStringLiteral("Project file (default: the embedded product catalog)."), QStringLiteral("FILE.json")},
        {QStringLiteral("format"), QStringLiteral("export: json (default) or apisix."), QStringLiteral("FORMAT"), QStringLiteral("json")},
        {QStringLiteral("engine-address"), QStringLiteral("export --format apisix: where APISIX reaches the engine's gateway (default 127.0.0.1:9080); several engines on one database: every address, comma-separated."),
         QStringLiteral("ADDR:PORT"), QStringLiteral("127.0.0.1:9080")},
    });
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("rebuild, export or import."));
    parser.addPositionalArgument(QStringLiteral("argument"), QStringLiteral("rebuild: the projection (default upsert); import: the file."),
                                 QStringLiteral("[argument]"));
    parser.process(app);
    const QString command = parser.positionalArguments().value(0);
    if (command == QLatin1String("rebuild"))
        return rebuild(parser);
    if (command == QLatin1String("export"))
        return exportConfig(parser);
    if (command == QLatin1String("import"))
        return importConfig(parser);
    say(QStringLiteral("unknown command '%1'").arg(command));
    return kExitUsage;
}

} // namespace ToolCommands
