#include "indexbuilder.h"

#include "readstore.h"

#include <QDateTime>
#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcReadStore)

namespace Gatehouse {

namespace {
constexpr qsizetype kKeptPerCollection = 32;
} // namespace

QString IndexBuilder::Build::stateName(State s)
{
    switch (s) {
    case State::Queued: return QStringLiteral("queued");
    case State::Building: return QStringLiteral("building");
    case State::Ready: return QStringLiteral("ready");
    case State::Failed: return QStringLiteral("failed");
    }
    return {};
}

IndexBuilder::~IndexBuilder()
{
    stop();
}

void IndexBuilder::build(const QString &collection, const QStringList &fields)
{
    if (fields.isEmpty())
        return;
    std::lock_guard lock(m_mutex);
    if (m_stopping)
        return;
    QList<Build> &list = m_builds[collection];
    for (const QString &field : fields) {
        // Asked again while it waits or runs: once is enough.
        bool pending = false;
        for (const Build &b : std::as_const(list))
            pending = pending || (b.field == field && (b.state == Build::State::Queued || b.state == Build::State::Building));
        if (pending)
            continue;
        Build b;
        b.field = field;
        b.queuedAtMs = QDateTime::currentMSecsSinceEpoch();
        list.append(b);
        m_queue.emplace_back(collection, field);
    }
    while (list.size() > kKeptPerCollection && list.first().state != Build::State::Queued && list.first().state != Build::State::Building)
        list.removeFirst();
    if (!m_thread.joinable())
        m_thread = std::thread([this] { run(); });
    m_wake.notify_one();
}

QList<IndexBuilder::Build> IndexBuilder::builds(const QString &collection) const
{
    std::lock_guard lock(m_mutex);
    return m_builds.value(collection);
}

void IndexBuilder::stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        m_cancel = true;
        m_wake.notify_one();
    }
    if (m_thread.joinable())
        m_thread.join();
}

IndexBuilder::Build *IndexBuilder::find(const QString &collection, const QString &field)
{
    auto it = m_builds.find(collection);
    if (it == m_builds.end())
        return nullptr;
    for (qsizetype i = it->size() - 1; i >= 0; --i) {
        if ((*it)[i].field == field)
            return &(*it)[i];
    }
    return nullptr;
}

void IndexBuilder::run()
{
    for (;;) {
        std::pair<QString, QString> job;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
            if (m_stopping)
                return;
            job = m_queue.front();
            m_queue.pop_front();
            if (Build *b = find(job.first, job.second))
                b->state = Build::State::Building;
        }
        const auto progress = [this, &job](double fraction) {
            std::lock_guard lock(m_mutex);
            if (Build *b = find(job.first, job.second))
                b->progress = fraction;
            return !m_cancel.load();
        };
        QString error;
        bool ok = false;
        if (std::unique_ptr<ReadStore::WriteTransaction> tx = m_store->begin()) {
            ok = tx->createIndex(job.first, job.second, progress) && tx->commit();
            if (!ok)
                error = m_cancel ? QStringLiteral("stopped") : tx->errorString();
        } else {
            error = m_store->errorString();
        }
        if (!ok)
            qCWarning(lcReadStore).noquote() << "the index on" << job.second << "of collection" << job.first << "was not built:" << error;
        std::lock_guard lock(m_mutex);
        if (Build *b = find(job.first, job.second)) {
            b->state = ok ? Build::State::Ready : Build::State::Failed;
            b->progress = ok ? 1.0 : b->progress;
            b->error = error;
            b->finishedAtMs = QDateTime::currentMSecsSinceEpoch();
        }
    }
}

} // namespace Gatehouse
