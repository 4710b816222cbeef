#include "simulatecommand.h"

#include "processsignals.h"

#include "assembly/engine.h"
#include "config/collectioncatalog.h"
#include "config/embeddedresources.h"
#include "config/strictjson.h"
#include "mqtt/mqttservice.h"
#include "server/engineviews.h"
#include "server/listeners.h"
#include "server/simulationhost.h"
#include "simulation/reportformat.h"
#include "simulation/simulationrun.h"
#include "simulation/simulationservice.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QTemporaryDir>
#include <QUuid>

#include <cstdio>
#include <memory>
#include <unistd.h>

using namespace Gatehouse;

namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitThresholds = 99;

void say(const QString &line)
{
    std::fprintf(stderr, "gatehouse: %s\n", line.toLocal8Bit().constData());
}

// The live progress line: redrawn in place on a terminal, every fifth sample on a pipe.
class Progress
{
public:
    Progress() : m_tty(::isatty(STDERR_FILENO)) {}
    void show(const QJsonObject &snapshot)
    {
        const QByteArray line = Simulation::ReportFormat::progressLine(snapshot).toLocal8Bit();
        if (m_tty) {
            std::fprintf(stderr, "\r\033[K%s", line.constData());
        } else if (m_count++ % 5 == 0) {
            std::fprintf(stderr, "%s\n", line.constData());
        }
        std::fflush(stderr);
    }
    void end()
    {
        if (m_tty)
            std::fputs("\n", stderr);
    }

private:
    bool m_tty;
    int m_count = 0;
};

int finish(const QJsonObject &report, const QString &reportFile)
{
    std::fputs(Simulation::ReportFormat::summary(report).toLocal8Bit().constData(), stdout);
    std::fflush(stdout);
    if (!reportFile.isEmpty()) {
        QSaveFile file(reportFile);
        if (!file.open(QIODevice::WriteOnly) || file.write(QJsonDocument(report).toJson(QJsonDocument::Indented)) < 0 || !file.commit()) {
            say(QStringLiteral("cannot write the report to %1: %2").arg(reportFile, file.errorString()));
            return kExitFailed;
        }
    }
    if (report.value(QStringLiteral("state")).toString() == QLatin1String("failed"))
        return kExitFailed;
    return report.value(QStringLiteral("passed")).toBool() ? 0 : kExitThresholds;
}

void printErrors(const QString &file, const QStringList &errors)
{
    say(QStringLiteral("%1 is not a valid scenario:").arg(file));
    for (const QString &e : errors)
        std::fprintf(stderr, "  %s\n", e.toLocal8Bit().constData());
}

// Against another engine: only the load generator runs here.
int runRemote(QCoreApplication &app, const QJsonObject &document, const QString &file, const QString &projectFile,
              const QString &reportFile)
{
    initEmbeddedResources();
    QStringList problems;
    CollectionCatalog catalog;
    catalog.replace(projectFile.isEmpty() ? ProjectConfig::embeddedDefault() : ProjectConfig::fromFile(projectFile, &problems));
    if (!problems.isEmpty()) {
        say(QStringLiteral("project %1 is invalid:\n  %2").arg(projectFile, problems.join(QStringLiteral("\n  "))));
        return kExitUsage;
    }
    QStringList errors;
    std::optional<Simulation::Scenario> scenario = Simulation::Scenario::fromJson(document, &errors, &catalog);
    if (!scenario) {
        printErrors(file, errors);
        return kExitUsage;
    }
    if (!scenario->faults.isEmpty()) {
        printErrors(file, {QStringLiteral("/faults: faults can only be injected into this engine; leave out the target (and --target) to run one here")});
        return kExitUsage;
    }
    if (scenario->name.isEmpty())
        scenario->name = QFileInfo(file).completeBaseName();
    Simulation::RunEnvironment environment;
    environment.collections = &catalog;
    environment.engineVersion = QCoreApplication::applicationVersion();
    Simulation::SimulationRun run(QUuid::createUuid().toString(QUuid::WithoutBraces), std::move(*scenario), environment);
    Progress progress;
    QObject::connect(&run, &Simulation::SimulationRun::sampled, &app, [&] { progress.show(run.snapshot()); }, Qt::QueuedConnection);
    QJsonObject report;
    QObject::connect(&run, &Simulation::SimulationRun::finished, &app, [&](const QJsonObject &r) {
        report = r;
        app.quit();
    }, Qt::QueuedConnection);
    ProcessSignals stopSignals([&run] { run.stop(); });
    run.start();
    app.exec();
    progress.end();
    if (report.isEmpty())
        report = run.snapshot();
    return finish(report, reportFile);
}

