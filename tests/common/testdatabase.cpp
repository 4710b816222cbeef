#include "testdatabase.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QHash>
#include <QMutex>
#include <QRandomGenerator>

#include <libpq-fe.h>

#include <cstdio>
#include <memory>

// The fixture's server is administered with libpq directly, not through Qt SQL: target() may
// be called on any thread, and the databases are dropped when the process exits, after the
// QCoreApplication (and with it Qt's plugin loader) is gone.

namespace Test {

namespace {

struct PgConnDeleter
{
    void operator()(PGconn *conn) const { PQfinish(conn); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;

QByteArray conninfo(const Gatehouse::PostgresUrl &url)
{
    auto quoted = [](const QString &value) -> QByteArray {
        QByteArray v = value.toUtf8();
        v.replace("\\", "\\\\");
        v.replace("'", "\\'");
        return "'" + v + "'";
    };
    QByteArray info = "host=" + quoted(url.host) + " port=" + QByteArray::number(url.port)
        + " dbname=" + quoted(url.database) + " user=" + quoted(url.user) + " connect_timeout=10"
        + " application_name='gatehouse tests'";
    if (!url.password.isEmpty())
        info += " password=" + quoted(url.password);
    return info;
}

PgConnPtr connectTo(const Gatehouse::PostgresUrl &url, QString *error)
{
    PgConnPtr conn(PQconnectdb(conninfo(url).constData()));
    if (PQstatus(conn.get()) != CONNECTION_OK) {
        *error = QStringLiteral("cannot connect to the test server %1: %2")
                     .arg(url.redacted(), QString::fromUtf8(PQerrorMessage(conn.get())).trimmed());
        return nullptr;
    }
    return conn;
}

bool run(PGconn *conn, const QByteArray &sql, QString *error)
{
    PGresult *result = PQexec(conn, sql.constData());
    const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    if (!ok)
        *error = QString::fromUtf8(PQresultErrorMessage(result)).trimmed();
    PQclear(result);
    return ok;
}

bool run(const Gatehouse::PostgresUrl &url, const QByteArray &sql, QString *error)
{
    const PgConnPtr conn = connectTo(url, error);
    return conn && run(conn.get(), sql, error);
}

// Every database this process created; dropped at exit (WITH (FORCE) ends connections an engine
// thread or a child process may still hold). A crashed test leaves its databases to the
// fixture, which removes the whole server.
class CreatedDatabases
{
public:
    ~CreatedDatabases()
    {
        if (m_names.isEmpty())
            return;
        QString error;
        const PgConnPtr conn = connectTo(m_server, &error);
        for (const QString &name : std::as_const(m_names)) {
            if (!conn || !run(conn.get(), "DROP DATABASE IF EXISTS \"" + name.toUtf8() + "\" WITH (FORCE)", &error))
                fprintf(stderr, "testdatabase: could not drop %s: %s\n", qPrintable(name), qPrintable(error));
        }
    }

    void add(const Gatehouse::PostgresUrl &server, const QString &name)
    {
        QMutexLocker lock(&m_mutex);
        m_server = server;
        m_names << name;
    }

    // One database per target() directory.
    std::optional<Gatehouse::PostgresUrl> forDir(const QString &dir)
    {
        QMutexLocker lock(&m_mutex);
        const auto it = m_byDir.constFind(dir);
        return it == m_byDir.constEnd() ? std::nullopt : std::optional(*it);
    }
    void setForDir(const QString &dir, const Gatehouse::PostgresUrl &url)
    {
        QMutexLocker lock(&m_mutex);
        m_byDir.insert(dir, url);
    }

private:
    QMutex m_mutex;
    Gatehouse::PostgresUrl m_server;
    QStringList m_names;
    QHash<QString, Gatehouse::PostgresUrl> m_byDir;
};

CreatedDatabases &createdDatabases()
{
    static CreatedDatabases databases;
    return databases;
}

Gatehouse::PostgresUrl requireNewDatabase()
{
    QString error;
    const auto url = newPostgresDatabase(&error);
    if (!url)
        qFatal("testdatabase: %s", qPrintable(error));
    return *url;
}

} // namespace

bool usesPostgres()
{
    return qEnvironmentVariable("GATEHOUSE_TEST_BACKEND") == u"postgres";
}

QString backendName()
{
    return usesPostgres() ? QStringLiteral("postgres") : QStringLiteral("sqlite");
}

std::optional<Gatehouse::PostgresUrl> postgresServer(QString *error)
{
    const QString path = qEnvironmentVariable("GATEHOUSE_TEST_POSTGRES_FILE");
    if (path.isEmpty()) {
        *error = QStringLiteral("GATEHOUSE_TEST_POSTGRES_FILE is not set: run the test through ctest, "
                                "which starts PostgreSQL with the fixture `postgres`");
        return std::nullopt;
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1 (%2): did the test postgres/start pass?").arg(path, file.errorString());
        return std::nullopt;
    }
    const QString text = QString::fromUtf8(file.readAll()).trimmed();
    return Gatehouse::PostgresUrl::parse(text, error);
}

std::optional<Gatehouse::PostgresUrl> newPostgresDatabase(QString *error)
{
    const auto server = postgresServer(error);
    if (!server)
        return std::nullopt;
    static QAtomicInteger<quint32> counter;
    const QString name = QStringLiteral("gh_test_%1_%2_%3")
                             .arg(QCoreApplication::applicationPid())
                             .arg(++counter)
                             .arg(QRandomGenerator::global()->generate(), 8, 16, QLatin1Char('0'));
    // template0: no other session can hold it open (CREATE DATABASE refuses a busy template).
    if (!run(*server, "CREATE DATABASE \"" + name.toUtf8() + "\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'", error)) {
        *error = QStringLiteral("cannot create a test database: ") + *error;
        return std::nullopt;
    }
    createdDatabases().add(*server, name);
    return server->withDatabase(name);
}

Gatehouse::StorageTarget target(const QString &dir, const QString &fileName)
{
    if (!usesPostgres())
        return Gatehouse::StorageTarget::sqlite(QDir(dir).filePath(fileName));
    static QMutex creating;   // two threads asking for one new dir get one database
    QMutexLocker lock(&creating);
    const QString key = QDir::cleanPath(QDir(dir).absolutePath());
    if (const auto url = createdDatabases().forDir(key))
        return Gatehouse::StorageTarget::postgresql(*url);
    const Gatehouse::PostgresUrl url = requireNewDatabase();
    createdDatabases().setForDir(key, url);
    return Gatehouse::StorageTarget::postgresql(url);
}

std::optional<Gatehouse::PostgresUrl> engineDatabase(const QString &dir)
{
    if (!usesPostgres())
        return std::nullopt;
    return target(dir, QStringLiteral("engine")).postgres;
}

QStringList engineArguments()
{
    if (!usesPostgres())
        return {};
    return {QStringLiteral("--database"), requireNewDatabase().toString()};
}

} // namespace Test
