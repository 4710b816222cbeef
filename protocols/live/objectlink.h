#pragma once

#include <QMetaObject>
#include <QMutex>
#include <QThread>

#include <functional>
#include <utility>

namespace Gatehouse::Live {

// The way from other threads to an object that lives on one thread (a network thread's feed,
// hub or session) and may be gone by then. Its owner sets `target` under `mutex` and clears it
// before the object goes; nothing is posted to it afterwards, and what was posted before is
// dropped with it.
template<typename T>
struct ObjectLink
{
    QMutex mutex;
    T *target = nullptr;

    // Queues `call(target)` to the object's thread, if the object is still there.
    template<typename Call>
    void post(Call call)
    {
        const QMutexLocker lock(&mutex);
        if (target)
            QMetaObject::invokeMethod(target, [t = target, call = std::move(call)] { call(t); }, Qt::QueuedConnection);
    }

    // Runs `work` on the object's thread and waits (at once on that thread). `take` clears the
    // link first: `work` may then delete the object. False when there is no object.
    bool runBlocking(const std::function<void(T *)> &work, bool take)
    {
        T *object = nullptr;
        {
            const QMutexLocker lock(&mutex);
            object = take ? std::exchange(target, nullptr) : target;
        }
        if (!object)
            return false;
        if (object->thread() == QThread::currentThread())
            work(object);
        else
            QMetaObject::invokeMethod(object, [object, work] { work(object); }, Qt::BlockingQueuedConnection);
        return true;
    }
};

} // namespace Gatehouse::Live
