#include "credentialexpiry.h"

#include <QDateTime>
#include <QTimer>

#include <algorithm>

namespace Gatehouse::Live {

namespace {
// A QTimer holds at most about 24 days: a later expiry is waited for in steps.
constexpr qint64 kLongestStepMs = 24LL * 3600 * 1000;
} // namespace

void callAtExpiry(QObject *owner, qint64 expiresAtMs, std::function<void()> expired)
{
    if (expiresAtMs <= 0)
        return;
    auto *timer = new QTimer(owner);
    timer->setSingleShot(true);
    const auto arm = [timer, expiresAtMs] {
        const qint64 left = expiresAtMs - QDateTime::currentMSecsSinceEpoch();
        timer->start(int(std::clamp<qint64>(left, 0, kLongestStepMs)));
    };
    QObject::connect(timer, &QTimer::timeout, owner, [timer, expiresAtMs, arm, expired = std::move(expired)] {
        if (QDateTime::currentMSecsSinceEpoch() < expiresAtMs) {
            arm();
            return;
        }
        timer->deleteLater();
        expired();
    });
    arm();
}

} // namespace Gatehouse::Live
