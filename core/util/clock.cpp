#include "util/clock.hpp"

#include <ctime>

namespace edgectl {
namespace {

class SystemClock final : public Clock {
  public:
    std::chrono::steady_clock::time_point steady() const override { return std::chrono::steady_clock::now(); }
    std::chrono::system_clock::time_point wall() const override { return std::chrono::system_clock::now(); }
};

}  // namespace

const Clock& system_clock() {
    static const SystemClock clock;
    return clock;
}

std::string format_utc(std::chrono::system_clock::time_point t) {
    std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::chrono::steady_clock::time_point deadline_after(const Clock& clock, double seconds) {
    if (seconds <= 0) return std::chrono::steady_clock::time_point::max();
    return clock.steady() +
           std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
}

}  // namespace edgectl
