#include "processinstance.h"

#include "functiondefinition.h"
#include "functionworkerprocess.h"
#include "scriptcontext.h"
#include "workerchannel.h"
#include "workerspares.h"

#include <QCborArray>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QLoggingCategory>

#include <cerrno>
#include <csignal>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcFunctionProcess, "gatehouse.functions.process")

namespace Gatehouse {

struct ProcessInstance::Private
{
    Runtime runtime;
    pid_t pid = -1;
    WorkerChannel channel;
    bool usable = false;
    bool hasHandle = false;
    qint64 version = -1;
    qint64 initUs = 0;
    int timeoutMs = 3000;
    int memoryLimitMb = 0;
    qint64 peakRssKb = 0;

    // Kills and reaps the worker; returns its wait status (-1 when there was none).
    int end()
    {
        channel.close();
        if (pid <= 0)
            return -1;
        ::kill(pid, SIGKILL);   // a no-op when it already exited
        int status = 0;
        rusage usage{};
        pid_t r;
        do {
            r = wait4(pid, &status, 0, &usage);
        } while (r < 0 && errno == EINTR);
        pid = -1;
        usable = false;
        if (r > 0)
            peakRssKb = qMax<qint64>(peakRssKb, usage.ru_maxrss);
        return r > 0 ? status : -1;
    }
};

ProcessInstance::ProcessInstance(Runtime runtime)
    : d(std::make_unique<Private>())
{
    d->runtime = std::move(runtime);
}

ProcessInstance::~ProcessInstance()
{
    d->end();
}

qint64 ProcessInstance::version() const { return d->version; }
qint64 ProcessInstance::initUs() const { return d->initUs; }
bool ProcessInstance::usable() const { return d->usable; }
bool ProcessInstance::hasHandle() const { return d->hasHandle; }

qint64 ProcessInstance::stop()
{
    d->end();
    return d->peakRssKb;
}

bool ProcessInstance::spawn(QString *error)
{
    WorkerSpares::Worker worker;
    if (!WorkerSpares::take(d->runtime.workerExecutable, &worker, error))
        return false;
    d->pid = worker.pid;
    d->channel.open(worker.fd);
    return true;
}

bool ProcessInstance::load(const FunctionDefinition &definition, QString *error, int *line)
{
    QElapsedTimer timer;
    timer.start();
    *line = 0;
    d->end();
    d->version = -1;
    d->timeoutMs = definition.timeoutMs;
    d->memoryLimitMb = definition.memoryLimitMb;
    if (!spawn(error))
        return false;
    QCborMap reply;
    const QDeadlineTimer deadline(hardDeadlineMs(definition.timeoutMs));
    WorkerChannel::Status s = d->channel.send({{QStringLiteral("t"), QStringLiteral("load")},
                                               {QStringLiteral("def"), WorkerChannel::fromJson(definition.toJson())}}, deadline);
    if (s == WorkerChannel::Status::Ok)
        s = d->channel.receive(&reply, deadline);
    if (s != WorkerChannel::Status::Ok || reply.value(QStringLiteral("t")).toString() != QLatin1String("loaded")) {
        const FunctionOutcome out = lost(s == WorkerChannel::Status::Ok ? int(WorkerChannel::Status::Invalid) : int(s),
                                         QStringLiteral("while loading the code"));
        *error = out.outOfMemory ? QStringLiteral("the code exceeded the memory ceiling of %1 MB while loading").arg(definition.memoryLimitMb)
                                 : out.error;
        return false;
    }
    if (!reply.value(QStringLiteral("ok")).toBool()) {
        *error = reply.value(QStringLiteral("err")).toString();
        *line = int(reply.value(QStringLiteral("line")).toInteger());
        d->end();
        return false;
    }
    d->hasHandle = reply.value(QStringLiteral("handle")).toBool();
    d->version = definition.version;
    d->usable = true;
    d->initUs = timer.nsecsElapsed() / 1000;
    return true;
}

// The worker is gone (or is made to go): what the call it was running came to.
FunctionOutcome ProcessInstance::lost(int channelStatus, const QString &why)
{
    const auto s = WorkerChannel::Status(channelStatus);
    const QString detail = d->channel.errorString();
    FunctionOutcome out;
    const int status = d->end();
    if (s == WorkerChannel::Status::TimedOut) {
        out.timedOut = true;
        out.error = QStringLiteral("timed out after %1 ms (the worker process did not stop and was killed)").arg(d->timeoutMs);
    } else if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == FunctionWorkerProcess::kExitOutOfMemory) {
        out.outOfMemory = true;
        out.error = QStringLiteral("exceeded the memory ceiling of %1 MB (the worker process ran out of memory)").arg(d->memoryLimitMb);
    } else if (s == WorkerChannel::Status::Invalid) {
        out.crashed = true;
        out.error = QStringLiteral("the worker process broke the protocol %1 (%2) and was killed").arg(why, detail);
    } else if (status >= 0 && WIFSIGNALED(status)) {
        out.crashed = true;
        out.error = QStringLiteral("the worker process crashed %1 (signal %2, %3)").arg(why).arg(WTERMSIG(status))
                        .arg(QString::fromLocal8Bit(sigabbrev_np(WTERMSIG(status))));
    } else {
        out.crashed = true;
        out.error = QStringLiteral("the worker process exited %1 (status %2)").arg(why).arg(status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    qCWarning(lcFunctionProcess).noquote() << out.error;
    return out;
}

// Answers one ctx.get or ctx.query of the worker; returns the channel's status.
int ProcessInstance::serve(const QCborMap &request, const DocumentAccess &access)
{
    const QString type = request.value(QStringLiteral("t")).toString();
    const QString collection = request.value(QStringLiteral("c")).toString();
    const QDeadlineTimer deadline(hardDeadlineMs(d->timeoutMs));
    if (type == QLatin1String("get")) {
        const QString id = request.value(QStringLiteral("id")).toString();
        std::optional<QJsonObject> doc;
        if (access.get && ScriptContext::isValidCollection(collection) && !id.isEmpty())
            doc = access.get(collection, id);
        QCborMap reply{{QStringLiteral("t"), QStringLiteral("doc")}};
        reply.insert(QStringLiteral("d"), doc ? WorkerChannel::fromJson(*doc) : QCborValue(QCborValue::Null));
        return int(d->channel.send(reply, deadline));
    }
    if (type != QLatin1String("query"))
        return int(WorkerChannel::Status::Invalid);
    QJsonValue filter;
    QJsonArray items;
    QString error;
    bool ok = false;
    if (!ScriptContext::isValidCollection(collection) || !WorkerChannel::toJson(request.value(QStringLiteral("f")), &filter) || !filter.isObject())
        error = QStringLiteral("invalid query");
    else if (!access.query)
        error = QStringLiteral("ctx.query is not available here");
    else
        ok = access.query(collection, filter.toObject(), &items, &error);
    QCborMap reply{{QStringLiteral("t"), QStringLiteral("items")}, {QStringLiteral("ok"), ok}, {QStringLiteral("err"), error}};
    if (ok)
        reply.insert(QStringLiteral("items"), WorkerChannel::fromJson(items));
    WorkerChannel::Status s = d->channel.send(reply, deadline);
    if (s == WorkerChannel::Status::Invalid) {   // too large for one frame: an error instead
        reply = {{QStringLiteral("t"), QStringLiteral("items")}, {QStringLiteral("ok"), false},
                 {QStringLiteral("err"), QStringLiteral("the result is larger than %1 bytes").arg(WorkerChannel::kMaxFrameBytes)}};
        s = d->channel.send(reply, deadline);
    }
    return int(s);
}

// Sends `request` and reads its `count` outcomes (fewer when one fails), serving the
// worker's reads meanwhile. Stopped when a call failed, `each` said stop or the worker was
// lost (`each` has then been told the call that was running).
ProcessInstance::Trip ProcessInstance::roundTrip(const QCborMap &request, qsizetype count, const DocumentAccess &access, const Each &each)
{
    QDeadlineTimer deadline(hardDeadlineMs(d->timeoutMs));
    QElapsedTimer sinceLast;
    sinceLast.start();
    WorkerChannel::Status s = d->channel.send(request, deadline);
    if (s == WorkerChannel::Status::Invalid)
        return Trip::TooLarge;   // nothing was sent
    bool accepting = true;
    for (qsizetype expected = 0; expected < count;) {
        QCborMap message;
        if (s == WorkerChannel::Status::Ok)
            s = d->channel.receive(&message, deadline);
        if (s != WorkerChannel::Status::Ok) {
            FunctionOutcome out = lost(int(s), QStringLiteral("during the call"));
            out.durationUs = sinceLast.nsecsElapsed() / 1000;
            if (accepting)
                each(expected, std::move(out));
            return Trip::Stopped;
        }
        if (message.value(QStringLiteral("t")).toString() != QLatin1String("outcome")) {
            s = WorkerChannel::Status(serve(message, access));
            continue;
        }
        FunctionOutcome out;
        QString error;
        if (message.value(QStringLiteral("i")).toInteger() != expected || !WorkerChannel::decodeOutcome(message, &out, &error)) {
            qCWarning(lcFunctionProcess).noquote() << "invalid outcome from the worker:" << error;
            s = WorkerChannel::Status::Invalid;
            continue;
        }
        const bool last = message.value(QStringLiteral("last")).toBool() || !out.ok;
        if (out.outOfMemory)
            d->usable = false;   // the worker exits after telling; the next call starts a new one
        if (accepting) {
            const bool ok = out.ok;
            accepting = each(expected, std::move(out)) && ok;
        }
        ++expected;
        if (last)
            break;
        deadline = QDeadlineTimer(hardDeadlineMs(d->timeoutMs));
        sinceLast.restart();
    }
    return accepting ? Trip::Done : Trip::Stopped;
}

void ProcessInstance::invoke(const QList<QJsonValue> &inputs, const DocumentAccess &access, const Each &each)
{
    invokeInFrames(inputs.size(), [&inputs](qsizetype from, qsizetype count) {
        QCborArray batch;
        for (qsizetype i = 0; i < count; ++i)
            batch.append(WorkerChannel::fromJson(inputs.at(from + i)));
        return QCborMap{{QStringLiteral("t"), QStringLiteral("invoke")}, {QStringLiteral("in"), batch}};
    }, access, each);
}

void ProcessInstance::invokeEvents(const QList<RecordedEvents> &chunks, bool batched, const DocumentAccess &access, const Each &each)
{
    invokeInFrames(chunks.size(), [&chunks, batched](qsizetype from, qsizetype count) {
        QCborArray batch;
        for (qsizetype i = 0; i < count; ++i)
            batch.append(WorkerChannel::fromEvents(chunks.at(from + i)));
        return QCborMap{{QStringLiteral("t"), QStringLiteral("events")}, {QStringLiteral("b"), batched}, {QStringLiteral("in"), batch}};
    }, access, each);
}

void ProcessInstance::invokeInFrames(qsizetype total, const std::function<QCborMap(qsizetype from, qsizetype count)> &request,
                                     const DocumentAccess &access, const Each &each)
{
    qsizetype count = kInputsPerRoundTrip;
    for (qsizetype next = 0; next < total;) {
        if (!d->usable) {
            FunctionOutcome out;
            out.error = QStringLiteral("the function is not loaded");
            each(next, std::move(out));
            return;
        }
        count = qMin<qsizetype>(count, total - next);
        const qsizetype base = next;
        const Trip trip = roundTrip(request(next, count), count, access, [&](qsizetype index, FunctionOutcome &&out) {
            return each(base + index, std::move(out));
        });
        if (trip == Trip::TooLarge && count > 1) {
            count /= 2;   // fewer inputs per frame
            continue;
        }
        if (trip == Trip::TooLarge) {
            FunctionOutcome out;
            out.error = QStringLiteral("the input is larger than %1 bytes").arg(WorkerChannel::kMaxFrameBytes);
            each(next, std::move(out));
            return;
        }
        if (trip == Trip::Stopped)
            return;
        next += count;
        count = kInputsPerRoundTrip;
    }
}

FunctionOutcome ProcessInstance::decide(const QJsonValue &state, const QJsonValue &command, const DocumentAccess &access)
{
    FunctionOutcome result;
    if (!d->usable) {
        result.error = QStringLiteral("the function is not loaded");
        return result;
    }
    const QCborMap request{{QStringLiteral("t"), QStringLiteral("decide")}, {QStringLiteral("s"), WorkerChannel::fromJson(state)},
                           {QStringLiteral("c"), WorkerChannel::fromJson(command)}};
    const Trip trip = roundTrip(request, 1, access, [&result](qsizetype, FunctionOutcome &&out) {
        result = std::move(out);
        return true;
    });
    if (trip == Trip::TooLarge)
        result.error = QStringLiteral("the state and command are larger than %1 bytes").arg(WorkerChannel::kMaxFrameBytes);
    return result;
}

} // namespace Gatehouse
