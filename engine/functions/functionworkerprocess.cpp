#include "functionworkerprocess.h"

#include "functiondefinition.h"
#include "scripthost.h"
#include "workerchannel.h"

#include <QCborArray>
#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <exception>
#include <map>
#include <new>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

// A sanitizer's shadow memory and quarantine make the data segment meaningless as a measure
// of the function's memory: under one, the hard limit is left to the watchdog's sampling.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define GATEHOUSE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define GATEHOUSE_SANITIZED 1
#endif
#endif

namespace Gatehouse {

namespace {

// QtQml's page allocator writes to this address when mmap or mprotect fail (WTF's CRASH()).
const uintptr_t kAllocatorCrashAddress = 0xbbadbeef;

void onFatalSignal(int signal, siginfo_t *info, void *)
{
    // errno is the interrupted thread's: a crash right after a failed allocation is the memory
    // limit, not a bug. Everything else dies of its signal, which the engine reports.
    const int error = errno;
    if (error == ENOMEM || (signal == SIGSEGV && reinterpret_cast<uintptr_t>(info->si_addr) == kAllocatorCrashAddress))
        _exit(FunctionWorkerProcess::kExitOutOfMemory);
    ::signal(signal, SIG_DFL);
    ::raise(signal);
}

void onTerminate()
{
    try {
        if (const std::exception_ptr e = std::current_exception())
            std::rethrow_exception(e);
    } catch (const std::bad_alloc &) {
        _exit(FunctionWorkerProcess::kExitOutOfMemory);
    } catch (...) {
    }
    std::abort();
}

void installCrashHandlers()
{
    static char altStack[64 * 1024];   // a stack overflow needs somewhere else to run the handler
    stack_t stack{};
    stack.ss_sp = altStack;
    stack.ss_size = sizeof altStack;
    sigaltstack(&stack, nullptr);
    struct sigaction action{};
    action.sa_sigaction = onFatalSignal;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    for (int s : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP})
        sigaction(s, &action, nullptr);
    std::set_terminate(onTerminate);
}

qint64 dataSegmentKb()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmData:"))
            return line.mid(7).trimmed().split(' ').value(0).toLongLong();
    }
    return 0;
}

class Worker
{
public:
    static constexpr qint64 kFlushMs = 5;
    static constexpr qsizetype kFlushBytes = 256 * 1024;

    explicit Worker(int fd) : m_channel(fd) {}

    int run()
    {
        if (m_channel.send({{QStringLiteral("t"), QStringLiteral("hello")}, {QStringLiteral("v"), WorkerChannel::kProtocolVersion},
                            {QStringLiteral("pid"), qint64(getpid())}}) != WorkerChannel::Status::Ok)
            return FunctionWorkerProcess::kExitProtocol;
        for (;;) {
            QCborMap request;
            const WorkerChannel::Status status = m_channel.receive(&request);
            if (status == WorkerChannel::Status::Closed)
                return 0;   // the engine let this instance go
            if (status != WorkerChannel::Status::Ok)
                return FunctionWorkerProcess::kExitProtocol;
            const QString type = request.value(QStringLiteral("t")).toString();
            bool sent = false;
            if (type == QLatin1String("load"))
                sent = load(request);
            else if (type == QLatin1String("invoke") && m_loaded)
                sent = invoke(request.value(QStringLiteral("in")).toArray());
            else if (type == QLatin1String("events") && m_loaded)
                sent = invokeEvents(request);
            else if (type == QLatin1String("decide") && m_loaded)
                sent = decide(request);
            if (!sent)
                return FunctionWorkerProcess::kExitProtocol;
        }
    }

private:
    bool load(const QCborMap &request)
    {
        QJsonObject json = request.value(QStringLiteral("def")).toJsonValue().toObject();
        // The engine checked the definition; the name is not checked again (an inline custom
        // command's "<collection>.<command>" may be longer than a deployed function's).
        const QString name = json.take(QStringLiteral("name")).toString();
        FunctionDefinition definition;
        QStringList errors;
        QCborMap reply{{QStringLiteral("t"), QStringLiteral("loaded")}};
        const bool parsed = FunctionDefinition::parse(QStringLiteral("worker"), json, &definition, &errors);
        definition.name = name;
        if (!parsed) {
            reply.insert(QStringLiteral("err"), errors.join(QStringLiteral("; ")));
            return m_channel.send(reply) == WorkerChannel::Status::Ok;
        }
        qint64 limitKb = 0;
        QString error;
        int line = 0;
        const bool ok = m_host.load(definition, &error, &line, [&] {
#ifdef GATEHOUSE_SANITIZED
            return;
#endif
            if (definition.memoryLimitMb <= 0)
                return;
            limitKb = dataSegmentKb() + qint64(definition.memoryLimitMb + FunctionWorkerProcess::kMemorySlackMb) * 1024;
            const rlimit limit{rlim_t(limitKb) * 1024, rlim_t(limitKb) * 1024};
            setrlimit(RLIMIT_DATA, &limit);
        });
        m_loaded = ok;
        reply.insert(QStringLiteral("ok"), ok);
        reply.insert(QStringLiteral("err"), error);
        reply.insert(QStringLiteral("line"), line);
        reply.insert(QStringLiteral("handle"), m_host.hasHandle());
        reply.insert(QStringLiteral("decide"), m_host.hasDecide());
        reply.insert(QStringLiteral("us"), m_host.initUs());
        reply.insert(QStringLiteral("limit_kb"), limitKb);
        return m_channel.send(reply) == WorkerChannel::Status::Ok;
    }

