#include "fixture.hpp"
#include "util/notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <array>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace edgectl;
using edgectl::test::TempDirFixture;

namespace {

// An environment variable set for one scope.
struct Env {
    Env(const char* name, const std::string& value) : name_(name) { ::setenv(name, value.c_str(), 1); }
    ~Env() { ::unsetenv(name_); }
    Env(const Env&) = delete;
    Env& operator=(const Env&) = delete;
    const char* name_;
};

}  // namespace

TEST_CASE_METHOD(TempDirFixture, "notify: each state reaches the service manager's socket as one datagram") {
    const std::string path = (dir / "notify.sock").string();
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
    {
        Env socket("NOTIFY_SOCKET", path);
        notify::send("READY=1");
        notify::send("STATUS=ingested 3 items");
    }
    notify::send("STOPPING=1");  // no NOTIFY_SOCKET: nothing is sent
    std::array<char, 256> buffer{};
    for (const char* want : {"READY=1", "STATUS=ingested 3 items"}) {
        ssize_t n = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
        REQUIRE(n > 0);
        CHECK(std::string(buffer.data(), std::size_t(n)) == want);
    }
    CHECK(::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT) < 0);
    ::close(fd);
}

TEST_CASE("notify: the watchdog's interval is read for this process only") {
    CHECK(notify::watchdog_seconds() == 0);
    Env usec("WATCHDOG_USEC", "30000000");
    CHECK(notify::watchdog_seconds() == 30);
    {
        Env pid("WATCHDOG_PID", std::to_string(::getpid()));
        CHECK(notify::watchdog_seconds() == 30);
    }
    {
        Env pid("WATCHDOG_PID", std::to_string(::getpid() + 1));
        CHECK(notify::watchdog_seconds() == 0);
    }
    Env garbage("WATCHDOG_USEC", "soon");
    CHECK(notify::watchdog_seconds() == 0);
}
