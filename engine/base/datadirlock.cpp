#include "datadirlock.h"

#include <QDir>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace Gatehouse {

DataDirLock::~DataDirLock()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

bool DataDirLock::tryLock()
{
    const QByteArray path = QDir(m_dir).filePath(QStringLiteral("gatehouse.lock")).toLocal8Bit();
    m_fd = ::open(path.constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (m_fd < 0) {
        m_error = QString::fromLocal8Bit(std::strerror(errno));
        return false;
    }
    if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
        m_error = errno == EWOULDBLOCK ? QStringLiteral("locked") : QString::fromLocal8Bit(std::strerror(errno));
        ::close(m_fd);
        m_fd = -1;
        return false;
    }
    const QByteArray pid = QByteArray::number(qint64(::getpid())) + '\n';
    if (::ftruncate(m_fd, 0) == 0)
        [[maybe_unused]] const auto n = ::pwrite(m_fd, pid.constData(), size_t(pid.size()), 0);
    return true;
}

} // namespace Gatehouse
