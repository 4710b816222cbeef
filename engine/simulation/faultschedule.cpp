#include "faultschedule.h"

#include "base/steadyclock.h"
#include "faultcontrol.h"
#include "faultproxy.h"
#include "simulationlogging.h"
#include "toxic.h"

#include <QJsonObject>

namespace Gatehouse::Simulation {

struct FaultSchedule::Entry
{
    Fault fault;
    bool on = false;
    bool applied = false;     // switched on at least once, without error
    QString error;
    qint64 onMs = -1;
    qint64 offMs = -1;
    QStringList nodes;        // upstream: the nodes behind proxies
    QList<std::shared_ptr<FaultProxy>> proxies;
};

FaultSchedule::FaultSchedule(QList<Fault> faults, QJsonArray faultsJson, FaultControl *control, QObject *parent)
    : QObject(parent)
    , m_json(std::move(faultsJson))
    , m_control(control)
{
    for (Fault &f : faults) {
        auto entry = std::make_shared<Entry>();
        entry->fault = std::move(f);
        m_entries.append(entry);
    }
}

FaultSchedule::~FaultSchedule()
{
    switchAllOff();
}

qint64 FaultSchedule::elapsedMs() const
{
    return (steadyNowNs() - m_startNs) / 1000000;
}

void FaultSchedule::start(qint64 startNs)
{
    m_startNs = startNs;
    const qint64 now = steadyNowNs();
    for (int i = 0; i < m_entries.size(); ++i) {
        const Fault &f = m_entries.at(i)->fault;
        // Precise timers (a coarse one may fire 5% early), rounded up to the millisecond.
        const auto at = [&](qint64 ms) { return int((qMax<qint64>(0, startNs + ms * 1000000 - now) + 999999) / 1000000); };
        auto *on = new QTimer(this);
        on->setSingleShot(true);
        on->setTimerType(Qt::PreciseTimer);
        connect(on, &QTimer::timeout, this, [this, i] { switchOn(i); });
        on->start(at(f.atMs));
        m_timers.append(on);
        if (f.forMs > 0) {
            auto *off = new QTimer(this);
            off->setSingleShot(true);
            off->setTimerType(Qt::PreciseTimer);
            connect(off, &QTimer::timeout, this, [this, i] { switchOff(i); });
            off->start(at(f.atMs + f.forMs));
            m_timers.append(off);
        }
    }
}

void FaultSchedule::switchOn(int index)
{
    Entry &e = *m_entries[index];
    if (e.on)
        return;
    e.onMs = elapsedMs();
    const QString error = apply(e, true);
    if (!error.isEmpty()) {
        e.error = error;
        qCWarning(lcSimulation).noquote() << "fault" << Fault::kindName(e.fault.kind) << "could not be switched on:" << error;
        apply(e, false);   // whatever part of it did apply
        return;
    }
    e.on = true;
    e.applied = true;
    qCInfo(lcSimulation).noquote() << "fault" << Fault::kindName(e.fault.kind) << "on at" << e.onMs << "ms";
}

void FaultSchedule::switchOff(int index)
{
    Entry &e = *m_entries[index];
    if (!e.on)
        return;
    e.on = false;
    e.offMs = elapsedMs();
    const QString error = apply(e, false);
    if (!error.isEmpty()) {
        e.error = QStringLiteral("switching off: ") + error;
        qCWarning(lcSimulation).noquote() << "fault" << Fault::kindName(e.fault.kind) << "could not be switched off:" << error;
    } else {
        qCInfo(lcSimulation).noquote() << "fault" << Fault::kindName(e.fault.kind) << "off at" << e.offMs << "ms";
    }
}

void FaultSchedule::switchAllOff()
{
    qDeleteAll(m_timers);
    m_timers.clear();
    for (int i = int(m_entries.size()) - 1; i >= 0; --i)
        switchOff(i);
}

QString FaultSchedule::apply(Entry &entry, bool on)
{
    if (!m_control)
        return QStringLiteral("this run cannot switch engine faults");
    const Fault &f = entry.fault;
    switch (f.kind) {
    case Fault::Function:
        return m_control->setFunctionFault(f.function, on ? f.errorRate : 0, on ? f.latencyMs : 0);
    case Fault::Projection:
        return m_control->setProjectionFault(f.projection, on && f.paused, on ? f.msPerBatch : 0);
    case Fault::Broker:
        return m_control->setBrokerStopped(on);
    case Fault::CommitDelay:
        return m_control->setCommitDelay(on ? f.latencyMs : 0);
    case Fault::Upstream:
        return applyUpstream(entry, on);
    }
    return {};
}

QString FaultSchedule::applyUpstream(Entry &entry, bool on)
{
    const Fault &f = entry.fault;
    if (!on) {
        QString error;
        for (qsizetype i = 0; i < entry.nodes.size(); ++i) {
            const QString e = m_control->setUpstreamNodeOverride(f.upstream, entry.nodes.at(i), QString());
            if (error.isEmpty())
                error = e;
        }
        for (const auto &proxy : std::as_const(entry.proxies))
            proxy->stop();
        entry.nodes.clear();
        entry.proxies.clear();
        return error;
    }
    QStringList errors;
    const std::optional<Toxic> toxic = Toxic::fromJson(f.toxic, f.toxicAttributes, &errors);
    if (!toxic)
        return QStringLiteral("toxic %1: %2").arg(f.toxic, errors.join(QStringLiteral("; ")));
    const QStringList nodes = f.node.isEmpty() ? m_control->upstreamNodes(f.upstream) : QStringList{f.node};
    if (nodes.isEmpty())
        return QStringLiteral("upstream '%1' has no nodes (or is not an http upstream)").arg(f.upstream);
    for (const QString &node : nodes) {
        const qsizetype colon = node.lastIndexOf(u':');
        bool ok = false;
        const quint16 port = colon > 0 ? node.mid(colon + 1).toUShort(&ok) : 0;
        if (!ok || port == 0)
            return QStringLiteral("node '%1' is not host:port").arg(node);
        auto proxy = std::make_shared<FaultProxy>(node.left(colon), port);
        QString error;
        if (!proxy->start(&error))
            return QStringLiteral("fault proxy for %1: %2").arg(node, error);
        proxy->setToxic(*toxic);
        entry.proxies.append(proxy);
        entry.nodes.append(node);
        if (const QString e = m_control->setUpstreamNodeOverride(f.upstream, node, proxy->address()); !e.isEmpty())
            return e;
    }
    return {};
}

QJsonArray FaultSchedule::toJson() const
{
    QJsonArray out;
    for (int i = 0; i < m_entries.size(); ++i) {
        const Entry &e = *m_entries.at(i);
        QJsonObject o = m_json.at(i).toObject();
        o.remove(QStringLiteral("at"));
        o.remove(QStringLiteral("for"));
        o.insert(QStringLiteral("kind"), Fault::kindName(e.fault.kind));
        o.insert(QStringLiteral("at_ms"), e.fault.atMs);
        o.insert(QStringLiteral("for_ms"), e.fault.forMs);
        o.insert(QStringLiteral("applied"), e.applied);
        o.insert(QStringLiteral("error"), e.error.isEmpty() ? QJsonValue() : QJsonValue(e.error));
        o.insert(QStringLiteral("on_ms"), e.onMs >= 0 ? QJsonValue(e.onMs) : QJsonValue());
        o.insert(QStringLiteral("off_ms"), e.offMs >= 0 ? QJsonValue(e.offMs) : QJsonValue());
        out.append(o);
    }
    return out;
}

QStringList FaultSchedule::activeKinds() const
{
    QStringList out;
    for (const auto &e : m_entries)
        if (e->on)
            out.append(Fault::kindName(e->fault.kind));
    return out;
}

} // namespace Gatehouse::Simulation
