#pragma once
// Timing and reporting shared by the benchmark harnesses: wall and CPU time, one result line.

#include <chrono>
#include <cstdio>
#include <ctime>

namespace bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU time of the whole process (every thread), to tell time spent computing from time spent
// waiting (for fsync, say).
inline double cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

// The line scripts/bench.sh parses.
inline void report(double seconds, double cpu, long items) {
    std::printf("seconds=%.6f cpu_seconds=%.6f items=%ld items_per_s=%.1f\n", seconds, cpu, items,
                double(items) / seconds);
}

}  // namespace bench