// Against an engine started here, on a data directory of its own unless one is given.
int runLocal(QCoreApplication &app, const QJsonObject &document, const QString &file, const QCommandLineParser &parser,
             const QString &reportFile)
{
    std::unique_ptr<QTemporaryDir> scratch;
    EngineOptions options;
    if (parser.isSet(QStringLiteral("data-dir"))) {
        options.dataDir = parser.value(QStringLiteral("data-dir"));
    } else {
        scratch = std::make_unique<QTemporaryDir>();
        if (!scratch->isValid()) {
            say(QStringLiteral("cannot create a temporary data directory: %1").arg(scratch->errorString()));
            return kExitFailed;
        }
        options.dataDir = scratch->path();
    }
    options.projectFile = parser.value(QStringLiteral("project"));
    if (!parser.isSet(QStringLiteral("admin-key")))
        options.adminKey = QUuid::createUuid().toString(QUuid::WithoutBraces);
    else
        options.adminKey = parser.value(QStringLiteral("admin-key"));

    Engine engine;
    Server::Listeners listeners;
    Mqtt::MqttService mqtt;
    Server::SimulationHost host;
    if (!engine.start(options)) {
        say(engine.errorString());
        return kExitFailed;
    }
    QString error;
    const Server::Listeners::Endpoint loopback{QHostAddress::LocalHost, 0};
    if (!listeners.start(&engine, loopback, loopback, {}, &error)) {
        say(error);
        engine.stop();
        return kExitFailed;
    }
    if (!parser.isSet(QStringLiteral("no-mqtt"))) {
        Mqtt::MqttOptions mqttOptions;
        mqttOptions.listenAddress = QHostAddress::LocalHost;
        mqttOptions.listenPort = 0;
        if (!mqtt.start(Server::mqttEngineSide(engine), mqttOptions, &error))
            say(error + QStringLiteral(" (MQTT subscribers and commands will fail)"));
    }
    host.attach(&engine, listeners, &mqtt);
    say(QStringLiteral("engine on %1 with data in %2").arg(listeners.gatewayUrl(), options.dataDir));

    Simulation::SimulationService *service = engine.simulations();
    const Simulation::SimulationService::StartResult started = service->startDocument(document, QFileInfo(file).completeBaseName());
    int rc = kExitFailed;
    if (started.status == 400) {
        printErrors(file, started.errors);
        rc = kExitUsage;
    } else if (started.status >= 300) {
        say(started.detail);
    } else {
        Progress progress;
        QJsonObject report;
        QObject::connect(service, &Simulation::SimulationService::runSampled, &app, [&](const QString &id) {
            if (const std::optional<QJsonObject> live = service->run(id))
                progress.show(*live);
        }, Qt::QueuedConnection);
        QObject::connect(service, &Simulation::SimulationService::runFinished, &app, [&](const QString &, const QJsonObject &r) {
            report = r;
            app.quit();
        }, Qt::QueuedConnection);
        ProcessSignals stopSignals([service, id = started.runId] { service->stop(id); });
        app.exec();
        progress.end();
        rc = finish(report.isEmpty() ? service->run(started.runId).value_or(QJsonObject{}) : report, reportFile);
    }
    host.detach();
    listeners.stopAccepting();
    engine.eventStore()->close();
    mqtt.stop();
    listeners.close();
    engine.stop();
    return rc;
}

} // namespace

namespace SimulateCommand {

int run(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("gatehouse"));
    QCoreApplication::setApplicationVersion(QStringLiteral(GATEHOUSE_VERSION));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "gatehouse simulate SCENARIO.json [--target URL] [--report FILE.json]\n"
        "Runs a load and fault scenario and prints a summary. Without a target (in the file or\n"
        "--target) it starts an engine of its own on a fresh data directory (or --data-dir) and\n"
        "runs against it. Exit code: 0 every threshold holds, 99 a threshold failed, 2 a bad\n"
        "scenario, 1 the run failed."));
    parser.addHelpOption();
    parser.addOptions({
        {QStringLiteral("target"), QStringLiteral("Another engine's gateway, e.g. http://10.0.0.5:9080 (overrides the scenario's)."), QStringLiteral("URL")},
        {QStringLiteral("report"), QStringLiteral("Write the whole report (JSON) to this file."), QStringLiteral("FILE.json")},
        {QStringLiteral("data-dir"), QStringLiteral("Run against an engine on this data directory (default: a temporary one)."), QStringLiteral("DIR")},
        {QStringLiteral("project"), QStringLiteral("Project file (default: the embedded product catalog)."), QStringLiteral("FILE.json")},
        {QStringLiteral("admin-key"), QStringLiteral("Admin key of the engine started here."), QStringLiteral("KEY")},
        {QStringLiteral("no-mqtt"), QStringLiteral("Start the engine here without MQTT.")},
    });
    parser.addPositionalArgument(QStringLiteral("simulate"), QStringLiteral("The command."));
    parser.addPositionalArgument(QStringLiteral("scenario"), QStringLiteral("The scenario file (JSON)."));
    if (!parser.parse(QCoreApplication::arguments())) {
        say(parser.errorText());
        return kExitUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        std::fputs(parser.helpText().toLocal8Bit().constData(), stdout);
        return 0;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 2) {
        say(QStringLiteral("usage: gatehouse simulate SCENARIO.json [--target URL] [--report FILE.json]"));
        return kExitUsage;
    }
    const QString file = positional.at(1);
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) {
        say(QStringLiteral("cannot read %1: %2").arg(file, f.errorString()));
        return kExitUsage;
    }
    StrictJson::Error parseError;
    std::optional<QJsonObject> document = StrictJson::parseObject(f.read(4 * 1024 * 1024 + 1), &parseError);
    if (!document) {
        say(QStringLiteral("%1 is not a JSON object: %2").arg(file, parseError.toString()));
        return kExitUsage;
    }
    if (parser.isSet(QStringLiteral("target")))
        document->insert(QStringLiteral("target"), parser.value(QStringLiteral("target")));
    const QString reportFile = parser.value(QStringLiteral("report"));
    if (!document->value(QStringLiteral("target")).toString().isEmpty())
        return runRemote(app, *document, file, parser.value(QStringLiteral("project")), reportFile);
    return runLocal(app, *document, file, parser, reportFile);
}

} // namespace SimulateCommand
