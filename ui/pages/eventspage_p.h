#pragma once

// EventsPage's state, shared by its two source files: eventspage.cpp (the live view, paging,
// details) and eventspagesearch.cpp (searching the whole log and jumping).

#include "eventspage.h"

#include <limits>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableView;

namespace Gatehouse::Ui {

class EventBufferModel;
class EventFilterProxy;
class EventLiveFeed;
class EventsDetailView;

struct EventsPage::Private
{
    EngineClient *client = nullptr;
    EventBufferModel *buffer = nullptr;
    EventFilterProxy *proxy = nullptr;
    EventLiveFeed *feed = nullptr;
    QTableView *table = nullptr;
    EventsDetailView *detail = nullptr;
    bool detailRefreshQueued = false;   // rows of the shown chain got their full metadata
    QLineEdit *typeFilter = nullptr;
    QLineEdit *subjectFilter = nullptr;
    QLineEdit *textFilter = nullptr;
    QPushButton *pause = nullptr;
    QPushButton *loadOlder = nullptr;
    QSpinBox *capacity = nullptr;
    QLabel *newCount = nullptr;
    QLabel *rows = nullptr;
    QLabel *dropped = nullptr;
    QLabel *message = nullptr;
    bool loadingOlder = false;
    bool followTail = true;
    bool scrollPaused = false;   // paused by scrolling up, not by the button
    // Search and jump.
    QLineEdit *since = nullptr;
    QLineEdit *until = nullptr;
    QLineEdit *jump = nullptr;
    QPushButton *search = nullptr;
    QWidget *searchBar = nullptr;
    QLabel *searchStatus = nullptr;
    QProgressBar *progress = nullptr;
    QPushButton *cancel = nullptr;
    QPushButton *live = nullptr;
    Mode mode = Mode::Live;
    QByteArray searchQuery;       // the filter parameters of /events
    qint64 searchNext = std::numeric_limits<qint64>::max();   // before= of the next request
    qint64 searchHead = 0;
    qint64 searchFound = 0;       // in all
    qint64 foundThisRun = 0;      // since Search log or Load older
    bool searchComplete = false;
    bool searching = false;
    quint64 generation = 0;       // a newer search, jump or return to live makes answers stale
};

} // namespace Gatehouse::Ui
