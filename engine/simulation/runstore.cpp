#include "runstore.h"

#include "config/strictjson.h"
#include "sql/sqlitemigrations.h"

#include <QDateTime>
#include <QJsonDocument>

namespace Gatehouse::Simulation {

namespace {

QList<const char *> migrations()
{
    return {
        "CREATE TABLE runs(id TEXT PRIMARY KEY, scenario TEXT NOT NULL, state TEXT NOT NULL,"
        " started_at TEXT NOT NULL, report TEXT NOT NULL, seq INTEGER NOT NULL);"
        "CREATE INDEX runs_by_seq ON runs(seq);",
    };
}

} // namespace

bool RunStore::open(const QString &path, QString *error)
{
    QMutexLocker lock(&m_mutex);
    if (!m_db.open(path)) {
        *error = QStringLiteral("cannot open %1: %2").arg(path, m_db.errorString());
        return false;
    }
    if (!m_db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;")
        || !SqliteMigrations::apply(m_db, migrations(), error)) {
        if (error->isEmpty())
            *error = m_db.errorString();
        return false;
    }
    // Cut short by a stop of the engine (or a crash): say so, keep what was saved.
    SqliteStatement running(m_db, "SELECT id, report FROM runs WHERE state = 'running'");
    QList<std::pair<QString, QByteArray>> cut;
    while (running.step())
        cut.append({running.columnString(0), running.columnText(1)});
    for (const auto &[id, text] : cut) {
        QJsonObject report = StrictJson::parseObject(text).value_or(QJsonObject{{QStringLiteral("id"), id}});
        report.insert(QStringLiteral("state"), QStringLiteral("failed"));
        report.insert(QStringLiteral("reason"), QStringLiteral("the engine stopped during the run"));
        report.insert(QStringLiteral("passed"), false);
        SqliteStatement update(m_db, "UPDATE runs SET state = 'failed', report = ?2 WHERE id = ?1");
        update.bind(1, id);
        update.bind(2, QJsonDocument(report).toJson(QJsonDocument::Compact));
        update.exec();
    }
    return true;
}

bool RunStore::save(const QJsonObject &report)
{
    const QString id = report.value(QStringLiteral("id")).toString();
    if (id.isEmpty())
        return false;
    const QByteArray text = QJsonDocument(report).toJson(QJsonDocument::Compact);
    QMutexLocker lock(&m_mutex);
    if (!m_db.exec("BEGIN IMMEDIATE"))
        return false;
    SqliteStatement put(m_db, "INSERT INTO runs(id, scenario, state, started_at, report, seq)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, (SELECT IFNULL(MAX(seq), 0) + 1 FROM runs))"
                              " ON CONFLICT(id) DO UPDATE SET state = excluded.state, report = excluded.report");
    put.bind(1, id);
    put.bind(2, report.value(QStringLiteral("scenario")).toString());
    put.bind(3, report.value(QStringLiteral("state")).toString());
    put.bind(4, report.value(QStringLiteral("started_at")).toString());
    put.bind(5, text);
    bool ok = put.exec();
    SqliteStatement trim(m_db, "DELETE FROM runs WHERE seq <= (SELECT MAX(seq) FROM runs) - ?1");
    trim.bind(1, kMaxRuns);
    ok = ok && trim.exec();
    if (!ok || !m_db.exec("COMMIT")) {
        if (m_db.inTransaction())
            m_db.exec("ROLLBACK");
        return false;
    }
    return true;
}

std::optional<QJsonObject> RunStore::report(const QString &id) const
{
    QMutexLocker lock(&m_mutex);
    SqliteStatement st(m_db, "SELECT report FROM runs WHERE id = ?1");
    st.bind(1, id);
    if (!st.step())
        return std::nullopt;
    return StrictJson::parseObject(st.columnText(0));
}

QJsonObject RunStore::summary(const QJsonObject &report)
{
    QJsonObject out = report;
    out.remove(QStringLiteral("series"));
    out.remove(QStringLiteral("definition"));
    QJsonObject operations = out.value(QStringLiteral("operations")).toObject();
    for (auto it = operations.begin(); it != operations.end(); ++it) {
        QJsonObject op = it.value().toObject();
        op.remove(QStringLiteral("histogram"));
        it.value() = op;
    }
    out.insert(QStringLiteral("operations"), operations);
    QJsonObject lag = out.value(QStringLiteral("consistency_lag")).toObject();
    for (auto it = lag.begin(); it != lag.end(); ++it) {
        QJsonObject via = it.value().toObject();
        via.remove(QStringLiteral("histogram"));
        it.value() = via;
    }
    out.insert(QStringLiteral("consistency_lag"), lag);
    return out;
}

QJsonArray RunStore::summaries() const
{
    QMutexLocker lock(&m_mutex);
    QJsonArray out;
    SqliteStatement st(m_db, "SELECT report FROM runs ORDER BY seq DESC");
    while (st.step()) {
        if (const std::optional<QJsonObject> report = StrictJson::parseObject(st.columnText(0)))
            out.append(summary(*report));
    }
    return out;
}

bool RunStore::remove(const QString &id)
{
    QMutexLocker lock(&m_mutex);
    SqliteStatement st(m_db, "DELETE FROM runs WHERE id = ?1");
    st.bind(1, id);
    return st.exec() && m_db.changes() > 0;
}

} // namespace Gatehouse::Simulation
