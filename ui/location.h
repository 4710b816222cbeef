#pragma once

#include <QList>
#include <QString>

namespace Gatehouse::Ui {

// A place in the console a link can open: a page, or a thing on one (an event on the Events
// page, a stream at one of its events, a document, a function, a dead letter). Pages ask the
// main window to open one (their openRequested signal); it keeps where the user has been.
struct Location
{
    enum class Kind : quint8 { Page, Event, Stream, Document, Function, DeadLetter, DeadLettersOfEvent };

    Kind kind = Kind::Page;
    int page = 0;            // Kind::Page: a MainWindow::Page
    QString collection;      // Stream, Document
    QString id;              // the event's id, the entity's id, the function's name, the letter's id
    qint64 position = -1;    // Event: its position if known; Stream: the event to step to (-1: the newest)

    static Location ofPage(int page);
    static Location ofEvent(const QString &id, qint64 position = -1);
    static Location ofStream(const QString &collection, const QString &id, qint64 position = -1);
    static Location ofDocument(const QString &collection, const QString &id);
    static Location ofFunction(const QString &name);
    static Location ofDeadLetter(const QString &id);
    static Location ofDeadLettersOfEvent(const QString &eventId, qint64 position = -1);

    // What Back and Forward say they go to ("stream products-p1 at #12").
    QString description() const;

    friend bool operator==(const Location &a, const Location &b)
    {
        return a.kind == b.kind && a.page == b.page && a.collection == b.collection && a.id == b.id && a.position == b.position;
    }
    friend bool operator!=(const Location &a, const Location &b) { return !(a == b); }
};

// Where the user has been, as a browser keeps it: visiting a place drops what lay ahead of the
// current one; back() and forward() move through the rest. At most kMaxEntries, the oldest
// forgotten first.
class NavigationHistory
{
public:
    static constexpr qsizetype kMaxEntries = 100;

    void visit(const Location &location);   // a repeat of the current place is not a new one
    bool canGoBack() const { return m_index > 0; }
    bool canGoForward() const { return m_index + 1 < m_entries.size(); }
    Location back();      // the place before the current one, now current
    Location forward();   // the place after it, now current
    const Location *current() const { return m_index >= 0 ? &m_entries.at(m_index) : nullptr; }
    const Location *previous() const { return canGoBack() ? &m_entries.at(m_index - 1) : nullptr; }
    const Location *next() const { return canGoForward() ? &m_entries.at(m_index + 1) : nullptr; }
    qsizetype size() const { return m_entries.size(); }

private:
    QList<Location> m_entries;
    qsizetype m_index = -1;
};

} // namespace Gatehouse::Ui
