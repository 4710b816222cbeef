#pragma once

#include <QString>

#include <optional>

namespace Gatehouse::Simulation {

class SeededRandom;

// Plain text for generated documents: words of a chosen length, and the JSON Schema string
// formats a document is likely to carry. Pure functions of the random generator passed in.
namespace TextGenerator {

// Lowercase words separated by single spaces, `minLength` to `maxLength` characters
// (maxLength < 0: no limit), 4 to 24 when the limits allow; never starting or ending with a
// space. Below 6 characters, random letters (a few words' prefixes would hardly vary).
QString words(SeededRandom &random, qint64 minLength = 0, qint64 maxLength = -1);

// A value of a JSON Schema format: date-time (RFC 3339, UTC), date, time, email,
// uuid (version 4), uri, hostname, ipv4, ipv6; nullopt for a format it does not know.
std::optional<QString> format(const QString &name, SeededRandom &random);

} // namespace TextGenerator
} // namespace Gatehouse::Simulation
