#pragma once

#include "sql/sqliteconnection.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QMutex>
#include <QString>

#include <optional>

namespace Gatehouse::Simulation {

// The reports of finished runs, in simulation.db beside the other stores: one row per run
// with its scenario, state and the whole report (series included). Kept apart from config.db,
// which is small and rarely written, and from the log. The newest kMaxRuns are kept; older
// ones are deleted as new ones are stored. Thread-safe: one connection behind a mutex (runs
// are written once each and read rarely), used through Qt SQL (QSqlQuery on the connection's
// QSqlDatabase object, from whichever thread holds the mutex).
class RunStore final
{
    Q_DISABLE_COPY_MOVE(RunStore)

public:
    static constexpr int kMaxRuns = 200;

    RunStore() = default;
    bool open(const QString &path, QString *error);
    // The reason of a run the engine's stop (or crash) cut short.
    static QString engineStoppedReason() { return QStringLiteral("the engine stopped during the run"); }

    // A run is recorded when it starts (state "running") and replaced by its report when it
    // ends. Runs still "running" when the store opens were cut short by the engine stopping:
    // they become "failed" with that reason, keeping what their last save held.
    bool save(const QJsonObject &report);
    std::optional<QJsonObject> report(const QString &id) const;
    // Newest first, without "series" and "histogram" members (GET /admin/runs).
    QJsonArray summaries() const;
    bool remove(const QString &id);

    static QJsonObject summary(const QJsonObject &report);

private:
    mutable QMutex m_mutex;
    mutable SqliteConnection m_db;
};

} // namespace Gatehouse::Simulation
