#include "score/drift.hpp"
#include "cli.hpp"

#include <algorithm>

namespace edgectl::cli {
namespace {

// "alcohol 0.742, color_intensity 0.341, ...": a window's features by PSI, the largest first.
std::string largest(const Json& psi, std::size_t shown) {
    std::vector<std::pair<double, std::string>> by;
    for (const auto& [name, value] : psi.items())
        if (value.is_number()) by.emplace_back(value.get<double>(), name);
    std::sort(by.begin(), by.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::string out;
    for (std::size_t i = 0; i < by.size() && i < shown; ++i)
        out += (i ? ", " : "") + by[i].second + " " + fixed(by[i].first);
    return out;
}

}  // namespace

void add_drift(CLI::App& app, Globals& g, Commands& commands) {
    struct Options {
        std::string model;
        std::size_t limit = 20;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("drift", "drift of the scored data from each model's training data, per window");
    cmd->add_option("--model", o->model, "only this model")->type_name("NAME");
    cmd->add_option("--limit", o->limit, "the newest N windows (default 20; 0: all)");
    commands.add(cmd, [&g, o] {
        Store store = open_store(g);
        auto windows = drift_windows(store.db(), o->model, o->limit);
        if (g.json) {
            Json out = Json::array();
            for (const auto& w : windows)
                out.push_back(to_json(w));
            print_json({{"windows", out}});
            return Exit::ok;
        }
        if (windows.empty())
            say(g, "no drift windows: a model measures drift when its model.json carries a reference (docs/drift.md)");
        for (const auto& w : windows) {
            std::string head = w.model + "@" + w.version + " items " + std::to_string(w.first_item) + "-" +
                               std::to_string(w.last_item) + " (" + std::to_string(w.items) + "): ";
            if (w.closed_at.empty()) {
                say(g, head + "open, since " + w.opened_at);
                continue;
            }
            const Json& d = w.indices;
            std::string line = head + (w.flagged ? "DRIFT" : "ok") + ", closed " + w.closed_at;
            if (d.is_object()) {
                line += "; largest PSI: " + largest(d.value("psi", Json::object()), 3);
                if (d.contains("labels_js")) line += "; labels JS " + fixed(d["labels_js"].get<double>());
                if (d.contains("scores_psi")) line += "; scores PSI " + fixed(d["scores_psi"].get<double>());
            }
            say(g, line);
            if (d.is_object())
                for (const auto& flag : d.value("flags", Json::array()))
                    say(g, "  " + flag.get<std::string>());
        }
        return Exit::ok;
    });
}

}  // namespace edgectl::cli
