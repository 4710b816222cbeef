#include "pgpipeline.h"

#include "sql/pgconnection.h"

#include <QtEndian>

#include <libpq-fe.h>

namespace Gatehouse {

namespace {
// PostgreSQL's type OIDs (pg_type.dat); stable across versions.
constexpr unsigned kInt4 = 23, kInt8 = 20, kText = 25, kBytea = 17;
constexpr unsigned kInt8Array = 1016, kTextArray = 1009, kByteaArray = 1001;

void putInt32(QByteArray &out, qint32 v)
{
    char b[4];
    qToBigEndian(v, b);
    out.append(b, 4);
}

// array_send's layout: ndim, has-nulls flag, element type, (size, lower bound) per dimension,
// then each element as length + bytes.
QByteArray arrayHeader(unsigned elementOid, qsizetype count)
{
    QByteArray out;
    putInt32(out, count ? 1 : 0);
    putInt32(out, 0);
    putInt32(out, qint32(elementOid));
    if (count) {
        putInt32(out, qint32(count));
        putInt32(out, 1);
    }
    return out;
}

QByteArray bytesArray(unsigned elementOid, const QList<QByteArray> &values)
{
    qsizetype size = 20;
    for (const QByteArray &v : values)
        size += 4 + v.size();
    QByteArray out = arrayHeader(elementOid, values.size());
    out.reserve(size);
    for (const QByteArray &v : values) {
        putInt32(out, qint32(v.size()));
        out.append(v);
    }
    return out;
}
} // namespace

PgPipeline::Param PgPipeline::int8(qint64 value)
{
    QByteArray b(8, Qt::Uninitialized);
    qToBigEndian(value, b.data());
    return {b, kInt8, false};
}

PgPipeline::Param PgPipeline::int4(qint32 value)
{
    QByteArray b(4, Qt::Uninitialized);
    qToBigEndian(value, b.data());
    return {b, kInt4, false};
}

PgPipeline::Param PgPipeline::text(const QByteArray &utf8)
{
    return {utf8, kText, false};
}

PgPipeline::Param PgPipeline::int8Array(const QList<qint64> &values)
{
    QByteArray out = arrayHeader(kInt8, values.size());
    out.reserve(out.size() + values.size() * 12);
    char b[8];
    for (qint64 v : values) {
        putInt32(out, 8);
        qToBigEndian(v, b);
        out.append(b, 8);
    }
    return {out, kInt8Array, false};
}

PgPipeline::Param PgPipeline::textArray(const QList<QByteArray> &values)
{
    return {bytesArray(kText, values), kTextArray, false};
}

PgPipeline::Param PgPipeline::byteaArray(const QList<QByteArray> &values)
{
    return {bytesArray(kBytea, values), kByteaArray, false};
}

PgPipeline::PgPipeline(PGconn *conn)
    : m_conn(conn)
{
}

PgPipeline::~PgPipeline()
{
    for (PGresult *r : m_results)
        PQclear(r);
}

bool PgPipeline::prepare(PGconn *conn, const char *name, const char *sql, QString *error)
{
    PGresult *r = PQprepare(conn, name, sql, 0, nullptr);
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        *error = QString::fromUtf8(r ? PQresultErrorMessage(r) : PQerrorMessage(conn)).trimmed();
    PQclear(r);
    return ok;
}

int PgPipeline::add(const char *sql, QList<Param> params)
{
    m_statements.push_back({sql, std::move(params), false});
    return int(m_statements.size()) - 1;
}

int PgPipeline::addPrepared(const char *name, QList<Param> params)
{
    m_statements.push_back({name, std::move(params), true});
    return int(m_statements.size()) - 1;
}

void PgPipeline::fail(int statement, const QString &error, const QString &sqlState)
{
    if (m_failed >= 0)
        return;   // the first failure is the cause; the rest were skipped because of it
    m_failed = statement;
    m_error = error.trimmed();
    m_sqlState = sqlState;
    m_lost = sqlState.isEmpty() || PgConnection::isConnectionFailure(sqlState) || PQstatus(m_conn) != CONNECTION_OK;
}

bool PgPipeline::run()
{
    const int n = int(m_statements.size());
    m_results.assign(size_t(n), nullptr);
    m_ok.assign(size_t(n), false);
    if (!m_conn || PQstatus(m_conn) != CONNECTION_OK) {
        fail(0, QStringLiteral("not connected"), {});
        return false;
    }
    if (!PQenterPipelineMode(m_conn)) {
        fail(0, QString::fromUtf8(PQerrorMessage(m_conn)), {});
        return false;
    }
    for (int i = 0; i < n; ++i) {
        const Statement &s = m_statements[size_t(i)];
        const int count = int(s.params.size());
        const auto paramCount = static_cast<size_t>(count);
        std::vector<unsigned> types(paramCount);
        std::vector<const char *> values(paramCount);
        std::vector<int> lengths(paramCount);
        std::vector<int> formats(paramCount, 1);
        for (int p = 0; p < count; ++p) {
            const Param &param = s.params.at(p);
            types[size_t(p)] = param.oid;
            values[size_t(p)] = param.null ? nullptr : param.bytes.constData();
            lengths[size_t(p)] = int(param.bytes.size());
        }
        const int sent = s.prepared
            ? PQsendQueryPrepared(m_conn, s.sql, count, values.data(), lengths.data(), formats.data(), 1)
            : PQsendQueryParams(m_conn, s.sql, count, types.data(), values.data(), lengths.data(), formats.data(), 1);
        if (!sent) {
            fail(i, QString::fromUtf8(PQerrorMessage(m_conn)), {});
            break;
        }
    }
    // Also after a statement that could not be sent: the Sync ends what was.
    if (!PQpipelineSync(m_conn) || PQstatus(m_conn) != CONNECTION_OK) {
        fail(0, QString::fromUtf8(PQerrorMessage(m_conn)), {});
        return false;   // nothing more will come; the caller drops the connection
    }

    // One result (then a null) per statement that was sent, then the Sync's own result.
    for (int i = 0; i < n; ++i) {
        PGresult *r = PQgetResult(m_conn);
        if (!r) {
            fail(i, QString::fromUtf8(PQerrorMessage(m_conn)), {});
            return false;
        }
        const ExecStatusType status = PQresultStatus(r);
        if (status == PGRES_PIPELINE_SYNC) {   // fewer statements were sent than queued
            PQclear(r);
            break;
        }
        m_results[size_t(i)] = r;
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
            m_ok[size_t(i)] = true;
        } else if (status != PGRES_PIPELINE_ABORTED) {
            fail(i, QString::fromUtf8(PQresultErrorMessage(r)), QString::fromLatin1(PQresultErrorField(r, PG_DIAG_SQLSTATE)));
        }
        while (PGresult *extra = PQgetResult(m_conn))   // the null that ends this statement
            PQclear(extra);
        if (PQstatus(m_conn) != CONNECTION_OK) {
            fail(i, QString::fromUtf8(PQerrorMessage(m_conn)), {});
            return false;
        }
        if (i == n - 1) {
            PGresult *sync = PQgetResult(m_conn);
            if (!sync || PQresultStatus(sync) != PGRES_PIPELINE_SYNC)
                fail(i, QStringLiteral("the pipeline ended without its sync"), {});
            PQclear(sync);
        }
    }
    if (!PQexitPipelineMode(m_conn))
        fail(0, QString::fromUtf8(PQerrorMessage(m_conn)), {});
    return m_failed < 0;
}

