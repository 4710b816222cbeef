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

QRegularExpression compile(const QString &ecmaPattern)
{
    QRegularExpression regex(toPcre(ecmaPattern));
    // Compile (and JIT) now rather than on the first string that needs it.
    regex.optimize();
    return regex;
}

} // namespace Gatehouse::EcmaRegex
