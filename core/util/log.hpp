#pragma once
// Diagnostics on stderr, prefixed as docs/commands.md says. Results go to stdout, never through here.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace edgectl::log {

enum class Level { quiet, normal, verbose };

/// text made safe for a terminal: control characters (C0, DEL, and C1 as UTF-8), which hostile
/// names could carry to move the cursor, recolour or retitle the operator's terminal, become
/// visible escapes ('\x1b'), as do bytes that are not UTF-8. Every line edgectl prints for people
/// goes through it, on stderr and on stdout; --json output is escaped as JSON instead.
std::string printable(std::string_view text);

/// Set once at start from -q / -v.
void set_level(Level level);
Level level();

/// "edgectl: warning: …" unless --quiet.
void warning(std::string_view message);
/// "edgectl: …" debug detail, only with --verbose.
void debug(std::string_view message);
/// "edgectl: error: …", always.
void error(std::string_view message);

/// Whether Progress draws: the CLI turns it on when stderr is a terminal and not --quiet.
void enable_progress(bool on);
bool progress_enabled();

/// A progress line on stderr for long work ("score wine@1.0.0: 120,000 of 300,000 items, 95k/s"),
/// redrawn in place at most five times a second and erased when done; nothing at all unless
/// enabled. advance() is cheap enough to call per record. One at a time, from one thread.
class Progress {
  public:
    /// total 0: unknown.
    Progress(std::string what, std::string unit, std::uint64_t total = 0);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void advance(std::uint64_t n = 1) {
        done_ += n;
        if (enabled_ && (calls_++ & 63) == 0) maybe_draw();
    }

  private:
    void maybe_draw();
    std::string what_, unit_;
    std::uint64_t total_, done_ = 0, calls_ = 0;
    bool enabled_;
    std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace edgectl::log
