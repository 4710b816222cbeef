#pragma once

#include <QString>

namespace Gatehouse {

// An advisory exclusive lock (flock) on DIR/gatehouse.lock, held while an engine or an
// offline tool works on a data directory. Released when the object goes away or the
// process dies, so a killed engine never leaves a stale lock behind.
class DataDirLock final
{
public:
    explicit DataDirLock(QString dir) : m_dir(std::move(dir)) {}
    ~DataDirLock();
    DataDirLock(const DataDirLock &) = delete;
    DataDirLock &operator=(const DataDirLock &) = delete;

    bool tryLock();
    QString errorString() const { return m_error; }

private:
    QString m_dir;
    QString m_error;
    int m_fd = -1;
};

} // namespace Gatehouse
