#include "cli.hpp"

#include <cstdio>
#include <iostream>

namespace edgectl::cli {

void print_json(const Json& doc) { std::cout << doc.dump(2) << '\n'; }

void say(const Globals& g, const std::string& line) {
    if (!g.quiet) std::cout << line << '\n';
}

std::string human_bytes(std::uint64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = double(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        ++unit;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
    return buf;
}

} // namespace edgectl::cli
