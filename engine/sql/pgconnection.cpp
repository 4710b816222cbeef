#include "pgconnection.h"

#include <QLoggingCategory>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>

#include <libpq-fe.h>

Q_LOGGING_CATEGORY(lcPostgres, "gatehouse.sql.postgres")

namespace Gatehouse {

namespace {

std::atomic<quint64> connectionCounter{0};

// A value for libpq's conninfo, quoted. Qt's QPSQL driver turns every ';' of the connect
// options into a space (its separator), so a value can hold none.
QString conninfoValue(QString value)
{
    value.remove(u';');
    value.replace(u'\\', QStringLiteral("\\\\"));
    value.replace(u'\'', QStringLiteral("\\'"));
    return u'\'' + value + u'\'';
}

// The server's notices (e.g. "relation already exists, skipping", or the FATAL message a
// terminated backend sends before it hangs up) go to our log instead of libpq's stderr.
void logNotice(void *, const PGresult *result)
{
    const char *severity = PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED);
    const QString message = QString::fromUtf8(PQresultErrorMessage(result)).trimmed();
    const QByteArray level(severity ? severity : "");
    if (level == "WARNING" || level == "ERROR" || level == "FATAL" || level == "PANIC")
        qCWarning(lcPostgres, "server: %ls", qUtf16Printable(message));
    else
        qCDebug(lcPostgres, "server: %ls", qUtf16Printable(message));
}

} // namespace

PgConnection::~PgConnection()
{
    close();
}

bool PgConnection::open(const PostgresUrl &url, const QString &role, QString *error)
{
    close();
    m_url = url;
    m_role = role;
    m_error.clear();
    m_sqlState.clear();
    m_name = QStringLiteral("gatehouse-pg-%1-%2").arg(role).arg(++connectionCounter);
    m_db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), m_name);
    if (!m_db.isValid()) {
        m_error = QStringLiteral("Qt's PostgreSQL driver (QPSQL) is not installed; Debian package libqt6sql6-psql");
        if (error)
            *error = m_error;
        close();
        return false;
    }
    m_db.setHostName(url.host);
    m_db.setPort(url.port);
    m_db.setDatabaseName(url.database);
    m_db.setUserName(url.user);
    if (!url.password.isEmpty())
        m_db.setPassword(url.password);
    // Keepalives: a peer that vanished without closing the socket (a network partition) is
    // noticed within about a minute instead of the kernel's two hours.
    QStringList options = {
        QStringLiteral("connect_timeout=%1").arg(url.connectTimeoutS),
        QStringLiteral("application_name=") + conninfoValue(QStringLiteral("gatehouse ") + role),
        QStringLiteral("keepalives=1"),
        QStringLiteral("keepalives_idle=30"),
        QStringLiteral("keepalives_interval=10"),
        QStringLiteral("keepalives_count=3"),
    };
    if (!url.sslMode.isEmpty())
        options << QStringLiteral("sslmode=") + conninfoValue(url.sslMode);
    m_db.setConnectOptions(options.join(u';'));
    if (!m_db.open()) {
        noteError(m_db.lastError());
        const QString message = QStringLiteral("cannot connect to %1: %2").arg(url.redacted(), m_error);
        if (error)
            *error = message;
        const QString state = m_sqlState;
        close();
        m_error = message;
        m_sqlState = state;
        return false;
    }
    if (PGconn *conn = nativeHandle()) {
        // Documents, events and names are Unicode: a database in another encoding would refuse
        // (or mangle) some of them, and the read models parse every document as jsonb. Said
        // now, once, rather than as a failed write later. (Reported at connection start: no
        // round trip.)
        const char *encoding = PQparameterStatus(conn, "server_encoding");
        if (encoding && qstrcmp(encoding, "UTF8") != 0) {
            m_error = QStringLiteral("the database %1 is encoded in %2; Gatehouse needs UTF8 "
                                     "(CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE template0)")
                          .arg(url.database, QString::fromLatin1(encoding));
            if (error)
                *error = m_error;
            const QString message = m_error;
            close();
            m_error = message;
            return false;
        }
        PQsetNoticeReceiver(conn, &logNotice, nullptr);
    }
    return true;
}

void PgConnection::close()
{
    if (m_name.isEmpty())
        return;
    if (m_db.isValid())
        m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_name);
    m_name.clear();
}

bool PgConnection::isOpen() const
{
    // QPSQL answers from PQstatus(): false once libpq saw the connection fail.
    return m_db.isValid() && m_db.isOpen();
}

bool PgConnection::ping()
{
    if (!isOpen()) {
        m_error = QStringLiteral("the connection is closed");
        m_sqlState.clear();
        return false;
    }
    QSqlQuery query(m_db);
    if (!query.exec(QStringLiteral("SELECT 1"))) {
        noteError(query.lastError());
        return false;
    }
    return true;
}

bool PgConnection::reopen(QString *error)
{
    const PostgresUrl url = m_url;
    const QString role = m_role;
    return open(url, role, error);
}

PGconn *PgConnection::nativeHandle() const
{
    if (!m_db.isValid() || !m_db.driver())
        return nullptr;
    const QVariant handle = m_db.driver()->handle();
    // Qt documents the type as "PGconn*"; Qt 6.4 registers it under the struct's own name.
    if (!handle.isValid()
        || (qstrcmp(handle.typeName(), "PGconn*") != 0 && qstrcmp(handle.typeName(), "pg_conn*") != 0))
        return nullptr;
    return *static_cast<PGconn *const *>(handle.constData());
}

void PgConnection::moveToThread(QThread *thread)
{
    if (m_db.isValid() && m_db.driver())
        m_db.driver()->moveToThread(thread);
}

bool PgConnection::exec(const QString &sql)
{
    if (!m_db.isValid()) {
        m_error = QStringLiteral("the connection is closed");
        m_sqlState.clear();
        return false;
    }
    QSqlQuery query(m_db);
    if (!query.exec(sql)) {
        noteError(query.lastError());
        return false;
    }
    // Several statements are sent as one query, but QPSQL reports only the first one's outcome;
    // the others' are further result sets.
    while (query.nextResult()) {
    }
    if (query.lastError().isValid()) {
        noteError(query.lastError());
        return false;
    }
    m_error.clear();
    m_sqlState.clear();
    return true;
}

bool PgConnection::isConnectionFailure(const QString &sqlState)
{
    // Class 08: connection exception. 57P01 admin_shutdown, 57P02 crash_shutdown,
    // 57P03 cannot_connect_now, 57P04 database_dropped, 57P05 idle_session_timeout: the
    // server ended the session. No SQLSTATE: libpq lost the socket before any answer.
    return sqlState.isEmpty() || sqlState.startsWith(QLatin1StringView("08"))
        || sqlState.startsWith(QLatin1StringView("57P0"));
}

void PgConnection::noteError(const QSqlError &error)
{
    m_sqlState = error.nativeErrorCode();
    QString text = error.databaseText().trimmed();
    if (text.isEmpty())
        text = error.driverText().trimmed();
    m_error = text;
    qCDebug(lcPostgres, "%ls: %ls (SQLSTATE %ls)", qUtf16Printable(m_name), qUtf16Printable(m_error),
            qUtf16Printable(m_sqlState.isEmpty() ? QStringLiteral("none") : m_sqlState));
}

} // namespace Gatehouse
