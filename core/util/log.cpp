#include "util/log.hpp"

#include "util/ndjson.hpp"

#include <cstdio>
#include <mutex>

namespace edgectl::log {
namespace {
Level current = Level::normal;
bool progress_on = false;
std::mutex stderr_lock;   ///< one line at a time on stderr
bool line_drawn = false;  ///< a progress line is on screen (to be erased before other output)

void erase_line() {
    if (!line_drawn) return;
    std::fputs("\r\033[K", stderr);
    line_drawn = false;
}

void emit(std::string_view prefix, std::string_view message) {
    std::string text = printable(message);
    std::lock_guard lock(stderr_lock);
    erase_line();
    std::fprintf(stderr, "edgectl: %.*s%s\n", int(prefix.size()), prefix.data(), text.c_str());
}

void escape(std::string& out, unsigned char c) {
    static constexpr char hex[] = "0123456789abcdef";
    out += "\\x";
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 0xf]);
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
    if (per_second >= 1e6)
        std::snprintf(text, sizeof text, "%.1fM/s", per_second / 1e6);
    else if (per_second >= 1e3)
        std::snprintf(text, sizeof text, "%.1fk/s", per_second / 1e3);
    else
        std::snprintf(text, sizeof text, "%.0f/s", per_second);
    return text;
}
}  // namespace

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7f) {
            escape(out, c);
            ++i;
        } else if (c < 0x80) {
            out.push_back(char(c));
            ++i;
        } else {
            // A well-formed UTF-8 character passes, unless it is a C1 control (U+0080..U+009F).
            std::size_t n = 1;
            while (n < 4 && i + n < text.size() && (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80)
                ++n;
            std::string_view ch = text.substr(i, n);
            bool c1 = c == 0xC2 && n == 2 && static_cast<unsigned char>(ch[1]) < 0xA0;
            if (!c1 && is_valid_utf8(ch)) {
                out.append(ch);
                i += n;
            } else {
                escape(out, c);
                ++i;
            }
        }
    }
    return out;
}

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
    std::string line = printable(what_) + ": " + grouped(done_);
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

}  // namespace edgectl::log
