#pragma once

#include <QByteArrayView>
#include <QHash>
#include <QMutex>
#include <QString>

namespace Gatehouse {

// Logs failed SQL of the read paths (category gatehouse.sql) without letting clients flood the
// log: each distinct cause (where, SQLite's result code, its message) is logged once, with the
// message and an excerpt of the statement cut to a few hundred characters; repeats are counted
// and summarised at most once a minute. At most kMaxCauses causes are remembered; failures of
// further causes are only counted. Thread-safe; instance() is the process's log.
class SqlErrorLog final
{
public:
    static constexpr qsizetype kMaxMessageChars = 200;
    static constexpr qsizetype kMaxSqlBytes = 160;
    static constexpr int kMaxCauses = 256;
    static constexpr qint64 kRepeatIntervalMs = 60000;

    SqlErrorLog() = default;
    SqlErrorLog(const SqlErrorLog &) = delete;
    SqlErrorLog &operator=(const SqlErrorLog &) = delete;

    static SqlErrorLog &instance();

    // Records one failure; answers the bounded message ("<code name> (<code>): <message>"),
    // fit for a problem detail. `nowMs` is a steady clock; the overload without it reads one.
    QString report(const char *where, int code, const QString &message, QByteArrayView sql);
    QString report(const char *where, int code, const QString &message, QByteArrayView sql, qint64 nowMs);

    // `text` cut to `max` characters, with an ellipsis and the full length when cut.
    static QString bounded(const QString &text, qsizetype max);
    static QByteArray excerpt(QByteArrayView sql, qsizetype max = kMaxSqlBytes);

private:
    struct Cause
    {
        qint64 loggedAtMs = 0;
        qint64 suppressed = 0;
    };
    QMutex m_mutex;
    QHash<QString, Cause> m_causes;
    Cause m_overflow;
};

} // namespace Gatehouse
