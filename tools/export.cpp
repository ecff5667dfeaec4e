#include "cli.hpp"
#include "export.hpp"

namespace edgectl::cli {

void add_export(CLI::App& app, Globals& g, Commands& commands) {
    auto o = std::make_shared<ExportOptions>();
    auto* cmd = app.add_subcommand("export", "write the next export archive (a BagIt bag in .tar.zst) to DIR");
    cmd->add_option("--to", o->to, "target directory, e.g. a mounted Data Box disk")->required()->type_name("DIR");
    cmd->add_flag("--dry-run", o->dry_run, "say what would be exported; write nothing");
    commands.add(cmd, [&g, o] {
        Store store = Store::open(resolve_store_root(g.store));
        auto lock = store.lock("export");
        ExportResult r = export_next(store, *o);
        if (g.json) {
            print_json(to_json(r));
        } else if (r.dry_run) {
            say(g, "would export " + std::to_string(r.pending_insights) + " insights (" +
                       std::to_string(r.pending_anomalies) + " anomalies) to " + o->to.string());
        } else {
            for (const auto& a : r.archives)
                say(g, "wrote " + a.path.string() + " (" + std::to_string(a.insights) + " insights, " +
                           std::to_string(a.anomalies) + " anomalies, " + human_bytes(a.bytes) + ")" +
                           (a.recovered ? " [finished for an interrupted run]" : ""));
            if (r.archives.empty()) say(g, "nothing to export");
        }
        return Exit::ok;
    });
}

} // namespace edgectl::cli