    // ctx.get and ctx.query ask the engine, which serves them from the read store (with the
    // documents its lane wrote earlier in the batch). Writes of earlier calls in this round
    // trip are not there yet: they are answered here.
    DocumentAccess access()
    {
        DocumentAccess a;
        a.get = [this](const QString &collection, const QString &id) -> std::optional<QJsonObject> {
            const auto it = m_overlay.find({collection, id});
            if (it != m_overlay.end())
                return it->second;
            QCborMap reply;
            if (!ask({{QStringLiteral("t"), QStringLiteral("get")}, {QStringLiteral("c"), collection}, {QStringLiteral("id"), id}},
                     QLatin1String("doc"), &reply))
                _exit(FunctionWorkerProcess::kExitProtocol);
            const QCborValue doc = reply.value(QStringLiteral("d"));
            return doc.isMap() ? std::optional<QJsonObject>(doc.toJsonValue().toObject()) : std::nullopt;
        };
        a.query = [this](const QString &collection, const QJsonObject &filter, QJsonArray *out, QString *error) {
            QCborMap reply;
            if (!ask({{QStringLiteral("t"), QStringLiteral("query")}, {QStringLiteral("c"), collection},
                      {QStringLiteral("f"), QCborValue::fromJsonValue(filter)}},
                     QLatin1String("items"), &reply))
                _exit(FunctionWorkerProcess::kExitProtocol);
            *out = reply.value(QStringLiteral("items")).toJsonValue().toArray();
            *error = reply.value(QStringLiteral("err")).toString();
            return reply.value(QStringLiteral("ok")).toBool();
        };
        return a;
    }

    bool ask(const QCborMap &request, QLatin1String answer, QCborMap *reply)
    {
        return m_channel.send(request) == WorkerChannel::Status::Ok && m_channel.receive(reply) == WorkerChannel::Status::Ok
            && reply->value(QStringLiteral("t")).toString() == answer;
    }

    bool invoke(const QCborArray &inputs)
    {
        return run(inputs.size(), [this, &inputs](qsizetype i, const DocumentAccess &documents) {
            return m_host.invoke(inputs.at(i).toJsonValue(), documents);
        });
    }

    bool invokeEvents(const QCborMap &request)
    {
        const QCborValue batched = request.value(QStringLiteral("b"));
        const QCborArray inputs = request.value(QStringLiteral("in")).toArray();
        QList<RecordedEvents> chunks;
        chunks.reserve(inputs.size());
        for (const QCborValue &input : inputs) {
            RecordedEvents events;
            if (!WorkerChannel::toEvents(input, &events))
                return false;
            chunks.append(std::move(events));
        }
        if (!batched.isBool() || chunks.isEmpty())
            return false;
        return run(chunks.size(), [this, &chunks, batched = batched.toBool()](qsizetype i, const DocumentAccess &documents) {
            return m_host.invokeEvents(chunks.at(i), batched, documents);
        });
    }

    // Calls `call(i)` for each of `count` inputs, sending each outcome; false on a broken channel.
    bool run(qsizetype count, const std::function<FunctionOutcome(qsizetype, const DocumentAccess &)> &call)
    {
        m_overlay.clear();
        const DocumentAccess documents = access();
        for (qsizetype i = 0; i < count; ++i) {
            const FunctionOutcome out = call(i, documents);
            const bool last = !out.ok || i + 1 == count;
            // Outcomes of quick calls (under kFlushMs) go out together with the next one; so an
            // outcome waits at most for one more call, which the watchdog bounds by timeout_ms,
            // within the engine's per-outcome deadline. A ctx.get/query sends them first.
            if (m_channel.queue(WorkerChannel::encodeOutcome(out, i, last)) != WorkerChannel::Status::Ok)
                return false;
            const bool quick = out.durationUs < kFlushMs * 1000;
            if ((last || !quick || out.outOfMemory || m_channel.queuedForMs() >= kFlushMs || m_channel.queuedBytes() >= kFlushBytes)
                && m_channel.flush() != WorkerChannel::Status::Ok)
                return false;
            if (out.outOfMemory)
                _exit(FunctionWorkerProcess::kExitOutOfMemory);   // its heap is garbage; the engine starts a new one
            if (last)
                break;
            for (const FunctionEffects::Write &w : out.effects.writes)
                m_overlay[{w.collection, w.id}] = w.remove ? std::nullopt : std::optional<QJsonObject>(w.doc);
        }
        return true;
    }

    bool decide(const QCborMap &request)
    {
        const FunctionOutcome out = m_host.decide(request.value(QStringLiteral("s")).toJsonValue(),
                                                  request.value(QStringLiteral("c")).toJsonValue(), access());
        if (m_channel.send(WorkerChannel::encodeOutcome(out, 0, true)) != WorkerChannel::Status::Ok)
            return false;
        if (out.outOfMemory)
            _exit(FunctionWorkerProcess::kExitOutOfMemory);
        return true;
    }

    WorkerChannel m_channel;
    ScriptHost m_host;
    bool m_loaded = false;
    std::map<std::pair<QString, QString>, std::optional<QJsonObject>> m_overlay;
};

} // namespace

int FunctionWorkerProcess::run(int argc, char **argv)
{
    struct stat channel{};
    if (fstat(kChannelFd, &channel) != 0 || !S_ISSOCK(channel.st_mode)) {
        std::fputs("gatehouse: function-worker is started by the engine, not by hand\n", stderr);
        return 2;
    }
    // Die with the engine; never write a core file; a closed channel is an error, not a signal.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const rlimit noCore{0, 0};
    setrlimit(RLIMIT_CORE, &noCore);
    ::signal(SIGPIPE, SIG_IGN);
    dup2(STDERR_FILENO, STDOUT_FILENO);   // stray output must not reach the engine as protocol
    installCrashHandlers();
    QCoreApplication app(argc, argv);
    Worker worker(kChannelFd);
    return worker.run();
}

} // namespace Gatehouse
