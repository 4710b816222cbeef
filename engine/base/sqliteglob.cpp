#include "sqliteglob.h"

#include <QChar>

#include <optional>

namespace Gatehouse::SqliteGlob {

namespace {
// Code points of a string, read in place (no copy into UTF-32: this runs for every live event
// and every subscriber with a filter), as SQLite reads the UTF-8 the engine binds: a lone
// surrogate reads as '?' (what QString::toUtf8() writes for it -- in a pattern, a wildcard),
// U+FFFE and U+FFFF as U+FFFD, and the string ends at a NUL character (SQLite's GLOB stops there).
struct CodePoints
{
    const char16_t *at;
    const char16_t *end;

    bool atEnd() const { return at >= end; }
    char32_t peek() const
    {
        const char16_t *p = at;
        return readAt(p);
    }
    char32_t next() { return readAt(at); }
    char32_t readAt(const char16_t *&p) const
    {
        const char16_t c = *p++;
        if (QChar::isHighSurrogate(c) && p < end && QChar::isLowSurrogate(*p))
            return QChar::surrogateToUcs4(c, *p++);
        if (QChar::isSurrogate(c))
            return U'?';
        if (c == 0xFFFE || c == 0xFFFF)
            return U'\uFFFD';   // sqlite3Utf8Read does the same
        return c;
    }
};

CodePoints codePointsOf(QStringView text)
{
    const qsizetype nul = text.indexOf(QChar(u'\0'));
    return {text.utf16(), text.utf16() + (nul < 0 ? text.size() : nul)};
}

// One element of the pattern (a character, `?` or a set) against one character `c`; advances
// the pattern past it. False for an unterminated set, which SQLite treats as matching nothing.
// Sets read as SQLite reads them (patternCompare): `^` first inverts, a `]` first (after any
// `^`) is a member and starts no range, `a-z` is a range unless `-` is last.
bool matchOne(CodePoints &p, char32_t c)
{
    const char32_t first = p.next();
    if (first == U'?')
        return true;
    if (first != U'[')
        return first == c;
    bool invert = false;
    if (!p.atEnd() && p.peek() == U'^') {
        invert = true;
        p.next();
    }
    bool seen = false;
    char32_t prior = 0;   // the member before a '-', 0 when there is none to start a range
    if (!p.atEnd() && p.peek() == U']') {
        seen = c == U']';
        p.next();
    }
    while (!p.atEnd()) {
        const char32_t m = p.next();
        if (m == U']')
            return seen != invert;
        if (m == U'-' && prior != 0 && !p.atEnd() && p.peek() != U']') {
            const char32_t last = p.next();
            seen = seen || (c >= prior && c <= last);
            prior = 0;
        } else {
            seen = seen || c == m;
            prior = m;
        }
    }
    return false;
}
} // namespace

bool match(QStringView pattern, QStringView text)
{
    CodePoints p = codePointsOf(pattern);
    CodePoints s = codePointsOf(text);
    std::optional<CodePoints> starP;   // where to resume after the last '*'
    CodePoints starS = s;
    while (!s.atEnd()) {
        if (!p.atEnd() && p.peek() == U'*') {
            while (!p.atEnd() && p.peek() == U'*')
                p.next();
            if (p.atEnd())
                return true;
            starP = p;
            starS = s;
            continue;
        }
        CodePoints element = p;
        CodePoints rest = s;
        if (!p.atEnd() && matchOne(element, rest.next())) {
            p = element;
            s = rest;
            continue;
        }
        if (!starP)
            return false;
        // The last '*' takes one more character and the pattern after it starts again.
        p = *starP;
        starS.next();
        s = starS;
    }
    while (!p.atEnd() && p.peek() == U'*')
        p.next();
    return p.atEnd();
}

std::vector<char32_t> codePoints(QStringView text)
{
    std::vector<char32_t> out;
    out.reserve(size_t(text.size()));
    for (CodePoints c = codePointsOf(text); !c.atEnd();)
        out.push_back(c.next());
    return out;
}

} // namespace Gatehouse::SqliteGlob
