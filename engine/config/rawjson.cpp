#include "rawjson.h"

#include "strictjson.h"

#include <optional>

namespace Gatehouse {

namespace {
// Where the whitespace, string or value at `i` ends. Never past the end, whatever the text.
qsizetype skipSpace(QByteArrayView t, qsizetype i)
{
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
        ++i;
    return i;
}

qsizetype skipString(QByteArrayView t, qsizetype i)   // t[i] is the opening quote
{
    for (++i; i < t.size(); ++i) {
        if (t[i] == '\\')
            ++i;
        else if (t[i] == '"')
            return i + 1;
    }
    return t.size();
}

qsizetype skipValue(QByteArrayView t, qsizetype i)
{
    if (i >= t.size())
        return i;
    if (t[i] == '"')
        return skipString(t, i);
    if (t[i] != '{' && t[i] != '[') {
        while (i < t.size() && t[i] != ',' && t[i] != ']' && t[i] != '}' && t[i] != ' ' && t[i] != '\t' && t[i] != '\n' && t[i] != '\r')
            ++i;
        return i;
    }
    int depth = 0;
    while (i < t.size()) {
        const char c = t[i];
        if (c == '"') {
            i = skipString(t, i);
            continue;
        }
        if (c == '{' || c == '[')
            ++depth;
        else if ((c == '}' || c == ']') && --depth == 0)
            return i + 1;
        ++i;
    }
    return i;
}

// Whether the member name `quoted` (with its quotes, as written) is `key`: compared as it
// stands, or, when written with escapes ("\u0061"), as the string it stands for.
bool nameIs(QByteArrayView quoted, QByteArrayView key)
{
    if (quoted.size() < 2)
        return false;
    if (!quoted.contains('\\'))
        return quoted.sliced(1, quoted.size() - 2) == key;
    const std::optional<QJsonValue> name = StrictJson::parse(quoted);
    return name && name->isString() && name->toString() == QString::fromUtf8(key);
}

} // namespace

QList<QByteArrayView> RawJson::arrayMember(QByteArrayView json, QByteArrayView key)
{
    QList<QByteArrayView> out;
    qsizetype i = skipSpace(json, 0);
    if (i >= json.size() || json[i] != '{')
        return out;
    i = skipSpace(json, i + 1);
    while (i < json.size() && json[i] == '"') {
        const qsizetype keyStart = i;
        i = skipString(json, i);
        const bool found = nameIs(json.sliced(keyStart, i - keyStart), key);
        i = skipSpace(json, i);
        if (i >= json.size() || json[i] != ':')
            return out;
        i = skipSpace(json, i + 1);
        if (found && i < json.size() && json[i] == '[') {
            i = skipSpace(json, i + 1);
            while (i < json.size() && json[i] != ']') {
                const qsizetype start = i;
                i = skipValue(json, i);
                out.append(json.sliced(start, i - start));
                i = skipSpace(json, i);
                if (i < json.size() && json[i] == ',')
                    i = skipSpace(json, i + 1);
                else
                    break;
            }
            return out;
        }
        i = skipSpace(json, skipValue(json, i));
        if (i >= json.size() || json[i] != ',')
            return out;
        i = skipSpace(json, i + 1);
    }
    return out;
}

} // namespace Gatehouse
