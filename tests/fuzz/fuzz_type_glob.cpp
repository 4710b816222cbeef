// Event-type globs (engine/base/sqliteglob.*, engine/store/pgeventschema.*): the input is a
// pattern and a text, separated by the first 0xFF byte, read as UTF-8 or (first byte odd) as
// UTF-16, so lone surrogates and NULs come too. Checked besides memory safety:
//  - SqliteGlob::match() (the live filters, the searches of /events) answers what SQLite's own
//    GLOB answers on the UTF-8 the engine binds;
//  - PgEventSchema::globRegex() (the PostgreSQL event log's `type ~ ?`) is ASCII, anchored,
//    at most 20 characters per pattern character, and -- read by PCRE2 with its character
//    escapes in PCRE's spelling, which for the constructs it writes (anchors, `.`, `.*`,
//    bracket expressions of escaped characters and ranges) means what PostgreSQL's ARE means --
//    matches the text as PostgreSQL stores it exactly when SQLite's GLOB matches (up to six
//    stars: beyond, PCRE2's backtracking stops at its match limit).

#include "fuzzsupport.h"

#include "base/sqliteglob.h"
#include "store/pgeventschema.h"

#include <QRegularExpression>

#include <sqlite3.h>

#include <cstdint>

using namespace Gatehouse;

namespace {

sqlite3 *database()
{
    static sqlite3 *db = [] {
        sqlite3 *d = nullptr;
        if (sqlite3_open(":memory:", &d) != SQLITE_OK)
            std::abort();
        return d;
    }();
    return db;
}

bool sqliteGlob(const QString &pattern, const QString &text)
{
    static sqlite3_stmt *statement = [] {
        sqlite3_stmt *s = nullptr;
        if (sqlite3_prepare_v2(database(), "SELECT CAST(?1 AS TEXT) GLOB CAST(?2 AS TEXT)", -1, &s, nullptr) != SQLITE_OK)
            std::abort();
        return s;
    }();
    const QByteArray t = text.toUtf8();
    const QByteArray p = pattern.toUtf8();
    sqlite3_reset(statement);
    sqlite3_bind_blob(statement, 1, t.constData(), int(t.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(statement, 2, p.constData(), int(p.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(statement) != SQLITE_ROW)
        std::abort();
    return sqlite3_column_int(statement, 0) == 1;
}

// The regular expression in PCRE2's spelling: \uXXXX and \UXXXXXXXX as \x{...}, and the end
// anchor as \z (PCRE's `$` would also match before a final newline).
QString asPcre(const QString &are)
{
    QString out;
    for (qsizetype i = 0; i < are.size(); ++i) {
        if (are.at(i) == QLatin1Char('\\') && i + 1 < are.size()) {
            const int digits = are.at(i + 1) == QLatin1Char('u') ? 4 : 8;
            out += QStringLiteral("\\x{") + are.mid(i + 2, digits) + QLatin1Char('}');
            i += 1 + digits;
        } else if (are.at(i) == QLatin1Char('$') && i == are.size() - 1) {
            out += QLatin1String("\\z");
        } else {
            out += are.at(i);
        }
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const bool quiet = (Fuzz::quietLogs(), true);
    (void)quiet;
    if (size < 1 || size > 256)
        return 0;
    const bool utf16 = data[0] & 1;
    const QByteArray input(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    const qsizetype cut = input.indexOf('\xFF');
    const QByteArray p = cut < 0 ? input : input.left(cut);
    const QByteArray t = cut < 0 ? QByteArray() : input.mid(cut + 1);
    const auto decode = [utf16](const QByteArray &bytes) {
        return utf16 ? QString(reinterpret_cast<const QChar *>(bytes.constData()), bytes.size() / 2) : QString::fromUtf8(bytes);
    };
    const QString pattern = decode(p);
    const QString text = decode(t);

    const bool expected = sqliteGlob(pattern, text);
    FUZZ_CHECK(SqliteGlob::match(pattern, text) == expected,
               QStringLiteral("SqliteGlob says %1 for '%2' GLOB '%3'")
                   .arg(expected ? QStringLiteral("no") : QStringLiteral("yes"), Fuzz::printable(text.toUtf8()),
                        Fuzz::printable(pattern.toUtf8())));

    const std::optional<QString> regex = PgEventSchema::globRegex(pattern);
    if (regex) {
        FUZZ_CHECK(regex->startsWith(QLatin1Char('^')) && regex->endsWith(QLatin1Char('$')) && regex->size() <= 20 * pattern.size() + 2,
                   QStringLiteral("not an anchored, bounded expression: ") + *regex);
        for (const QChar c : *regex)
            FUZZ_CHECK(c.unicode() >= 0x20 && c.unicode() < 0x7F, QStringLiteral("a character PostgreSQL could read otherwise: ") + *regex);
    }
    // As PostgreSQL stores a type: the UTF-8 the engine binds, whose lone surrogates are '?'
    // (QString::fromUtf8 would also drop a leading U+FEFF, which PostgreSQL keeps); no NUL can
    // be stored.
    if (text.contains(QChar(u'\0')))
        return 0;
    QString stored = text;
    for (qsizetype i = 0; i < stored.size(); ++i) {
        const QChar c = stored.at(i);
        if (c.isHighSurrogate() && i + 1 < stored.size() && stored.at(i + 1).isLowSurrogate())
            ++i;
        else if (c.isSurrogate())
            stored[i] = QLatin1Char('?');
    }
    // PCRE2 backtracks, and gives up (no match) past its match limit where PostgreSQL's engine
    // answers: expressions with many stars are left to the first check (PostgreSQL itself agreed
    // with SQLite on such a finding).
    if (regex && regex->count(QLatin1String(".*")) > 6)
        return 0;
    bool matched = false;
    if (regex) {
        const QRegularExpression re(asPcre(*regex), QRegularExpression::DotMatchesEverythingOption);
        FUZZ_CHECK(re.isValid(), QStringLiteral("not a valid expression: ") + *regex + QStringLiteral(" (") + re.errorString() + QLatin1Char(')'));
        matched = re.match(stored).hasMatch();
    }
    FUZZ_CHECK(matched == expected,
               QStringLiteral("PostgreSQL's expression %1 for '%2' says %3, SQLite's GLOB %4")
                   .arg(regex.value_or(QStringLiteral("(none)")), Fuzz::printable(text.toUtf8()),
                        matched ? QStringLiteral("yes") : QStringLiteral("no"), expected ? QStringLiteral("yes") : QStringLiteral("no")));
    return 0;
}
