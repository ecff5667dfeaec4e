#include "cli.hpp"
#include "util/log.hpp"

#include <cstdio>
#include <iostream>

namespace edgectl::cli {

Store open_store(const Globals& g) { return Store::open(resolve_store_root(g.store)); }

Hub open_hub(const Globals& g) { return Hub::open(resolve_store_root(g.store)); }

// Text that is not UTF-8 (a file name, say) comes out with U+FFFD: the work is done and committed
// by now, and must not end in an exception.
void print_json(const Json& doc) { std::cout << doc.dump(2, ' ', false, Json::error_handler_t::replace) << '\n'; }

void say(const Globals& g, const std::string& line) {
    if (!g.quiet) std::cout << log::printable(line) << '\n';
}

std::string usage_message(const CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
    const std::string hint = " (see 'edgectl --help')";
    // The first word that is not an option (nor --store's value) should be a command.
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--store") {
            ++i;
            continue;
        }
        if (arg.starts_with("-")) continue;
        bool known = false;
        for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
            known = known || sub->get_name() == arg;
        if (!known) return "unknown command '" + arg + "'" + hint;
        break;
    }
    return std::string(e.what()) + hint;
}

std::string fixed(double value, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return buf;
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

}  // namespace edgectl::cli
