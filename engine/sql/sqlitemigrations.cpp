#include "sqlitemigrations.h"

#include "sqliteconnection.h"

#include <QSqlQuery>

#include <sqlite3.h>

namespace Gatehouse::SqliteMigrations {

namespace {

// True when `text` holds more than blanks, semicolons and comments.
bool hasStatement(QByteArrayView text)
{
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == ';')
            continue;
        if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {
            while (i < text.size() && text[i] != '\n')
                ++i;
            continue;
        }
        if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
            const qsizetype end = text.indexOf(QByteArrayView("*/"), i + 2);
            if (end < 0)
                return false;
            i = end + 1;
            continue;
        }
        return true;
    }
    return false;
}

bool run(SqliteConnection &db, const QString &sql)
{
    QSqlQuery query(db.database());
    query.setForwardOnly(true);
    return db.execQuery(query, sql);
}

} // namespace

QList<QByteArray> statements(QByteArrayView script)
{
    QList<QByteArray> out;
    QByteArray pending;
    qsizetype start = 0;
    for (qsizetype i = 0; i < script.size(); ++i) {
        if (script[i] != ';')
            continue;
        pending = script.sliced(start, i + 1 - start).toByteArray();
        if (!sqlite3_complete(pending.constData()))
            continue;   // inside a string, a comment or a trigger body
        pending.chop(1);
        if (hasStatement(pending))
            out.append(pending.trimmed());
        start = i + 1;
    }
    const QByteArrayView rest = script.sliced(start);
    if (hasStatement(rest))
        out.append(rest.toByteArray().trimmed());
    return out;
}

int currentVersion(SqliteConnection &db)
{
    QSqlQuery query(db.database());
    query.setForwardOnly(true);
    if (!db.execQuery(query, QStringLiteral("PRAGMA user_version")) || !query.next())
        return 0;
    return query.value(0).toInt();
}

bool apply(SqliteConnection &db, const QList<const char *> &steps, QString *error)
{
    const int from = currentVersion(db);
    if (from > steps.size()) {
        if (error)
            *error = QStringLiteral("database %1 has schema version %2, newer than this build knows (%3)")
                         .arg(db.path()).arg(from).arg(steps.size());
        return false;
    }
    for (int version = from + 1; version <= steps.size(); ++version) {
        bool ok = run(db, QStringLiteral("BEGIN IMMEDIATE"));
        const QList<QByteArray> step = statements(steps.at(version - 1));
        for (qsizetype i = 0; ok && i < step.size(); ++i)
            ok = run(db, QString::fromUtf8(step.at(i)));
        ok = ok && run(db, QStringLiteral("PRAGMA user_version = %1").arg(version)) && run(db, QStringLiteral("COMMIT"));
        if (!ok) {
            if (error)
                *error = QStringLiteral("migration %1 of %2 failed: %3").arg(version).arg(db.path(), db.errorString());
            if (db.inTransaction())
                run(db, QStringLiteral("ROLLBACK"));
            return false;
        }
    }
    return true;
}

} // namespace Gatehouse::SqliteMigrations
