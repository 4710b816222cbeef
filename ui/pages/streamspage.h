#pragma once

#include "store/recordedevent.h"

#include "location.h"

#include <QWidget>

#include <memory>

namespace Gatehouse::Ui {

class EngineClient;
class StreamsBrowser;
struct ClientReply;

// Time travel through one entity: pick a collection and id, load its events with
// GET /events?stream=<collection>-<id> (paged), list them in order, and move a slider over
// them to see the state after each event (folded like the read model, StreamHistory) and what
// that event changed (StreamDiffModel). For every step the page also asks the engine for the
// same moment, GET /api/{collection}/{id}?at_position=N, shows its answer beside the local
// fold and says whether the two agree. New live events of the loaded entity are appended.
// GUI thread only.
class StreamsPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StreamsPage)

public:
    static constexpr int kPageSize = 1000;   // GET /events' maximum limit

    explicit StreamsPage(EngineClient *client, QWidget *parent = nullptr);
    ~StreamsPage() override;

    void loadEntity(const QString &collection, const QString &id);
    // Loads the entity's stream (unless it is the one shown) and steps to the event at
    // `position` (-1, or not in the stream: the newest).
    void openStream(const QString &collection, const QString &id, qint64 position);
    StreamsBrowser *browser() const;
    int stepCount() const;
    int currentStep() const;   // -1 when nothing is loaded
    void setStep(int step);

Q_SIGNALS:
    void openRequested(const Gatehouse::Ui::Location &location);

private:
    void buildUi();
    QWidget *buildStatePanes();
    void requestPage(qint64 from);
    void pageArrived(const ClientReply &reply);
    void loaded();
    QString countText() const;
    void liveEvents(const RecordedEvents &events);
    void showStep(int step);
    void showPosition(qint64 position);
    void showStepLabel(int step);
    void showLocalState(int step);
    void compareWithServer(int step);
    void serverAnswered(int step, const ClientReply &reply);

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse::Ui
