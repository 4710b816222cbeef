#include "httpupstream.h"

#include "base/steadyclock.h"
#include "httpupstreamlogging.h"
#include "httpupstreamoverrides.h"
#include "httpupstreamspec.h"
#include "httpupstreamstate.h"

#include <QCryptographicHash>
#include <QHash>
#include <QJsonDocument>
#include <QSet>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <tuple>

namespace Gatehouse {

Q_LOGGING_CATEGORY(lcUpstream, "gatehouse.upstream")

namespace {

QByteArray compactJson(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// The upstream states by key, on the upstream thread.
class Registry final : public QObject
{
public:
    struct Entry
    {
        QString routeId;
        HttpUpstreamState *state = nullptr;
    };

    explicit Registry(std::shared_ptr<const HttpUpstreamOverrides> overrides)
        : m_overrides(std::move(overrides))
        , m_sweep(new QTimer(this))
    {
        connect(m_sweep, &QTimer::timeout, this, &Registry::sweep);
    }

    void dispatch(const QString &key, const QString &routeId, const QJsonObject &config, ApiRequest request, ApiResponder respond)
    {
        if (!m_sweep->isActive())
            setIdleExpiry(m_idleExpiryMs);
        Entry &entry = m_states[key];
        if (!entry.state) {
            QStringList errors;
            HttpUpstreamSpec spec = HttpUpstreamSpec::fromJson(config, &errors, QStringLiteral("/upstream"));
            const QString digest = QString::fromLatin1(QCryptographicHash::hash(compactJson(config), QCryptographicHash::Sha1).toHex().left(12));
            entry.routeId = routeId;
            // An upstream resource carries its id into the routes that use it; an inline one has none.
            const QString upstreamId = config.value(QLatin1String("id")).toString();
            entry.state = new HttpUpstreamState(routeId + QLatin1Char('/') + digest, std::move(spec), errors,
                                                upstreamId.isEmpty() ? routeId : upstreamId, m_overrides, this);
        }
        entry.state->forward(std::move(request), std::move(respond));
    }

    QList<HttpUpstream::NodeStatus> status() const
    {
        QList<HttpUpstream::NodeStatus> out;
        for (const Entry &entry : m_states) {
            for (const auto &n : entry.state->status())
                out.append({entry.state->name(), entry.routeId, n.node, n.weight, n.healthy, n.consecutiveFailures, n.lastError});
        }
        std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) {
            return std::tie(a.upstream, a.node) < std::tie(b.upstream, b.node);
        });
        return out;
    }

    void retain(const QSet<QString> &keys)
    {
        for (auto it = m_states.begin(); it != m_states.end();) {
            if (keys.contains(it.key())) {
                ++it;
                continue;
            }
            retire(it->state);
            it = m_states.erase(it);
        }
    }

    void setIdleExpiry(int ms)
    {
        m_idleExpiryMs = ms;
        m_sweep->start(std::clamp(ms / 2, 20, 30000));
    }

    void shutdown()
    {
        m_sweep->stop();
        for (const Entry &entry : std::as_const(m_states))
            delete entry.state;
        m_states.clear();
        qDeleteAll(m_retired);
        m_retired.clear();
    }

private:
    void retire(HttpUpstreamState *state)
    {
        if (state->isBusy())
            m_retired.append(state);   // ends when its last exchange does
        else
            delete state;
    }

    void sweep()
    {
        const qint64 now = steadyNowMs();
        for (auto it = m_states.begin(); it != m_states.end();) {
            if (!it->state->isBusy() && now - it->state->lastUsedMs() > m_idleExpiryMs) {
                delete it->state;
                it = m_states.erase(it);
            } else {
                ++it;
            }
        }
        m_retired.removeIf([](HttpUpstreamState *state) {
            if (state->isBusy())
                return false;
            delete state;
            return true;
        });
    }

    std::shared_ptr<const HttpUpstreamOverrides> m_overrides;
    QHash<QString, Entry> m_states;
    QList<HttpUpstreamState *> m_retired;
    QTimer *m_sweep;
    int m_idleExpiryMs = 10 * 60 * 1000;
};

} // namespace

struct HttpUpstream::Private
{
    QThread thread;
    std::shared_ptr<HttpUpstreamOverrides> overrides = std::make_shared<HttpUpstreamOverrides>();
    Registry *registry = nullptr;   // lives on thread
    std::atomic<bool> stopping{false};
};

HttpUpstream::HttpUpstream()
    : d(std::make_unique<Private>())
{
    d->thread.setObjectName(QStringLiteral("gatehouse-upstream"));
    d->registry = new Registry(d->overrides);
    d->registry->moveToThread(&d->thread);
    QObject::connect(&d->thread, &QThread::finished, d->registry, &QObject::deleteLater);
    d->thread.start();
}

HttpUpstream::~HttpUpstream()
{
    d->stopping = true;
    Registry *registry = d->registry;
    QMetaObject::invokeMethod(registry, [registry] { registry->shutdown(); }, Qt::BlockingQueuedConnection);
    d->thread.quit();
    d->thread.wait();
}

QString HttpUpstream::stateKey(const QString &routeId, const QJsonObject &upstream)
{
    return routeId + QLatin1Char('\n') + QString::fromUtf8(compactJson(upstream));
}

void HttpUpstream::handle(const RouteUpstream &upstream, ApiRequest &&request, ApiResponder &&respond)
{
    if (d->stopping) {
        respond(ApiResponse::problem(503, QStringLiteral("the gateway is shutting down"), QStringLiteral("upstream-unavailable")));
        return;
    }
    Registry *registry = d->registry;
    QMetaObject::invokeMethod(
        registry,
        [registry, key = stateKey(request.routeId, upstream.config), routeId = request.routeId, config = upstream.config,
         request = std::move(request), respond = std::move(respond)]() mutable {
            registry->dispatch(key, routeId, config, std::move(request), std::move(respond));
        },
        Qt::QueuedConnection);
}

QList<HttpUpstream::NodeStatus> HttpUpstream::status() const
{
    Registry *registry = d->registry;
    if (QThread::currentThread() == &d->thread)
        return registry->status();
    QList<NodeStatus> out;
    QMetaObject::invokeMethod(registry, [registry, &out] { out = registry->status(); }, Qt::BlockingQueuedConnection);
    return out;
}

void HttpUpstream::retain(const QList<std::pair<QString, RouteUpstream>> &upstreams)
{
    QSet<QString> keys;
    for (const auto &[routeId, upstream] : upstreams) {
        if (upstream.type == QLatin1String("http"))
            keys.insert(stateKey(routeId, upstream.config));
    }
    Registry *registry = d->registry;
    QMetaObject::invokeMethod(registry, [registry, keys] { registry->retain(keys); }, Qt::QueuedConnection);
}

void HttpUpstream::setIdleExpiry(int ms)
{
    Registry *registry = d->registry;
    QMetaObject::invokeMethod(registry, [registry, ms] { registry->setIdleExpiry(ms); }, Qt::QueuedConnection);
}

bool HttpUpstream::setNodeOverride(const QString &upstreamId, const QString &node, const QString &via)
{
    return d->overrides->set(upstreamId, node, via);
}

} // namespace Gatehouse
