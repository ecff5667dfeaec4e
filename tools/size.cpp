#include "cli.hpp"

#include <cmath>
#include <map>

namespace edgectl::cli {

std::uint64_t parse_size(const std::string& text) {
    std::size_t end = 0;
    double value = 0;
    try {
        value = std::stod(text, &end);
    } catch (const std::exception&) { end = 0; }
    std::string unit = text.substr(end);
    static const std::map<std::string, double> units = {{"", 1},
                                                        {"B", 1},
                                                        {"K", 1024.0},
                                                        {"KiB", 1024.0},
                                                        {"M", 1048576.0},
                                                        {"MiB", 1048576.0},
                                                        {"G", 1073741824.0},
                                                        {"GiB", 1073741824.0},
                                                        {"T", 1099511627776.0},
                                                        {"TiB", 1099511627776.0}};
    auto it = units.find(unit);
    if (end == 0 || it == units.end() || !(value > 0))
        throw Error("'" + text + "' is not a size (e.g. 500M, 4G, 1T)", Exit::usage);
    return std::uint64_t(std::llround(value * it->second));
}

}  // namespace edgectl::cli
