#include "pgeventschema.h"

#include "base/sqliteglob.h"

#include <QSqlQuery>
#include <QVariant>

#include <vector>

namespace Gatehouse::PgEventSchema {

QList<QByteArray> migrations()
{
    return {
        // 1: the log, its uniqueness rules, durable idempotency keys.
        "CREATE TABLE events("
        "  position bigint PRIMARY KEY,"
        "  stream text NOT NULL,"
        "  version bigint NOT NULL,"
        "  id text NOT NULL,"
        "  type text NOT NULL,"
        "  data text NOT NULL,"
        "  metadata text NOT NULL,"
        "  time bigint NOT NULL);"
        "CREATE UNIQUE INDEX events_stream_version ON events(stream, version);"
        "CREATE UNIQUE INDEX events_id ON events(id);"
        // The log is append-only; refuse edits even from a stray psql shell.
        "CREATE FUNCTION gatehouse_events_append_only() RETURNS trigger LANGUAGE plpgsql AS"
        "  'BEGIN RAISE EXCEPTION ''the event log is append-only''; END';"
        "CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events"
        "  FOR EACH ROW EXECUTE FUNCTION gatehouse_events_append_only();"
        "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events"
        "  FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_events_append_only();"
        "CREATE TABLE idempotency_keys("
        "  key text PRIMARY KEY,"
        "  request_hash bytea NOT NULL,"
        "  stream text NOT NULL,"
        "  first_position bigint NOT NULL,"
        "  last_position bigint NOT NULL,"
        "  version bigint NOT NULL,"
        "  event_types text NOT NULL,"
        "  created bigint NOT NULL);",
    };
}

RecordedEvent readRow(const QSqlQuery &query)
{
    RecordedEvent e;
    e.position = query.value(0).toLongLong();
    e.stream = query.value(1).toString();
    e.version = query.value(2).toLongLong();
    e.id = query.value(3).toString();
    e.type = query.value(4).toString();
    e.data = query.value(5).toString().toUtf8();
    e.metadata = query.value(6).toString().toUtf8();
    e.timeMs = query.value(7).toLongLong();
    return e;
}

namespace {
// One character as a regular expression atom that means only itself, inside a bracket
// expression or outside: ASCII letters and digits as they are (a backslash before them would
// make an escape), everything else as a character-entry escape.
void appendLiteral(QString &out, char32_t c)
{
    if ((c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z') || (c >= U'0' && c <= U'9')) {
        out += QChar(char16_t(c));
        return;
    }
    if (c <= 0xFFFF)
        out += QStringLiteral("\\u%1").arg(uint(c), 4, 16, QLatin1Char('0'));
    else
        out += QStringLiteral("\\U%1").arg(uint(c), 8, 16, QLatin1Char('0'));
}
} // namespace

std::optional<QString> globRegex(const QString &glob)
{
    const std::vector<char32_t> p = SqliteGlob::codePoints(glob);   // as SQLite reads the bound UTF-8
    const size_t n = p.size();
    QString out = QStringLiteral("^");
    size_t i = 0;
    while (i < n) {
        const char32_t c = p[i++];
        if (c == U'*') {
            while (i < n && p[i] == U'*')
                ++i;
            out += QLatin1String(".*");
            continue;
        }
        if (c == U'?') {
            out += QLatin1Char('.');
            continue;
        }
        if (c == U'\uFFFD') {
            out += QLatin1String("[\\ufffd-\\uffff]");   // see the sets below
            continue;
        }
        if (c != U'[') {
            appendLiteral(out, c);
            continue;
        }
        // A set, read as SQLite's patternCompare reads it (SqliteGlob::match does the same).
        bool invert = false;
        if (i < n && p[i] == U'^') {
            invert = true;
            ++i;
        }
        std::vector<std::pair<char32_t, char32_t>> members;   // ranges; a member is one of its own
        char32_t prior = 0;   // the member before a '-', 0 when there is none to start a range
        if (i < n && p[i] == U']') {
            members.push_back({U']', U']'});
            ++i;
        }
        bool closed = false;
        while (i < n) {
            const char32_t m = p[i++];
            if (m == U']') {
                closed = true;
                break;
            }
            if (m == U'-' && prior != 0 && i < n && p[i] != U']') {
                const char32_t last = p[i++];
                if (prior <= last)   // a reversed range holds nothing more (PostgreSQL would refuse it)
                    members.back().second = last;
                prior = 0;
            } else {
                members.push_back({m, m});
                prior = m;
            }
        }
        if (!closed)
            return std::nullopt;   // SQLite: an unterminated set matches nothing
        if (members.empty()) {
            if (!invert)
                return std::nullopt;   // a set with no member matches no character
            out += QLatin1Char('.');   // ... and its inverse any
            continue;
        }
        out += QLatin1Char('[');
        if (invert)
            out += QLatin1Char('^');
        for (auto [low, high] : members) {
            // The stored text holds U+FFFE and U+FFFF as they are, where SQLite reads U+FFFD.
            if (low <= 0xFFFD && high >= 0xFFFD && high < 0xFFFF)
                high = 0xFFFF;
            appendLiteral(out, low);
            if (high != low) {
                out += QLatin1Char('-');
                appendLiteral(out, high);
            }
        }
        out += QLatin1Char(']');
    }
    out += QLatin1Char('$');
    return out;
}

} // namespace Gatehouse::PgEventSchema
