#pragma once

#include <QByteArrayView>
#include <QList>

namespace Gatehouse::RawJson {

// The text of each element of the array that is member `key` of the object `json`, exactly as
// written there (whitespace around an element left out): a stored value passed on inside a
// larger JSON text keeps its bytes, members in their order, where a QJsonObject would sort
// them. For a text StrictJson::check() or Qt's parser accepted; any other text gives some
// slices of it or none, never a read past its end. Only `json`'s own members are looked at,
// not nested ones, by name (also when the name is written with escapes); empty when there is
// no such member or it is not an array.
QList<QByteArrayView> arrayMember(QByteArrayView json, QByteArrayView key);

} // namespace Gatehouse::RawJson
