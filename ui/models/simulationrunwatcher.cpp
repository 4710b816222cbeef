#include "simulationrunwatcher.h"

#include "engineclient.h"

#include <QTimer>

namespace Gatehouse::Ui {

SimulationRunWatcher::SimulationRunWatcher(EngineClient *client, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_timer(new QTimer(this))
{
    m_timer->setInterval(kPollMs);
    connect(m_timer, &QTimer::timeout, this, &SimulationRunWatcher::poll);
}

SimulationRunWatcher::~SimulationRunWatcher() = default;

void SimulationRunWatcher::watch(const QString &runId)
{
    m_id = runId;
    if (m_id.isEmpty()) {
        m_timer->stop();
        return;
    }
    m_timer->start();
    poll();
}

void SimulationRunWatcher::stop()
{
    const QString id = m_id;
    if (id.isEmpty())
        return;
    m_client->admin(QByteArrayLiteral("POST"), "/admin/runs/" + EngineClient::encode(id) + "/stop", {}, this,
                    [this, id](const ClientReply &reply) {
        if (!reply.isSuccess())
            Q_EMIT failed(tr("Cannot stop %1: %2").arg(id, reply.errorText()));
        if (id == m_id)
            poll();
    });
}

void SimulationRunWatcher::poll()
{
    if (m_id.isEmpty() || m_inFlight)
        return;
    m_inFlight = true;
    const QString id = m_id;
    m_client->adminGet("/admin/runs/" + EngineClient::encode(id), this, [this, id](const ClientReply &reply) {
        m_inFlight = false;
        if (id != m_id)
            return;   // another run is watched now
        if (!reply.isSuccess()) {
            Q_EMIT failed(tr("Run %1: %2").arg(id, reply.errorText()));
            if (reply.status == 404)   // deleted meanwhile
                finish(QStringLiteral("deleted"));
            return;
        }
        const QJsonObject run = reply.object();
        Q_EMIT snapshot(run);
        const QString state = run.value(QStringLiteral("state")).toString();
        if (state != QLatin1String("running"))
            finish(state);
    });
}

void SimulationRunWatcher::finish(const QString &state)
{
    const QString id = m_id;
    m_id.clear();
    m_timer->stop();
    Q_EMIT ended(id, state);
}

} // namespace Gatehouse::Ui
