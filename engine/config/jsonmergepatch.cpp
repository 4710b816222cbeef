#include "jsonmergepatch.h"

#include <QJsonObject>

namespace Gatehouse::JsonMergePatch {

QJsonValue apply(const QJsonValue &target, const QJsonValue &patch)
{
    if (!patch.isObject())
        return patch;

    // A non-object target (or none at all) is replaced by an empty object first.
    QJsonObject result = target.isObject() ? target.toObject() : QJsonObject();
    const QJsonObject members = patch.toObject();
    for (auto it = members.constBegin(); it != members.constEnd(); ++it) {
        if (it.value().isNull())
            result.remove(it.key());
        else
            result.insert(it.key(), apply(result.value(it.key()), it.value()));
    }
    return result;
}

} // namespace Gatehouse::JsonMergePatch
