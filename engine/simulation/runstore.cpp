#include "runstore.h"

#include "config/strictjson.h"
#include "sql/sqlitemigrations.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QSqlQuery>
#include <QVariant>

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

// Stored as TEXT (a QByteArray would be bound as a BLOB).
QString compact(const QJsonObject &report)
{
    return QString::fromUtf8(QJsonDocument(report).toJson(QJsonDocument::Compact));
}

} // namespace

bool RunStore::open(const QString &path, QString *error)
{
    QMutexLocker lock(&m_mutex);
    if (!m_db.open(path)) {
        *error = QStringLiteral("cannot open %1: %2").arg(path, m_db.errorString());
        return false;
    }
    // A cold path: everything here goes through Qt SQL, on the QSqlDatabase the connection
    // holds (used under m_mutex from whichever thread asks; never looked up by name).
    QSqlQuery query(m_db.database());
    if (!m_db.execQuery(query, QStringLiteral("PRAGMA journal_mode = WAL"))
        || !m_db.execQuery(query, QStringLiteral("PRAGMA synchronous = NORMAL"))
        || !m_db.execQuery(query, QStringLiteral("PRAGMA busy_timeout = 5000"))
        || !SqliteMigrations::apply(m_db, migrations(), error)) {
        if (error->isEmpty())
            *error = m_db.errorString();
        return false;
    }
    // Cut short by a stop of the engine (or a crash): say so, keep what was saved.
    QList<std::pair<QString, QString>> cut;
    query.setForwardOnly(true);
    if (m_db.execQuery(query, QStringLiteral("SELECT id, report FROM runs WHERE state = 'running'"))) {
        while (query.next())
            cut.append({query.value(0).toString(), query.value(1).toString()});
    }
    query.finish();
    for (const auto &[id, text] : cut) {
        QJsonObject report = StrictJson::parseObject(text.toUtf8()).value_or(QJsonObject{{QStringLiteral("id"), id}});
        report.insert(QStringLiteral("state"), QStringLiteral("failed"));
        report.insert(QStringLiteral("reason"), engineStoppedReason());
        report.insert(QStringLiteral("passed"), false);
        QSqlQuery update(m_db.database());
        update.prepare(QStringLiteral("UPDATE runs SET state = 'failed', report = :report WHERE id = :id"));
        update.bindValue(QStringLiteral(":id"), id);
        update.bindValue(QStringLiteral(":report"), compact(report));
        m_db.execQuery(update);
    }
    return true;
}

bool RunStore::save(const QJsonObject &report)
{
    const QString id = report.value(QStringLiteral("id")).toString();
    if (id.isEmpty())
        return false;
    const QString text = compact(report);
    QMutexLocker lock(&m_mutex);
    QSqlQuery query(m_db.database());
    if (!m_db.execQuery(query, QStringLiteral("BEGIN IMMEDIATE")))
        return false;
    query.prepare(QStringLiteral("INSERT INTO runs(id, scenario, state, started_at, report, seq)"
                                 " VALUES (:id, :scenario, :state, :started_at, :report, (SELECT IFNULL(MAX(seq), 0) + 1 FROM runs))"
                                 " ON CONFLICT(id) DO UPDATE SET state = excluded.state, report = excluded.report"));
    query.bindValue(QStringLiteral(":id"), id);
    query.bindValue(QStringLiteral(":scenario"), report.value(QStringLiteral("scenario")).toString());
    query.bindValue(QStringLiteral(":state"), report.value(QStringLiteral("state")).toString());
    query.bindValue(QStringLiteral(":started_at"), report.value(QStringLiteral("started_at")).toString());
    query.bindValue(QStringLiteral(":report"), text);
    bool ok = m_db.execQuery(query);
    if (ok) {
        query.prepare(QStringLiteral("DELETE FROM runs WHERE seq <= (SELECT MAX(seq) FROM runs) - :keep"));
        query.bindValue(QStringLiteral(":keep"), kMaxRuns);
        ok = m_db.execQuery(query);
    }
    if (!ok || !m_db.execQuery(query, QStringLiteral("COMMIT"))) {
        if (m_db.inTransaction())
            m_db.execQuery(query, QStringLiteral("ROLLBACK"));
        return false;
    }
    return true;
}

std::optional<QJsonObject> RunStore::report(const QString &id) const
{
    QMutexLocker lock(&m_mutex);
    QSqlQuery query(m_db.database());
    query.setForwardOnly(true);
    query.prepare(QStringLiteral("SELECT report FROM runs WHERE id = :id"));
    query.bindValue(QStringLiteral(":id"), id);
    if (!m_db.execQuery(query) || !query.next())
        return std::nullopt;
    return StrictJson::parseObject(query.value(0).toString().toUtf8());
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
    QSqlQuery query(m_db.database());
    query.setForwardOnly(true);
    if (!m_db.execQuery(query, QStringLiteral("SELECT report FROM runs ORDER BY seq DESC")))
        return out;
    while (query.next()) {
        if (const std::optional<QJsonObject> report = StrictJson::parseObject(query.value(0).toString().toUtf8()))
            out.append(summary(*report));
    }
    return out;
}

bool RunStore::remove(const QString &id)
{
    QMutexLocker lock(&m_mutex);
    QSqlQuery query(m_db.database());
    query.prepare(QStringLiteral("DELETE FROM runs WHERE id = :id"));
    query.bindValue(QStringLiteral(":id"), id);
    return m_db.execQuery(query) && query.numRowsAffected() > 0;
}

} // namespace Gatehouse::Simulation
