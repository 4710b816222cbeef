#pragma once

#include <QString>
#include <QStringView>

namespace Gatehouse {

// Building JSON Pointers (RFC 6901) for error paths: "~" and "/" in a member name must be
// escaped, or "/a~1b" and "/a/b" could not be told apart.
namespace JsonPointer {

QString escapeToken(QStringView token);
QString append(const QString &pointer, QStringView memberName);
QString append(const QString &pointer, qsizetype arrayIndex);

} // namespace JsonPointer
} // namespace Gatehouse
