#pragma once

#include <QtGlobal>

#include <functional>

class QObject;

namespace Gatehouse::Live {

// A live connection stays authorised only as long as the credential its upgrade or stream
// request was accepted with: `expired` runs on `owner`'s thread once the wall clock passes
// `expiresAtMs` (ms since the epoch; 0 or less: the credential does not expire). The timer is a
// child of `owner` and goes with it.
void callAtExpiry(QObject *owner, qint64 expiresAtMs, std::function<void()> expired);

} // namespace Gatehouse::Live
