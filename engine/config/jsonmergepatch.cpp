#include "jsonmergepatch.h"

namespace Gatehouse::JsonMergePatch {

QJsonValue apply(const QJsonValue &target, const QJsonValue &patch)
{
    if (!patch.isObject())
        return patch;

    // A non-object target (or none at all) is replaced by an empty object first.
    QJsonObject result = target.isObject() ? target.toObject() : QJsonObject();
    applyTo(result, patch.toObject());
    return result;
}

void applyTo(QJsonObject &target, const QJsonObject &patch)
{
    for (auto it = patch.constBegin(); it != patch.constEnd(); ++it) {
        const QJsonValue value = it.value();
        if (value.isNull()) {
            target.remove(it.key());
        } else if (value.isObject()) {
            const auto current = target.constFind(it.key());
            QJsonObject member = current != target.constEnd() && current->isObject() ? current->toObject() : QJsonObject();
            applyTo(member, value.toObject());
            target.insert(it.key(), member);
        } else {
            target.insert(it.key(), value);
        }
    }
}

} // namespace Gatehouse::JsonMergePatch
