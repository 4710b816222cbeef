#include "processsignals.h"

#include <QSocketNotifier>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

namespace {
int g_fds[2] = {-1, -1};

void onSignal(int signal)
{
    const char byte = char(signal);
    [[maybe_unused]] const auto n = ::write(g_fds[0], &byte, 1);
}
} // namespace

ProcessSignals::ProcessSignals(std::function<void()> onStop, std::function<void()> onReload, QObject *parent)
    : QObject(parent)
    , m_onStop(std::move(onStop))
    , m_onReload(std::move(onReload))
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_fds) != 0)
        return;
    m_notifier = new QSocketNotifier(g_fds[1], QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, [this] {
        char byte = 0;
        if (::read(g_fds[1], &byte, 1) != 1)
            return;
        if (byte == SIGHUP) {
            if (m_onReload)
                m_onReload();
            return;
        }
        m_onStop();
    });
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    if (m_onReload)
        sigaction(SIGHUP, &action, nullptr);
}

ProcessSignals::~ProcessSignals()
{
    std::signal(SIGTERM, SIG_DFL);
    std::signal(SIGINT, SIG_DFL);
    if (m_onReload)
        std::signal(SIGHUP, SIG_DFL);
    delete m_notifier;
    ::close(g_fds[0]);
    ::close(g_fds[1]);
}
