#include "textgenerator.h"

#include "seededrandom.h"

#include <QStringList>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Gatehouse::Simulation::TextGenerator {

namespace {

// Short, neutral words: documents stay readable in the console and in exported reports.
constexpr const char *kWords[] = {
    "amber", "anchor", "apple", "arrow", "basil", "birch", "blue", "cedar", "cloud", "copper",
    "coral", "delta", "ember", "fern", "flint", "frost", "garnet", "harbor", "hazel", "iris",
    "jade", "juniper", "kite", "lark", "lemon", "linen", "maple", "marble", "meadow", "mint",
    "nova", "oak", "olive", "onyx", "orbit", "pearl", "pine", "quartz", "raven", "river",
    "sage", "silver", "slate", "spruce", "stone", "tide", "umber", "velvet", "willow", "zephyr",
};
constexpr quint64 kWordCount = sizeof(kWords) / sizeof(kWords[0]);

QString word(SeededRandom &random)
{
    return QString::fromLatin1(kWords[random.below(kWordCount)]);
}

QString number(SeededRandom &random, qint64 low, qint64 high, int width)
{
    return u"%1"_s.arg(random.between(low, high), width, 10, QLatin1Char('0'));
}

QString uuid(SeededRandom &random)
{
    QString hex = random.hex(32);
    hex[12] = u'4';                                               // version 4
    hex[16] = QLatin1Char("89ab"[random.below(4)]);               // variant 10
    return hex.left(8) % u'-' % hex.mid(8, 4) % u'-' % hex.mid(12, 4) % u'-' % hex.mid(16, 4) % u'-' % hex.mid(20);
}

} // namespace

QString words(SeededRandom &random, qint64 minLength, qint64 maxLength)
{
    const qint64 high = maxLength < 0 ? std::max<qint64>(minLength, 24) : maxLength;
    const qint64 low = std::min(minLength, high);
    const qint64 length = random.between(std::clamp<qint64>(4, low, high), std::clamp<qint64>(24, low, high));
    QString text;
    if (length < 6) {
        // Too short for words to vary: letters.
        for (qint64 i = 0; i < length; ++i)
            text.append(QLatin1Char(char('a' + random.below(26))));
        return text;
    }
    while (text.size() < length)
        text += (text.isEmpty() ? QString() : u" "_s) % word(random);
    text.truncate(qsizetype(length));
    if (text.endsWith(u' '))
        text[text.size() - 1] = u's';
    return text;
}

std::optional<QString> format(const QString &name, SeededRandom &random)
{
    const QString date = number(random, 2020, 2030, 4) % u'-' % number(random, 1, 12, 2) % u'-' % number(random, 1, 28, 2);
    const QString time = number(random, 0, 23, 2) % u':' % number(random, 0, 59, 2) % u':' % number(random, 0, 59, 2);
    if (name == u"date-time")
        return date % u'T' % time % u'.' % number(random, 0, 999, 3) % u'Z';
    if (name == u"date")
        return date;
    if (name == u"time")
        return time % u'Z';
    if (name == u"email")
        return word(random) % u'.' % word(random) % number(random, 1, 999, 0) % u"@example.com"_s;
    if (name == u"uuid")
        return uuid(random);
    if (name == u"uri" || name == u"url" || name == u"iri")
        return u"https://"_s % word(random) % u".example.com/"_s % word(random) % u'/' % number(random, 1, 9999, 0);
    if (name == u"hostname" || name == u"idn-hostname")
        return word(random) % u'-' % number(random, 1, 99, 0) % u".example.com"_s;
    if (name == u"ipv4")
        return u"%1.%2.%3.%4"_s.arg(random.between(1, 223)).arg(random.below(256)).arg(random.below(256)).arg(random.between(1, 254));
    if (name == u"ipv6") {
        QStringList groups{u"2001"_s, u"db8"_s};   // the documentation prefix (RFC 3849)
        for (int i = 0; i < 6; ++i)
            groups.append(QString::number(random.below(0x10000), 16));
        return groups.join(u':');
    }
    return std::nullopt;
}

} // namespace Gatehouse::Simulation::TextGenerator
