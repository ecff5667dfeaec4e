#pragma once
// Diagnostics on stderr, prefixed as DESIGN.md §4 says. Results go to stdout, never through here.

#include <string_view>

namespace edgectl::log {

enum class Level { quiet, normal, verbose };

/// Set once at start from -q / -v.
void set_level(Level level);
Level level();

/// "edgectl: warning: …" unless --quiet.
void warning(std::string_view message);
/// "edgectl: …" debug detail, only with --verbose.
void debug(std::string_view message);
/// "edgectl: error: …", always.
void error(std::string_view message);

} // namespace edgectl::log
