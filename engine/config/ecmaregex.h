#pragma once

#include <QRegularExpression>
#include <QString>

namespace Gatehouse {

// JSON Schema patterns are ECMA-262 regular expressions; QRegularExpression is PCRE2. The
// difference that matters for validation: PCRE's `$` also matches before a final "\n", so
// "^[A-Z]{3}$" would accept "ABC\n". EcmaRegex compiles a pattern with every `$` outside a
// character class turned into `\z` (end of input), as ECMA (without the m flag) means it.
namespace EcmaRegex {

QString toPcre(const QString &ecmaPattern);
QRegularExpression compile(const QString &ecmaPattern);  // compiled and optimised already

} // namespace EcmaRegex
} // namespace Gatehouse
