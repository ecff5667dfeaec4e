#pragma once
// Time as edgectl reads it, behind one small interface that tests replace: the monotonic clock
// for budgets (score --time-budget) and the wall clock for the timestamps written to the store.
// Code that reads time takes a `const Clock&` (default: system_clock()) instead of calling
// std::chrono directly, so that a test can step time exactly where it wants.

#include <chrono>
#include <string>

namespace edgectl {

class Clock {
  public:
    virtual ~Clock() = default;
    /// Monotonic time, for deadlines and rates; never goes back.
    virtual std::chrono::steady_clock::time_point steady() const = 0;
    /// Wall-clock time, for timestamps.
    virtual std::chrono::system_clock::time_point wall() const = 0;
};

/// The real clocks (std::chrono::steady_clock and system_clock).
const Clock& system_clock();

/// A wall-clock time as ISO-8601 UTC with seconds, e.g. 2026-11-22T08:15:00Z.
std::string format_utc(std::chrono::system_clock::time_point t);

/// The deadline `seconds` after now on clock (seconds <= 0: none, time_point::max()).
std::chrono::steady_clock::time_point deadline_after(const Clock& clock, double seconds);

}  // namespace edgectl
