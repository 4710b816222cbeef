#pragma once

#include <QJsonValue>
#include <QString>

namespace Gatehouse {

class SqliteStatement;

// A typed SQL value for binding generated queries (never spliced into SQL text).
struct SqlValue
{
    enum Type { Null, Integer, Real, Text };
    Type type = Null;
    qint64 integer = 0;
    double real = 0;
    QString text;

    static SqlValue null() { return {}; }
    static SqlValue ofInt(qint64 v) { SqlValue s; s.type = Integer; s.integer = v; return s; }
    static SqlValue ofReal(double v) { SqlValue s; s.type = Real; s.real = v; return s; }
    static SqlValue ofText(const QString &v) { SqlValue s; s.type = Text; s.text = v; return s; }

    void bind(SqliteStatement &st, int index) const;
    static SqlValue fromColumn(const SqliteStatement &st, int column);
    // Compact tagged form for cursors: ["i",5], ["r",5.5], ["t","x"], ["n"].
    QJsonValue toTaggedJson() const;
    static bool fromTaggedJson(const QJsonValue &json, SqlValue *out);
};

} // namespace Gatehouse
