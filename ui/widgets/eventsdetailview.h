#pragma once

#include "store/recordedevent.h"

#include "eventlinks.h"

#include <QTextBrowser>

namespace Gatehouse::Ui {

class EventBufferModel;

// The Events page's detail pane: one event as its pretty-printed CloudEvent, its stored
// metadata, and its correlation/causation chain as links. A link names an event id or a
// command id (a command's events carry its id as causationid); each says what it points at in
// the buffer: an event, the first event a command appended, or "not loaded". Following a link
// emits eventLinkActivated(id); the links to the event's stream and document emit
// locationActivated. GUI thread only.
class EventsDetailView final : public QTextBrowser
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventsDetailView)

public:
    explicit EventsDetailView(const EventBufferModel *buffer, QWidget *parent = nullptr);
    ~EventsDetailView() override;

    void display(const RecordedEvent &event);   // renders against the buffer as it is now
    void displayNothing();
    QString shownEventId() const { return m_shownId; }

    static QUrl linkTo(const QString &id);

Q_SIGNALS:
    void eventLinkActivated(const QString &id);
    void locationActivated(const Gatehouse::Ui::Location &location);

private:
    QString chainHtml(const RecordedEvent &event) const;
    QString referenceHtml(const QString &id) const;
    QString rowListHtml(const QList<int> &rows, const QString &skipId) const;
    QString eventLabel(int row) const;

    const EventBufferModel *m_buffer;
    QString m_shownId;
    EventRef m_shown;
};

} // namespace Gatehouse::Ui
