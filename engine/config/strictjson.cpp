#include "strictjson.h"

#include <QHashFunctions>
#include <QJsonArray>
#include <QJsonDocument>
#include <QVarLengthArray>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <unordered_set>

namespace Gatehouse {

namespace {

struct ViewHash
{
    size_t operator()(QByteArrayView v) const noexcept { return qHash(v); }
};

int hexValue(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void appendUtf8(QByteArray *out, char32_t cp)
{
    if (cp < 0x80) {
        out->append(char(cp));
    } else if (cp < 0x800) {
        out->append(char(0xC0 | (cp >> 6)));
        out->append(char(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out->append(char(0xE0 | (cp >> 12)));
        out->append(char(0x80 | ((cp >> 6) & 0x3F)));
        out->append(char(0x80 | (cp & 0x3F)));
    } else {
        out->append(char(0xF0 | (cp >> 18)));
        out->append(char(0x80 | ((cp >> 12) & 0x3F)));
        out->append(char(0x80 | ((cp >> 6) & 0x3F)));
        out->append(char(0x80 | (cp & 0x3F)));
    }
}

// Member names seen in one object: a short list scanned linearly, a hash set past it, so a
// hostile object with 100,000 members costs linear time, not quadratic.
class MemberNames
{
public:
    bool insert(QByteArrayView name)
    {
        if (m_set.empty()) {
            for (QByteArrayView seen : m_small) {
                if (seen == name)
                    return false;
            }
            if (m_small.size() < kSmall) {
                m_small.append(name);
                return true;
            }
            m_set.insert(m_small.cbegin(), m_small.cend());
        }
        return m_set.insert(name).second;
    }
    // Storage for a name that had escapes: the view above must point at its decoded form.
    QByteArrayView keep(QByteArray decoded)
    {
        m_decoded.push_back(std::move(decoded));
        return m_decoded.back();
    }

private:
    static constexpr qsizetype kSmall = 16;
    QVarLengthArray<QByteArrayView, kSmall> m_small;
    std::unordered_set<QByteArrayView, ViewHash> m_set;
    std::deque<QByteArray> m_decoded;
};

class Scanner
{
public:
    Scanner(QByteArrayView text, int maxDepth)
        : m_begin(reinterpret_cast<const unsigned char *>(text.data()))
        , m_p(m_begin)
        , m_end(m_begin + text.size())
        , m_maxDepth(maxDepth)
    {
    }

    bool run()
    {
        if (m_end - m_p >= 3 && m_p[0] == 0xEF && m_p[1] == 0xBB && m_p[2] == 0xBF)
            return fail("a byte order mark is not allowed before JSON text");
        skipWhitespace();
        if (!value(0))
            return false;
        skipWhitespace();
        if (m_p != m_end)
            return fail("unexpected data after the JSON value");
        return true;
    }

    StrictJson::Error error() const { return {m_errorOffset, QString::fromLatin1(m_error)}; }
    QString errorMessage() const { return m_errorMessage; }

private:
    bool fail(const char *message)
    {
        return failAt(m_p, message);
    }
    bool failAt(const unsigned char *at, const char *message)
    {
        if (m_errorOffset < 0) {
            m_errorOffset = at - m_begin;
            m_error = message;
        }
        return false;
    }

    void skipWhitespace()
    {
        while (m_p != m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t'))
            ++m_p;
    }

    bool value(int depth)
    {
        if (m_p == m_end)
            return fail("unexpected end of input, a value was expected");
        switch (*m_p) {
        case '{': return object(depth + 1);
        case '[': return array(depth + 1);
        case '"': return string(nullptr);
        case 't': return literal("true");
        case 'f': return literal("false");
        case 'n': return literal("null");
        default:
            if (*m_p == '-' || (*m_p >= '0' && *m_p <= '9'))
                return number();
            return fail("unexpected character, a value was expected");
        }
    }

    bool literal(const char *word)
    {
        const unsigned char *start = m_p;
        for (const char *w = word; *w; ++w, ++m_p) {
            if (m_p == m_end || *m_p != static_cast<unsigned char>(*w))
                return failAt(start, "invalid literal (true, false and null are the only words)");
        }
        return true;
    }

    bool digits()
    {
        if (m_p == m_end || *m_p < '0' || *m_p > '9')
            return false;
        while (m_p != m_end && *m_p >= '0' && *m_p <= '9')
            ++m_p;
        return true;
    }

    bool number()
    {
        const unsigned char *start = m_p;
        if (*m_p == '-')
            ++m_p;
        if (m_p != m_end && *m_p == '0') {
            ++m_p;
            if (m_p != m_end && *m_p >= '0' && *m_p <= '9')
                return fail("a number must not have leading zeros");
        } else if (!digits()) {
            return fail("invalid number: a digit was expected");
        }
        bool exponent = false;
        if (m_p != m_end && *m_p == '.') {
            ++m_p;
            if (!digits())
                return fail("invalid number: a digit must follow the decimal point");
        }
        if (m_p != m_end && (*m_p == 'e' || *m_p == 'E')) {
            ++m_p;
            if (m_p != m_end && (*m_p == '+' || *m_p == '-'))
                ++m_p;
            if (!digits())
                return fail("invalid number: the exponent needs digits");
            exponent = true;
        }
        // Only an exponent or a very long mantissa can leave the range of a double; overflow and
        // underflow are both refused (Qt's parser refuses them too).
        if (exponent || m_p - start > 300) {
            const QByteArray text(reinterpret_cast<const char *>(start), m_p - start);
            errno = 0;
            const double value = std::strtod(text.constData(), nullptr);
            if (!std::isfinite(value) || errno == ERANGE)
                return failAt(start, "number out of range (it must fit an IEEE 754 double)");
        }
        return true;
    }

    // A string at m_p (on its opening quote). With `decoded`, a name with escapes is also
    // unescaped into it (names are compared after unescaping).
    bool string(QByteArray *decoded, bool *hadEscapes = nullptr)
    {
        const unsigned char *open = m_p;
        ++m_p;
        // Qt's parser drops a U+FEFF written raw at the start of a string (it takes it for a
        // byte order mark): "\xEF\xBB\xBFprice" would be a name of its own here and "price"
        // to the value Qt builds. Escaped, it reads the same to both.
        if (m_end - m_p >= 3 && m_p[0] == 0xEF && m_p[1] == 0xBB && m_p[2] == 0xBF)
            return fail("a string cannot begin with U+FEFF (a byte order mark) written raw; escape it as \\ufeff");
        const unsigned char *runStart = m_p;
        bool escapes = false;
        for (;;) {
            if (m_p == m_end)
                return failAt(open, "unterminated string");
            const unsigned char c = *m_p;
            if (c == '"') {
                if (decoded && escapes)
                    decoded->append(reinterpret_cast<const char *>(runStart), m_p - runStart);
                ++m_p;
                if (hadEscapes)
                    *hadEscapes = escapes;
                return true;
            }
            if (c == '\\') {
                if (decoded)
                    decoded->append(reinterpret_cast<const char *>(runStart), m_p - runStart);
                escapes = true;
                if (!escape(decoded))
                    return false;
                runStart = m_p;
            } else if (c < 0x20) {
                return fail("a control character in a string must be escaped");
            } else if (c < 0x80) {
                ++m_p;
            } else if (!utf8Sequence()) {
                return false;
            }
        }
    }

    bool hex4(char32_t *out)
    {
        if (m_end - m_p < 4)
            return fail("\\u needs four hexadecimal digits");
        char32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            const int h = hexValue(m_p[i]);
            if (h < 0)
                return failAt(m_p + i, "\\u needs four hexadecimal digits");
            v = (v << 4) | char32_t(h);
        }
        m_p += 4;
        *out = v;
        return true;
    }

    bool escape(QByteArray *decoded)
    {
        const unsigned char *start = m_p;
        ++m_p;
        if (m_p == m_end)
            return failAt(start, "unterminated escape");
        char plain = 0;
        switch (*m_p) {
        case '"': plain = '"'; break;
        case '\\': plain = '\\'; break;
        case '/': plain = '/'; break;
        case 'b': plain = '\b'; break;
        case 'f': plain = '\f'; break;
        case 'n': plain = '\n'; break;
        case 'r': plain = '\r'; break;
        case 't': plain = '\t'; break;
        case 'u': {
            ++m_p;
            char32_t cp = 0;
            if (!hex4(&cp))
                return false;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return failAt(start, "unpaired surrogate escape in a string");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                char32_t low = 0;
                if (m_end - m_p < 2 || m_p[0] != '\\' || m_p[1] != 'u')
                    return failAt(start, "unpaired surrogate escape in a string");
                m_p += 2;
                if (!hex4(&low))
                    return false;
                if (low < 0xDC00 || low > 0xDFFF)
                    return failAt(start, "unpaired surrogate escape in a string");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            if (decoded)
                appendUtf8(decoded, cp);
            return true;
        }
        default:
            return failAt(start, "invalid escape in a string");
        }
        ++m_p;
        if (decoded)
            decoded->append(plain);
        return true;
    }

    // One multi-byte UTF-8 sequence at m_p: shortest form, no surrogates, at most U+10FFFF.
    bool utf8Sequence()
    {
        const unsigned char c = *m_p;
        int continuation = 0;
        unsigned char low = 0x80, high = 0xBF;   // the allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) {
            continuation = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            continuation = 2;
            if (c == 0xE0)
                low = 0xA0;
            else if (c == 0xED)
                high = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            continuation = 3;
            if (c == 0xF0)
                low = 0x90;
            else if (c == 0xF4)
                high = 0x8F;
        } else {
            return fail("invalid UTF-8 in a string");
        }
        if (m_end - m_p <= continuation)
            return fail("invalid UTF-8 in a string (truncated sequence)");
        if (m_p[1] < low || m_p[1] > high)
            return fail("invalid UTF-8 in a string");
        for (int i = 2; i <= continuation; ++i) {
            if ((m_p[i] & 0xC0) != 0x80)
                return fail("invalid UTF-8 in a string");
        }
        m_p += continuation + 1;
        return true;
    }

    // On '{' or '[': steps in; *empty when the container closes at once.
    bool enter(int depth, unsigned char close, bool *empty)
    {
        if (depth > m_maxDepth)
            return depthExceeded();
        ++m_p;
        skipWhitespace();
        *empty = m_p != m_end && *m_p == close;
        if (*empty)
            ++m_p;
        return true;
    }

    // After a member or an element: ',' (*more) or the closing bracket.
    bool next(unsigned char close, const char *expected, bool *more)
    {
        skipWhitespace();
        if (m_p == m_end || (*m_p != ',' && *m_p != close))
            return fail(expected);
        *more = *m_p == ',';
        ++m_p;
        skipWhitespace();
        return true;
    }

    bool object(int depth)
    {
        bool empty = false;
        if (!enter(depth, '}', &empty) || empty)
            return empty;   // false when enter() failed
        MemberNames names;
        for (bool more = true; more;) {
            if (m_p == m_end || *m_p != '"')
                return fail("a member name (a string) was expected");
            const unsigned char *nameStart = m_p;
            QByteArray decoded;
            bool escapes = false;
            if (!string(&decoded, &escapes))
                return false;
            const QByteArrayView name = escapes
                ? names.keep(std::move(decoded))
                : QByteArrayView(reinterpret_cast<const char *>(nameStart + 1), m_p - nameStart - 2);
            if (!names.insert(name))
                return failAt(nameStart, "duplicate member name in an object");
            skipWhitespace();
            if (m_p == m_end || *m_p != ':')
                return fail("':' was expected after a member name");
            ++m_p;
            skipWhitespace();
            if (!value(depth) || !next('}', "',' or '}' was expected in an object", &more))
                return false;
        }
        return true;
    }

    bool array(int depth)
    {
        bool empty = false;
        if (!enter(depth, ']', &empty) || empty)
            return empty;   // false when enter() failed
        for (bool more = true; more;) {
            if (!value(depth) || !next(']', "',' or ']' was expected in an array", &more))
                return false;
        }
        return true;
    }

    bool depthExceeded()
    {
        if (m_errorOffset < 0)
            m_errorMessage = QStringLiteral("nested deeper than %1 levels").arg(m_maxDepth);
        return fail("nested too deep");
    }

    const unsigned char *m_begin;
    const unsigned char *m_p;
    const unsigned char *m_end;
    int m_maxDepth;
    qsizetype m_errorOffset = -1;
    const char *m_error = "";
    QString m_errorMessage;   // when the message needs a number in it
};

} // namespace

QString StrictJson::Error::toString() const
{
    return offset < 0 ? message : QStringLiteral("%1 at offset %2").arg(message).arg(offset);
}

bool StrictJson::check(QByteArrayView text, Error *error, int maxDepth)
{
    Scanner scanner(text, maxDepth);
    if (scanner.run())
        return true;
    if (error) {
        *error = scanner.error();
        if (const QString m = scanner.errorMessage(); !m.isEmpty())
            error->message = m;
    }
    return false;
}

std::optional<QJsonValue> StrictJson::parse(QByteArrayView text, Error *error, int maxDepth)
{
    if (!check(text, error, maxDepth))
        return std::nullopt;
    // Checked strict JSON is a subset of what Qt's parser reads, and Qt reads it to the same
    // value; Qt's parser takes only an array or an object at the top, so a scalar is wrapped.
    qsizetype first = 0;
    while (first < text.size() && (text[first] == ' ' || text[first] == '\n' || text[first] == '\r' || text[first] == '\t'))
        ++first;
    const char opening = text[first];
    QJsonParseError qtError;
    if (opening == '{' || opening == '[') {
        const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromRawData(text.data(), text.size()), &qtError);
        if (qtError.error == QJsonParseError::NoError)
            return doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array());
    } else {
        const QJsonDocument doc = QJsonDocument::fromJson('[' + text.toByteArray() + ']', &qtError);
        if (qtError.error == QJsonParseError::NoError && doc.array().size() == 1)
            return doc.array().first();
    }
    if (error)
        *error = {qtError.offset, qtError.errorString()};
    return std::nullopt;
}

std::optional<QJsonObject> StrictJson::parseObject(QByteArrayView text, Error *error, int maxDepth)
{
    std::optional<QJsonValue> value = parse(text, error, maxDepth);
    if (!value)
        return std::nullopt;
    if (!value->isObject()) {
        if (error)
            *error = {-1, QStringLiteral("the JSON value must be an object")};
        return std::nullopt;
    }
    return value->toObject();
}

int StrictJson::depth(const QJsonValue &value, int stopAt)
{
    if (stopAt <= 0 || (!value.isObject() && !value.isArray()))
        return 0;
    int deepest = 0;
    if (value.isObject()) {
        const QJsonObject o = value.toObject();
        for (auto it = o.constBegin(); it != o.constEnd() && deepest + 1 < stopAt; ++it)
            deepest = std::max(deepest, depth(it.value(), stopAt - 1));
    } else {
        const QJsonArray a = value.toArray();
        for (qsizetype i = 0; i < a.size() && deepest + 1 < stopAt; ++i)
            deepest = std::max(deepest, depth(a.at(i), stopAt - 1));
    }
    return deepest + 1;
}

namespace {
// Qt writes U+FEFF raw, and its parser drops one written raw at the start of a string (string()
// above refuses it for that reason): a string beginning with one would not read back. Escaped it
// reads the same everywhere. A quote followed by it is either a string's start or an escaped
// quote inside one, and in both places \ufeff is the same character, so each is escaped.
QByteArray withLeadingBomsEscaped(QByteArray json)
{
    if (json.contains("\xEF\xBB\xBF"))
        json.replace("\"\xEF\xBB\xBF", "\"\\ufeff");
    return json;
}
} // namespace

QByteArray StrictJson::canonical(const QJsonObject &object)
{
    return withLeadingBomsEscaped(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

QByteArray StrictJson::canonical(const QJsonValue &value)
{
    if (value.isObject())
        return canonical(value.toObject());
    if (value.isArray())
        return withLeadingBomsEscaped(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    // A scalar: serialised inside an array, then unwrapped.
    const QByteArray wrapped = withLeadingBomsEscaped(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact));
    return wrapped.mid(1, wrapped.size() - 2);
}

} // namespace Gatehouse
