#include "eventlivefeed.h"

#include "eventbuffermodel.h"

#include <algorithm>

namespace Gatehouse::Ui {

EventLiveFeed::EventLiveFeed(EventBufferModel *model, QObject *parent)
    : QObject(parent)
    , m_model(model)
{
}

EventLiveFeed::~EventLiveFeed() = default;

void EventLiveFeed::receive(const RecordedEvents &events, qint64 dropped)
{
    m_dropped += dropped;
    if (!m_paused) {
        m_model->appendEvents(events);
    } else {
        // Only what the table does not have yet is new: a live copy of an event already shown
        // (read in the CloudEvent form, say) only brings its full metadata.
        const qint64 known = m_held.isEmpty() ? m_model->newestPosition() : qMax(m_model->newestPosition(), m_held.constLast().position);
        m_newWhilePaused += std::count_if(events.cbegin(), events.cend(), [known](const RecordedEvent &e) { return e.position > known; }) + dropped;
        m_held += events;
        trimHeld();
    }
    if (dropped > 0 || m_paused)
        Q_EMIT changed();
}

void EventLiveFeed::setPaused(bool paused)
{
    if (paused == m_paused)
        return;
    m_paused = paused;
    if (!paused) {
        // Everything held goes in as one batch: one remove and one insert (or a reset).
        const RecordedEvents held = std::exchange(m_held, {});
        m_newWhilePaused = 0;
        m_model->appendEvents(held);
    }
    Q_EMIT changed();
}

void EventLiveFeed::holdBack(const RecordedEvents &displaced)
{
    if (displaced.isEmpty())
        return;
    m_held = displaced + m_held;
    trimHeld();
    Q_EMIT changed();
}

void EventLiveFeed::discardHeld()
{
    m_held.clear();
    m_newWhilePaused = 0;
    Q_EMIT changed();
}

void EventLiveFeed::trimHeld()
{
    // More than a buffer's worth would only push itself out again on resume.
    const qsizetype excess = m_held.size() - m_model->capacity();
    if (excess > 0)
        m_held.remove(0, excess);
}

} // namespace Gatehouse::Ui
