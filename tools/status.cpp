#include "status/status.hpp"
#include "cli.hpp"

namespace edgectl::cli {

void add_status(CLI::App& app, Globals& g, Commands& commands) {
    auto* cmd = app.add_subcommand("status", "counts, backlog, active models, last export, disk use");
    commands.add(cmd, [&g] {
        Store store = open_store(g);
        StatusReport r = status(store);
        if (g.json) {
            print_json(to_json(r));
            return Exit::ok;
        }
        auto n = [](std::int64_t v) { return std::to_string(v); };
        say(g, "site " + r.site + " (store " + r.store.string() + ", " + human_bytes(r.disk_bytes) + ")");
        say(g, "items:       " + n(r.items) + " (" + (r.frames ? n(r.frames) + " camera frames; " : std::string()) +
                   n(r.quarantined) + " records quarantined at ingest)");
        say(g, "insights:    " + n(r.insights) + " (" + n(r.anomalies) + " anomalies), " + n(r.unexported) +
                   " waiting for export");
        say(g, "exports:     " + n(r.exports) +
                   (r.last_export ? ", last " + *r.last_export + " at " + *r.last_export_at : "") +
                   (r.unfinished_exports ? ", " + n(r.unfinished_exports) + " unfinished (see 'edgectl exports list')"
                                         : ""));
        if (r.models.empty()) say(g, "models:      none active");
        for (const auto& m : r.models)
            say(g, "model " + m.name + "@" + m.version + ": " + n(m.scored) + " scored, " + n(m.pending) +
                       " not yet scored, " + n(m.quarantined) + " quarantined, " + n(m.anomalies) + " anomalies");
        for (const auto& m : r.models)
            if (m.shadow)
                say(g, "shadow " + m.name + "@" + *m.shadow + ": " + n(m.shadow_answers) + " answers beside " +
                           m.version + " (see 'edgectl models compare " + m.name + "')");
        for (const auto& m : r.models) {
            if (!m.drift_last_flagged) continue;
            std::string last =
                *m.drift_last_flagged ? "DRIFT in the last window (" : "the last window within its thresholds";
            for (std::size_t i = 0; i < m.drift_last_flags.size(); ++i)
                last += (i ? "; " : "") + m.drift_last_flags[i];
            if (*m.drift_last_flagged) last += ")";
            say(g, "drift " + m.name + "@" + m.version + ": " + n(m.drift_flagged) + " of " + n(m.drift_windows) +
                       " windows flagged, " + last + " (see 'edgectl drift')");
        }
        return Exit::ok;
    });
}

}  // namespace edgectl::cli
