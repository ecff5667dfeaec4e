#include "log.hpp"

#include <cstdio>

namespace edgectl::log {
namespace {
Level current = Level::normal;

void emit(std::string_view prefix, std::string_view message) {
    std::fprintf(stderr, "edgectl: %.*s%.*s\n", int(prefix.size()), prefix.data(), int(message.size()),
                 message.data());
}
} // namespace

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
