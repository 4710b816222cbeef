#pragma once

#include <QRegularExpression>
#include <QString>

namespace Gatehouse {

// JSON Schema patterns are ECMA-262 regular expressions; QRegularExpression is PCRE2. The
// difference that matters for validation: PCRE's `$` also matches before a final "\n", so
// "^[A-Z]{3}$" would accept "ABC\n". EcmaRegex compiles a pattern with every `$` outside a
// character class turned into `\z` (end of input), as ECMA (without the m flag) means it.
namespace EcmaRegex {

constexpr int kMatchLimit = 1000000;   // PCRE2 match limit of every compiled pattern
QString toPcre(const QString &ecmaPattern);
// A PCRE pattern with kMatchLimit set in it, for patterns that are not ECMA's (route vars,
// CORS origins, rewrites, globs) but are matched against what clients send: a match that
// backtracks past the limit gives up (QRegularExpressionMatch::isValid() false) within
// milliseconds instead of tens of them.
QString withMatchLimit(const QString &pcrePattern);
QRegularExpression compile(const QString &ecmaPattern);  // compiled and optimised already

} // namespace EcmaRegex
} // namespace Gatehouse
