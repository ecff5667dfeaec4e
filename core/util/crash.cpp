#include "util/crash.hpp"

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <mutex>
#include <string>
#include <unistd.h>
#include <unordered_map>

namespace edgectl::crash {
namespace {

// A point named by a variable: NAME or NAME#N.
struct Target {
    std::string name;
    long pass = 1;
    bool parse(const char* variable) {
        const char* text = std::getenv(variable);
        if (!text || !*text) return false;
        name = text;
        if (auto hash = name.rfind('#'); hash != std::string::npos) {
            pass = std::strtol(name.c_str() + hash + 1, nullptr, 10);
            name.resize(hash);
        }
        return true;
    }
    bool hit(std::string_view point, long n) const { return point == name && n == pass; }
};

// What the environment asked for, read once.
struct Config {
    bool active = false;
    Target kill_at, stop_at;
    int trace_fd = -1;
    std::mutex mutex;
    std::unordered_map<std::string, long> passes;

    Config() {
        active = kill_at.parse("EDGECTL_CRASH_AT");
        active = stop_at.parse("EDGECTL_CRASH_STOP") || active;
        if (const char* trace = std::getenv("EDGECTL_CRASH_TRACE"); trace && *trace) {
            trace_fd = ::open(trace, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
            active = active || trace_fd >= 0;
        }
    }
};

Config& config() {
    static Config c;
    return c;
}

}  // namespace

void point(std::string_view name, const std::filesystem::path& path) {
    Config& c = config();
    if (!c.active) return;
    std::lock_guard lock(c.mutex);
    long pass = ++c.passes[std::string(name)];
    if (c.trace_fd >= 0) {
        // One write(2) per line with O_APPEND: lines of concurrent processes do not interleave.
        std::string line = std::string(name) + "\t" + path.string() + "\n";
        [[maybe_unused]] auto written = ::write(c.trace_fd, line.data(), line.size());
    }
    if (c.stop_at.hit(name, pass)) ::kill(::getpid(), SIGSTOP);
    if (c.kill_at.hit(name, pass)) {
        ::kill(::getpid(), SIGKILL);
        for (;;)
            ::pause();
    }
}

}  // namespace edgectl::crash
