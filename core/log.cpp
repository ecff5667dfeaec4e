#include "log.hpp"

#include <cstdio>
#include <mutex>

namespace edgectl::log {
namespace {
Level current = Level::normal;
bool progress_on = false;
std::mutex stderr_lock;    ///< one line at a time on stderr
bool line_drawn = false;   ///< a progress line is on screen (to be erased before other output)

void erase_line() {
    if (!line_drawn) return;
    std::fputs("\r\033[K", stderr);
    line_drawn = false;
}

void emit(std::string_view prefix, std::string_view message) {
    std::lock_guard lock(stderr_lock);
    erase_line();
    std::fprintf(stderr, "edgectl: %.*s%.*s\n", int(prefix.size()), prefix.data(), int(message.size()),
                 message.data());
}

// 1234567 -> "1,234,567"
std::string grouped(std::uint64_t n) {
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
        out.push_back(digits[i]);
    }
    return out;
}

std::string rate(double per_second) {
    char text[32];
    if (per_second >= 1e6) std::snprintf(text, sizeof text, "%.1fM/s", per_second / 1e6);
    else if (per_second >= 1e3) std::snprintf(text, sizeof text, "%.1fk/s", per_second / 1e3);
    else std::snprintf(text, sizeof text, "%.0f/s", per_second);
    return text;
}
} // namespace

void enable_progress(bool on) { progress_on = on; }
bool progress_enabled() { return progress_on; }

Progress::Progress(std::string what, std::string unit, std::uint64_t total)
    : what_(std::move(what)), unit_(std::move(unit)), total_(total), enabled_(progress_on),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

Progress::~Progress() {
    if (!enabled_) return;
    std::lock_guard lock(stderr_lock);
    erase_line();
    std::fflush(stderr);
}

void Progress::maybe_draw() {
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    double seconds = std::chrono::duration<double>(now - start_).count();
    std::string line = what_ + ": " + grouped(done_);
    if (total_ > 0) line += " of " + grouped(total_);
    line += " " + unit_;
    if (total_ > 0) line += " (" + std::to_string(done_ * 100 / total_) + "%)";
    if (seconds > 0) line += ", " + rate(double(done_) / seconds);
    std::lock_guard lock(stderr_lock);
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
    line_drawn = true;
}

void set_level(Level l) { current = l; }
Level level() { return current; }

void warning(std::string_view message) {
    if (current != Level::quiet) emit("warning: ", message);
}

void debug(std::string_view message) {
    if (current == Level::verbose) emit("", message);
}

void error(std::string_view message) { emit("error: ", message); }

} // namespace edgectl::log
