#include "crash.hpp"

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <mutex>
#include <string>
#include <unistd.h>
#include <unordered_map>

namespace edgectl::crash {
namespace {

// What the environment asked for, read once.
struct Config {
    bool active = false;
    std::string kill_at;     ///< the point's name, without '#N'
    long kill_count = 1;     ///< at its N-th pass
    int trace_fd = -1;
    std::mutex mutex;
    std::unordered_map<std::string, long> passes;

    Config() {
        if (const char* at = std::getenv("EDGECTL_CRASH_AT"); at && *at) {
            kill_at = at;
            if (auto hash = kill_at.rfind('#'); hash != std::string::npos) {
                kill_count = std::strtol(kill_at.c_str() + hash + 1, nullptr, 10);
                kill_at.resize(hash);
            }
            active = true;
        }
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

} // namespace

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
    if (name == c.kill_at && pass == c.kill_count) {
        ::kill(::getpid(), SIGKILL);
        for (;;) ::pause();
    }
}

} // namespace edgectl::crash
