#pragma once

// Shared by the fuzz targets: invariant checks that end the process like a sanitizer finding
// (so libFuzzer saves the input), and silence for the engine's log output, which would
// otherwise cost more than the code under test.

#include <QByteArray>
#include <QLoggingCategory>
#include <QString>

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition, what)                                                              \
    do {                                                                                         \
        if (!(condition))                                                                        \
            ::Fuzz::fail(__FILE__, __LINE__, #condition, what);                                  \
    } while (false)

namespace Fuzz {

[[noreturn]] inline void fail(const char *file, int line, const char *condition, const QString &what)
{
    std::fprintf(stderr, "\nFUZZ INVARIANT BROKEN at %s:%d: %s\n  %s\n", file, line, condition,
                 what.toLocal8Bit().constData());
    std::fflush(stderr);
    std::abort();
}

inline void quietLogs()
{
    QLoggingCategory::setFilterRules(QStringLiteral("*=false"));
}

// Bytes as text for a message: printable ASCII as is, the rest as \xNN, at most 200 bytes.
inline QString printable(const QByteArray &bytes)
{
    QString out;
    for (qsizetype i = 0; i < bytes.size() && i < 200; ++i) {
        const auto c = static_cast<unsigned char>(bytes.at(i));
        if (c >= 0x20 && c < 0x7f)
            out += QLatin1Char(char(c));
        else
            out += QStringLiteral("\\x%1").arg(c, 2, 16, QLatin1Char('0'));
    }
    return bytes.size() > 200 ? out + QStringLiteral("...") : out;
}

} // namespace Fuzz
