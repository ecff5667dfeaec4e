#include "util/notify.hpp"
#include "util/log.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace edgectl::notify {

void send(std::string_view state) {
    const char* socket_path = std::getenv("NOTIFY_SOCKET");
    if (!socket_path || !*socket_path) return;
    std::string_view path(socket_path);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof(address.sun_path) || (path[0] != '/' && path[0] != '@')) {
        log::debug("NOTIFY_SOCKET is not a socket path: " + std::string(path));
        return;
    }
    std::memcpy(address.sun_path, path.data(), path.size());
    if (path[0] == '@') address.sun_path[0] = '\0';  // an abstract socket
    const auto length = socklen_t(offsetof(sockaddr_un, sun_path) + path.size());
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        log::debug("cannot open a socket to notify the service manager: " + std::string(std::strerror(errno)));
        return;
    }
    if (::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&address), length) < 0)
        log::debug("cannot notify the service manager: " + std::string(std::strerror(errno)));
    ::close(fd);
}

double watchdog_seconds() {
    const char* usec = std::getenv("WATCHDOG_USEC");
    if (!usec) return 0;
    if (const char* pid = std::getenv("WATCHDOG_PID"); pid && std::strtol(pid, nullptr, 10) != ::getpid()) return 0;
    char* end = nullptr;
    const unsigned long long value = std::strtoull(usec, &end, 10);
    return end != usec && *end == '\0' ? double(value) / 1e6 : 0;
}

}  // namespace edgectl::notify
