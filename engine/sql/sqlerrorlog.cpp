#include "sqlerrorlog.h"

#include "base/steadyclock.h"

#include <QLoggingCategory>

#include <sqlite3.h>

#include <chrono>

Q_DECLARE_LOGGING_CATEGORY(lcSql)

namespace Gatehouse {

SqlErrorLog &SqlErrorLog::instance()
{
    static SqlErrorLog log;
    return log;
}

QString SqlErrorLog::bounded(const QString &text, qsizetype max)
{
    if (text.size() <= max)
        return text;
    return text.left(max) + QStringLiteral("... (%1 characters)").arg(text.size());
}

QByteArray SqlErrorLog::excerpt(QByteArrayView sql, qsizetype max)
{
    if (sql.size() <= max)
        return sql.toByteArray();
    return sql.first(max).toByteArray() + "... (" + QByteArray::number(sql.size()) + " bytes)";
}

QString SqlErrorLog::report(const char *where, int code, const QString &message, QByteArrayView sql)
{
    return report(where, code, message, sql, steadyNowMs());
}

QString SqlErrorLog::report(const char *where, int code, const QString &message, QByteArrayView sql, qint64 nowMs)
{
    const QString cause = QString::fromUtf8(sqlite3_errstr(code)) + QStringLiteral(" (%1): ").arg(code)
        + bounded(message, kMaxMessageChars);
    const QString key = QString::fromLatin1(where) + QLatin1Char('|') + cause;
    QMutexLocker lock(&m_mutex);
    auto it = m_causes.find(key);
    if (it == m_causes.end()) {
        if (m_causes.size() >= kMaxCauses) {
            // Too many distinct causes to remember: count them, say so once a minute.
            ++m_overflow.suppressed;
            if (nowMs - m_overflow.loggedAtMs >= kRepeatIntervalMs) {
                qCWarning(lcSql, "%lld more read failures of other causes (latest in %s: %s)",
                          qlonglong(m_overflow.suppressed), where, qPrintable(cause));
                m_overflow = {nowMs, 0};
            }
            return cause;
        }
        m_causes.insert(key, {nowMs, 0});
        if (sql.isEmpty())
            qCWarning(lcSql, "read failed in %s: %s", where, qPrintable(cause));
        else
            qCWarning(lcSql, "read failed in %s: %s; statement: %s", where, qPrintable(cause), excerpt(sql).constData());
        return cause;
    }
    ++it->suppressed;
    if (nowMs - it->loggedAtMs >= kRepeatIntervalMs) {
        qCWarning(lcSql, "read failed in %s: %s; %lld times since it was last logged", where, qPrintable(cause),
                  qlonglong(it->suppressed));
        *it = {nowMs, 0};
    }
    return cause;
}

} // namespace Gatehouse
