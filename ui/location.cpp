#include "location.h"

#include "mainwindow.h"

#include <QCoreApplication>

namespace Gatehouse::Ui {

Location Location::ofPage(int page)
{
    Location l;
    l.page = page;
    return l;
}

Location Location::ofEvent(const QString &id, qint64 position)
{
    Location l;
    l.kind = Kind::Event;
    l.page = MainWindow::Events;
    l.id = id;
    l.position = position;
    return l;
}

Location Location::ofStream(const QString &collection, const QString &id, qint64 position)
{
    Location l;
    l.kind = Kind::Stream;
    l.page = MainWindow::Streams;
    l.collection = collection;
    l.id = id;
    l.position = position;
    return l;
}

Location Location::ofDocument(const QString &collection, const QString &id)
{
    Location l;
    l.kind = Kind::Document;
    l.page = MainWindow::ReadModels;
    l.collection = collection;
    l.id = id;
    return l;
}

Location Location::ofFunction(const QString &name)
{
    Location l;
    l.kind = Kind::Function;
    l.page = MainWindow::Functions;
    l.id = name;
    return l;
}

Location Location::ofDeadLetter(const QString &id)
{
    Location l;
    l.kind = Kind::DeadLetter;
    l.page = MainWindow::Functions;
    l.id = id;
    return l;
}

Location Location::ofDeadLettersOfEvent(const QString &eventId, qint64 position)
{
    Location l;
    l.kind = Kind::DeadLettersOfEvent;
    l.page = MainWindow::Functions;
    l.id = eventId;
    l.position = position;
    return l;
}

QString Location::description() const
{
    auto tr = [](const char *text) { return QCoreApplication::translate("Gatehouse::Ui::Location", text); };
    switch (kind) {
    case Kind::Page:
        return MainWindow::pageTitle(MainWindow::Page(page));
    case Kind::Event:
        return position >= 0 ? tr("event #%1").arg(position) : tr("event %1").arg(id);
    case Kind::Stream:
        return position >= 0 ? tr("stream %1-%2 at #%3").arg(collection, id).arg(position) : tr("stream %1-%2").arg(collection, id);
    case Kind::Document:
        return tr("document %1/%2").arg(collection, id);
    case Kind::Function:
        return tr("function %1").arg(id);
    case Kind::DeadLetter:
        return tr("dead letter %1").arg(id);
    case Kind::DeadLettersOfEvent:
        return position >= 0 ? tr("dead letters of event #%1").arg(position) : tr("dead letters of event %1").arg(id);
    }
    return {};
}

void NavigationHistory::visit(const Location &location)
{
    if (const Location *here = current(); here && *here == location)
        return;
    m_entries.resize(m_index + 1);
    m_entries.append(location);
    if (m_entries.size() > kMaxEntries)
        m_entries.remove(0, m_entries.size() - kMaxEntries);
    m_index = m_entries.size() - 1;
}

Location NavigationHistory::back()
{
    if (canGoBack())
        --m_index;
    return m_index >= 0 ? m_entries.at(m_index) : Location();
}

Location NavigationHistory::forward()
{
    if (canGoForward())
        ++m_index;
    return m_index >= 0 ? m_entries.at(m_index) : Location();
}

} // namespace Gatehouse::Ui
