#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <memory>
#include <vector>

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace Gatehouse {

// Several statements sent to PostgreSQL in one round trip (libpq's pipeline mode), with
// parameters and results in binary form: the event log's writer sends a whole batch -- arrays of
// positions, streams, ids, data -- without quoting a byte of it, and reads its state the same way.
// This is the one place in engine/store where the native connection (PgConnection::
// nativeHandle(), i.e. QSqlDriver::handle()) is used; Qt SQL has no pipelines or array binds.
//
// Not thread-safe; used by the thread that owns the connection. Leaves the connection idle and
// out of pipeline mode, as Qt SQL expects it, unless the connection itself failed.
class PgPipeline final
{
public:
    struct Param
    {
        QByteArray bytes;
        unsigned oid = 0;
        bool null = false;
    };
    static Param int8(qint64 value);
    static Param int4(qint32 value);
    static Param text(const QByteArray &utf8);
    static Param int8Array(const QList<qint64> &values);
    static Param textArray(const QList<QByteArray> &values);
    static Param byteaArray(const QList<QByteArray> &values);

    explicit PgPipeline(PGconn *conn);
    ~PgPipeline();
    PgPipeline(const PgPipeline &) = delete;
    PgPipeline &operator=(const PgPipeline &) = delete;

    // Prepares `sql` as the named statement `name` on the connection (once per session: a new
    // connection prepares again). Parameter types come from the statement's casts ($1::text[]).
    static bool prepare(PGconn *conn, const char *name, const char *sql, QString *error);

    // Queues a statement (one statement, $1.. parameters); its result comes back in binary.
    int add(const char *sql, QList<Param> params = {});
    // Queues a statement prepared with prepare(): parsed and planned once per connection
    // rather than once per use, which on the writer's hot path is most of a statement's time.
    int addPrepared(const char *name, QList<Param> params = {});
    // Sends what was queued with one Sync and collects every result. False if any statement
    // failed (the rest of the pipeline is skipped by the server): see failedStatement(),
    // errorString(), sqlState(), connectionLost().
    bool run();

    // The statement's result arrived and it succeeded (also after run() returned false).
    bool succeeded(int statement) const;
    int failedStatement() const { return m_failed; }
    QString errorString() const { return m_error; }
    QString sqlState() const { return m_sqlState; }
    // The connection broke (no answer, or no SQLSTATE at all): its outcome is unknown.
    bool connectionLost() const { return m_lost; }

    int rows(int statement) const;
    bool isNull(int statement, int row, int column) const;
    qint64 int8(int statement, int row, int column) const;
    qint32 int4(int statement, int row, int column) const;
    QByteArray bytes(int statement, int row, int column) const;   // text or bytea, raw
    QString text(int statement, int row, int column) const;

private:
    struct Statement
    {
        const char *sql;   // or the prepared statement's name
        QList<Param> params;
        bool prepared = false;
    };
    PGresult *result(int statement) const;
    void fail(int statement, const QString &error, const QString &sqlState);

    PGconn *m_conn;
    std::vector<Statement> m_statements;
    std::vector<PGresult *> m_results;
    std::vector<bool> m_ok;
    int m_failed = -1;
    QString m_error;
    QString m_sqlState;
    bool m_lost = false;
};

} // namespace Gatehouse