bool PgPipeline::succeeded(int statement) const
{
    return statement >= 0 && statement < int(m_ok.size()) && m_ok[size_t(statement)];
}

PGresult *PgPipeline::result(int statement) const
{
    return statement >= 0 && statement < int(m_results.size()) ? m_results[size_t(statement)] : nullptr;
}

int PgPipeline::rows(int statement) const
{
    PGresult *r = result(statement);
    return r ? PQntuples(r) : 0;
}

bool PgPipeline::isNull(int statement, int row, int column) const
{
    return PQgetisnull(result(statement), row, column);
}

qint64 PgPipeline::int8(int statement, int row, int column) const
{
    PGresult *r = result(statement);
    if (PQgetisnull(r, row, column) || PQgetlength(r, row, column) != 8)
        return 0;
    return qFromBigEndian<qint64>(PQgetvalue(r, row, column));
}

qint32 PgPipeline::int4(int statement, int row, int column) const
{
    PGresult *r = result(statement);
    if (PQgetisnull(r, row, column) || PQgetlength(r, row, column) != 4)
        return 0;
    return qFromBigEndian<qint32>(PQgetvalue(r, row, column));
}

QByteArray PgPipeline::bytes(int statement, int row, int column) const
{
    PGresult *r = result(statement);
    return QByteArray(PQgetvalue(r, row, column), PQgetlength(r, row, column));
}

QString PgPipeline::text(int statement, int row, int column) const
{
    PGresult *r = result(statement);
    return QString::fromUtf8(PQgetvalue(r, row, column), PQgetlength(r, row, column));
}

} // namespace Gatehouse
