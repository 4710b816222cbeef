#pragma once

#include <QStringView>

#include <vector>

namespace Gatehouse::SqliteGlob {

// Whether `text` matches `pattern` as SQLite's GLOB decides it (patternCompare) on the UTF-8 the
// engine binds (QString::toUtf8()): `*` any run, `?` one character, `[a-z]` / `[^a-z]` sets (a
// `]` first is a member and starts no range, `-` last is a member), case-sensitive, code point
// by code point. As SQLite reads that UTF-8: a lone surrogate is the '?' toUtf8() writes for it,
// U+FFFE and U+FFFF read as U+FFFD, and a string ends at a NUL. The event log's `type GLOB ?`,
// the live clients' filters and the searches of /events all select with it.
bool match(QStringView pattern, QStringView text);

// The code points SQLite reads from the UTF-8 of `text` as the engine binds it (as match() reads
// them): for those that translate a glob into another engine's pattern language.
std::vector<char32_t> codePoints(QStringView text);

} // namespace Gatehouse::SqliteGlob
