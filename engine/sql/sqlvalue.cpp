#include "sqlvalue.h"

#include "sqliteconnection.h"

#include <QJsonArray>

#include <sqlite3.h>

namespace Gatehouse {

void SqlValue::bind(SqliteStatement &st, int index) const
{
    switch (type) {
    case Null: st.bindNull(index); break;
    case Integer: st.bind(index, integer); break;
    case Real: st.bind(index, real); break;
    case Text: st.bind(index, text); break;
    }
}

SqlValue SqlValue::fromColumn(const SqliteStatement &st, int column)
{
    switch (st.columnType(column)) {
    case SQLITE_INTEGER: return ofInt(st.columnInt(column));
    case SQLITE_FLOAT: return ofReal(st.columnDouble(column));
    case SQLITE_NULL: return null();
    default: return ofText(st.columnString(column));
    }
}

QJsonValue SqlValue::toTaggedJson() const
{
    switch (type) {
    case Null: return QJsonArray{QStringLiteral("n")};
    case Integer: return QJsonArray{QStringLiteral("i"), QString::number(integer)};
    case Real: return QJsonArray{QStringLiteral("r"), real};
    case Text: return QJsonArray{QStringLiteral("t"), text};
    }
    return {};
}

bool SqlValue::fromTaggedJson(const QJsonValue &json, SqlValue *out)
{
    const QJsonArray a = json.toArray();
    const QString tag = a.at(0).toString();
    if (tag == QLatin1String("n") && a.size() == 1) {
        *out = null();
        return true;
    }
    if (a.size() != 2)
        return false;
    if (tag == QLatin1String("i")) {
        bool ok = false;
        const qint64 v = a.at(1).toString().toLongLong(&ok);
        *out = ofInt(v);
        return ok;
    }
    if (tag == QLatin1String("r") && a.at(1).isDouble()) {
        *out = ofReal(a.at(1).toDouble());
        return true;
    }
    if (tag == QLatin1String("t") && a.at(1).isString()) {
        *out = ofText(a.at(1).toString());
        return true;
    }
    return false;
}

} // namespace Gatehouse
