#pragma once

#include "store/eventstore.h"

#include <QObject>

#include <memory>

namespace Gatehouse {

class CollectionCatalog;
class CommandService;
class ConfigStore;
class Gateway;

struct EngineOptions
{
    QString dataDir;                                             // events.db, readmodel.db, config.db
    EventStore::Durability durability = EventStore::Durability::Full;
    QString projectFile;                                         // empty: the embedded product catalog
    QString adminKey;                                            // empty: from config.db, generated on first start
};

// The headless engine: owns the stores, the command side and the gateway, and starts and
// stops them in order (store -> catalog -> command side -> gateway; stop in reverse, flushing
// pending appends). Lives on the thread that created it; its parts document their own threads.
// Protocol servers and the GUI attach to it from outside.
class Engine final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Engine)

public:
    explicit Engine(QObject *parent = nullptr);
    ~Engine() override;

    bool start(const EngineOptions &options);
    void stop();
    bool isRunning() const;
    QString errorString() const;

    EngineOptions options() const;
    EventStore *eventStore() const;
    Gateway *gateway() const;
    CommandService *commands() const;
    const CollectionCatalog *collections() const;
    ConfigStore *configStore() const;

    QString adminKey() const;
    bool adminKeyWasGenerated() const;   // true on the start that created it (print it once)

    static QString defaultDataDir();

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse
