#pragma once

#include <QByteArrayView>
#include <QList>
#include <QString>

#include <optional>
#include <utility>

namespace Gatehouse {

// An If-Match condition on a command (RFC 9110 13.1.1): "*" (the entity exists) or a list of
// entity tags, each naming a stream version -- "3" as a query's ETag gives it, and also W/"3"
// and a bare 3 as clients write them. Several header lines are one list (joined with ", ");
// empty list elements are skipped. Anything else -- a tag that is not a version, "*" inside a
// list, no element at all -- is malformed, and the command is refused (400), never run
// without the condition the client meant.
class IfMatch
{
public:
    static std::optional<IfMatch> parse(QByteArrayView value);
    // A request's If-Match lines (lower-case header names) as one list, as parse() reads it;
    // nullopt when there is none (an empty line is given, and refused by parse()).
    static std::optional<QByteArray> joinLines(const QList<std::pair<QByteArray, QByteArray>> &headers);

    // `exists`: the entity has a current state (created and not deleted).
    bool matches(qint64 version, bool exists) const
    {
        return m_any ? exists : m_versions.contains(version);
    }
    bool isAny() const { return m_any; }
    // For a 412's detail: "version 3", "version 1 or 3", "an existing ...".
    QString describe() const;

private:
    bool m_any = false;
    QList<qint64> m_versions;
};

} // namespace Gatehouse
