#pragma once

#include "sql/sqliteconnection.h"

#include <QMutex>
#include <QString>

namespace Gatehouse {

// config.db: the engine's own settings (and, as the gateway grows, routes, consumers and
// functions). Small and rarely written, so one connection guarded by a mutex serves every
// thread.
class ConfigStore final
{
public:
    ConfigStore() = default;
    bool open(const QString &path, QString *error);
    void close();

    QString setting(const QString &key, const QString &fallback = {}) const;
    bool setSetting(const QString &key, const QString &value);

private:
    mutable QMutex m_mutex;
    mutable SqliteConnection m_db;
};

} // namespace Gatehouse
