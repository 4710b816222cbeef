#include "jsonpointer.h"

namespace Gatehouse::JsonPointer {

QString escapeToken(QStringView token)
{
    if (!token.contains(u'~') && !token.contains(u'/'))
        return token.toString();
    QString escaped;
    escaped.reserve(token.size() + 4);
    for (const QChar c : token) {
        if (c == u'~')
            escaped += u"~0";
        else if (c == u'/')
            escaped += u"~1";
        else
            escaped += c;
    }
    return escaped;
}

QString append(const QString &pointer, QStringView memberName)
{
    return pointer % u'/' % escapeToken(memberName);
}

QString append(const QString &pointer, qsizetype arrayIndex)
{
    return pointer % u'/' % QString::number(arrayIndex);
}

} // namespace Gatehouse::JsonPointer
