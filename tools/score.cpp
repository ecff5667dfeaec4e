#include "score/score.hpp"
#include "cli.hpp"
#include "util/log.hpp"

namespace edgectl::cli {

void add_score(CLI::App& app, Globals& g, Commands& commands) {
    auto o = std::make_shared<ScoreOptions>();
    auto* cmd = app.add_subcommand("score", "score every item not yet scored by the active version of each model");
    cmd->add_option("--model", o->model, "score with this model only");
    cmd->add_option("--batch", o->batch, "items per forward pass")->capture_default_str();
    cmd->add_option("--threads", o->threads, "LibTorch threads")->capture_default_str();
    cmd->add_option("--limit", o->limit, "score at most N items per model (0: all)")->capture_default_str();
    cmd->add_option("--time-budget", o->time_budget, "stop at the first batch boundary after this many seconds")
        ->type_name("SECONDS");
    commands.add(cmd, [&g, o] {
        Store store = open_store(g);
        auto lock = store.lock("score");
        ScoreResult r = score(store, lock, *o);
        if (g.json) {
            print_json(to_json(r));
        } else {
            for (const auto& m : r.models)
                say(g,
                    m.name + "@" + m.version + ": scored " + std::to_string(m.scored) + " items, " +
                        std::to_string(m.anomalies) + " anomalies, " + std::to_string(m.quarantined) + " quarantined" +
                        (m.drift_windows > 0 ? ", " + std::to_string(m.drift_windows) + " drift windows closed" : "") +
                        (m.shadow_version.empty() ? ""
                                                  : "; shadow " + m.shadow_version + " answered " +
                                                        std::to_string(m.shadow_scored - m.shadow_failed) + " of " +
                                                        std::to_string(m.shadow_scored)));
            for (const auto& m : r.models)
                if (m.drift_flagged > 0)
                    log::warning(m.name + "@" + m.version + ": drift from its training data in " +
                                 std::to_string(m.drift_flagged) + " of the " + std::to_string(m.drift_windows) +
                                 " windows closed (see 'edgectl drift')");
            if (r.out_of_time) say(g, "stopped at the time budget; the next run goes on from here");
        }
        return r.partial() ? Exit::partial : Exit::ok;
    });
}

}  // namespace edgectl::cli
