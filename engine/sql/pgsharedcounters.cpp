#include "pgsharedcounters.h"

#include "base/steadyclock.h"
#include "pgconnection.h"
#include "schemamigrations.h"

#include <QCryptographicHash>
#include <QLoggingCategory>

#include <libpq-fe.h>

Q_LOGGING_CATEGORY(lcSharedCounters, "gatehouse.ratelimit")

namespace Gatehouse {

namespace {
// The same rolling and counting as WindowCounter::take, inside the row lock. The database's
// clock is the only clock, so engines agree on windows whatever their own clocks say.
const QList<QByteArray> kSteps = {
    QByteArrayLiteral(
        "CREATE TABLE gatehouse_rate_counters(key TEXT PRIMARY KEY, window_start BIGINT NOT NULL,"
        " current_count BIGINT NOT NULL, previous_count BIGINT NOT NULL, expires_at BIGINT NOT NULL);"
        "CREATE INDEX gatehouse_rate_counters_expiry ON gatehouse_rate_counters(expires_at);"
        "CREATE FUNCTION gatehouse_rate_take(p_key TEXT, p_limit BIGINT, p_window BIGINT, p_sliding BOOLEAN,"
        "  OUT allowed BOOLEAN, OUT window_start BIGINT, OUT current_count BIGINT, OUT previous_count BIGINT,"
        "  OUT now_ms BIGINT) LANGUAGE plpgsql AS $fn$\n"
        "DECLARE v_passed BIGINT; v_carried DOUBLE PRECISION;\n"
        "BEGIN\n"
        "  now_ms := (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT;\n"
        "  INSERT INTO gatehouse_rate_counters AS c VALUES (p_key, now_ms, 0, 0, now_ms + 2 * p_window)\n"
        "    ON CONFLICT (key) DO NOTHING;\n"
        "  SELECT c.window_start, c.current_count, c.previous_count INTO window_start, current_count, previous_count\n"
        "    FROM gatehouse_rate_counters c WHERE c.key = p_key FOR UPDATE;\n"
        "  IF now_ms >= window_start + p_window THEN\n"
        "    v_passed := (now_ms - window_start) / p_window;\n"
        "    previous_count := CASE WHEN v_passed = 1 THEN current_count ELSE 0 END;\n"
        "    current_count := 0;\n"
        "    window_start := window_start + v_passed * p_window;\n"
        "  END IF;\n"
        "  v_carried := CASE WHEN p_sliding\n"
        "    THEN previous_count::DOUBLE PRECISION * (p_window - (now_ms - window_start)) / p_window ELSE 0 END;\n"
        "  allowed := v_carried + current_count + 1 <= p_limit + 1e-9;\n"
        "  IF allowed THEN current_count := current_count + 1; END IF;\n"
        "  UPDATE gatehouse_rate_counters c SET window_start = gatehouse_rate_take.window_start,\n"
        "    current_count = gatehouse_rate_take.current_count, previous_count = gatehouse_rate_take.previous_count,\n"
        "    expires_at = gatehouse_rate_take.window_start + 2 * p_window WHERE c.key = p_key;\n"
        "END\n"
        "$fn$;"),
};

constexpr int kSweepEvery = 10000;   // takes between two deletions of rows long expired
} // namespace

PgSharedCounters::PgSharedCounters() = default;
PgSharedCounters::~PgSharedCounters() = default;

bool PgSharedCounters::open(const PostgresUrl &url, QString *error)
{
    m_url = url;
    auto c = std::make_unique<PgConnection>();
    if (!c->open(url, QStringLiteral("rate-limit"), error))
        return false;
    if (!SchemaMigrations::apply(c->database(), QStringLiteral("ratecounters"), kSteps, error))
        return false;
    if (!c->exec(QStringLiteral("SET statement_timeout = %1").arg(kTimeoutMs))) {
        *error = c->errorString();
        return false;
    }
    std::lock_guard lock(m_mutex);
    m_idle.push_back(std::move(c));
    m_open = 1;
    return true;
}

std::unique_ptr<PgConnection> PgSharedCounters::lease()
{
    {
        std::lock_guard lock(m_mutex);
        if (steadyNowMs() < m_downUntilMs)
            return nullptr;
        if (!m_idle.empty()) {
            auto c = std::move(m_idle.back());
            m_idle.pop_back();
            return c;
        }
        if (m_open >= kMaxConnections)
            return nullptr;
        ++m_open;
    }
    auto c = std::make_unique<PgConnection>();
    QString error;
    if (!c->open(m_url, QStringLiteral("rate-limit"), &error)
        || !c->exec(QStringLiteral("SET statement_timeout = %1").arg(kTimeoutMs))) {
        qCWarning(lcSharedCounters) << "cannot reach the shared rate-limit counters:" << error;
        std::lock_guard lock(m_mutex);
        --m_open;
        m_downUntilMs = steadyNowMs() + kRetryAfterMs;
        return nullptr;
    }
    return c;
}

void PgSharedCounters::giveBack(std::unique_ptr<PgConnection> c)
{
    std::lock_guard lock(m_mutex);
    m_idle.push_back(std::move(c));
}

void PgSharedCounters::failed()
{
    std::lock_guard lock(m_mutex);
    --m_open;
    m_downUntilMs = steadyNowMs() + kRetryAfterMs;
}

std::optional<SharedCounters::Window> PgSharedCounters::take(const QString &key, qint64 limit, qint64 windowMs, bool sliding)
{
    std::unique_ptr<PgConnection> c = lease();
    if (!c)
        return std::nullopt;
    QByteArray name = key.toUtf8();
    if (name.size() > kMaxKeyBytes)
        name = "sha256:" + QCryptographicHash::hash(name, QCryptographicHash::Sha256).toHex();
    // The hot path of every request under a cluster limit: one round trip through libpq's
    // PQexecParams (Qt SQL's prepared queries cost a PREPARE and a DEALLOCATE besides).
    const QByteArray limitText = QByteArray::number(limit);
    const QByteArray windowText = QByteArray::number(windowMs);
    const char *values[4] = {name.constData(), limitText.constData(), windowText.constData(), sliding ? "t" : "f"};
    PGresult *res = PQexecParams(c->nativeHandle(),
                                 "SELECT allowed, window_start, current_count, previous_count, now_ms"
                                 " FROM gatehouse_rate_take($1, $2::BIGINT, $3::BIGINT, $4::BOOLEAN)",
                                 4, nullptr, values, nullptr, nullptr, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        const QString sqlState = state ? QString::fromLatin1(state) : QString();
        qCWarning(lcSharedCounters) << "shared rate-limit counter failed:" << sqlState
                                    << QString::fromUtf8(PQerrorMessage(c->nativeHandle())).trimmed();
        PQclear(res);
        // A statement that timed out (57014) or met a lock it waited too long for leaves a
        // healthy connection; a lost one is dropped and the store rests before reconnecting.
        if (!PgConnection::isConnectionFailure(sqlState) && PQstatus(c->nativeHandle()) == CONNECTION_OK) {
            giveBack(std::move(c));
            return std::nullopt;
        }
        failed();
        return std::nullopt;
    }
    Window w;
    w.allowed = PQgetvalue(res, 0, 0)[0] == 't';
    w.start = QByteArray(PQgetvalue(res, 0, 1)).toLongLong();
    w.current = QByteArray(PQgetvalue(res, 0, 2)).toLongLong();
    w.previous = QByteArray(PQgetvalue(res, 0, 3)).toLongLong();
    w.now = QByteArray(PQgetvalue(res, 0, 4)).toLongLong();
    PQclear(res);
    bool sweep = false;
    {
        std::lock_guard lock(m_mutex);
        sweep = ++m_takes % kSweepEvery == 0;
    }
    if (sweep && !c->exec(QStringLiteral("DELETE FROM gatehouse_rate_counters"
                                         " WHERE expires_at < (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT")))
        qCWarning(lcSharedCounters) << "cannot sweep expired rate-limit counters:" << c->errorString();
    giveBack(std::move(c));
    return w;
}

} // namespace Gatehouse
