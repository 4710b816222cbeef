#pragma once

#include <QHash>
#include <QString>

#include <cstddef>

namespace Gatehouse {

// The hasher for std::unordered_map<QString, ...>. Deliberately not noexcept: libstdc++ then
// keeps each node's hash, so a lookup walking a bucket compares stored hashes instead of
// hashing again every key it passes (it does that for noexcept hashers like
// std::hash<QString>, which made lookups in large maps several times slower).
struct QStringHash
{
    size_t operator()(const QString &s) const { return size_t(qHash(s)); }   // NOLINT(performance-noexcept-*)
};

} // namespace Gatehouse
