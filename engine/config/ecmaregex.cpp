#include "ecmaregex.h"

namespace Gatehouse::EcmaRegex {

QString toPcre(const QString &ecmaPattern)
{
    QString pcre;
    pcre.reserve(ecmaPattern.size() + 4);
    bool inClass = false;
    for (qsizetype i = 0; i < ecmaPattern.size(); ++i) {
        const QChar c = ecmaPattern.at(i);
        if (c == u'\\') {
            pcre += c;
            if (i + 1 < ecmaPattern.size())
                pcre += ecmaPattern.at(++i);
        } else if (inClass) {
            inClass = c != u']';
            pcre += c;
        } else if (c == u'[') {
            inClass = true;
            pcre += c;
        } else if (c == u'$') {
            pcre += u"\\z";
        } else {
            pcre += c;
        }
    }
    return pcre;
}

QString withMatchLimit(const QString &pcrePattern)
{
    return QStringLiteral("(*LIMIT_MATCH=%1)").arg(kMatchLimit) + pcrePattern;
}

QRegularExpression compile(const QString &ecmaPattern)
{
    // PCRE2 gives up after this many steps of one match (the library's default is ten times
    // as many, tens of milliseconds of catastrophic backtracking); the pattern may only lower
    // it. QRegularExpressionMatch::isValid() is false when it did.
    QRegularExpression regex(withMatchLimit(toPcre(ecmaPattern)));
    // Compile (and JIT) now rather than on the first string that needs it.
    regex.optimize();
    return regex;
}

} // namespace Gatehouse::EcmaRegex
