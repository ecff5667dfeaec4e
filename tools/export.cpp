#include "cli.hpp"
#include "hub/ack.hpp"
#include "util/log.hpp"

#include "export/export.hpp"
#include "export/ledger.hpp"
#include "store/purge.hpp"

#include <sstream>

namespace edgectl::cli {
namespace {

// "70 insights, 14 anomalies[, N items][, N quarantine rows]": insights count the anomalies too.
std::string describe(const std::map<std::string, std::int64_t>& counts) {
    auto n = [&](const char* c) {
        auto it = counts.find(c);
        return it == counts.end() ? std::int64_t(0) : it->second;
    };
    std::string out =
        std::to_string(n("anomalies") + n("insights")) + " insights, " + std::to_string(n("anomalies")) + " anomalies";
    if (counts.count("items")) out += ", " + std::to_string(n("items")) + " items";
    if (counts.count("quarantine")) out += ", " + std::to_string(n("quarantine")) + " quarantine rows";
    if (counts.count("images")) out += ", " + std::to_string(n("images")) + " frames";
    return out;
}

std::set<std::string> split_list(const std::string& list) {
    std::set<std::string> out;
    std::stringstream in(list);
    for (std::string item; std::getline(in, item, ',');)
        if (!item.empty()) out.insert(item);
    return out;
}

}  // namespace

void add_export(CLI::App& app, Globals& g, Commands& commands) {
    struct Options {
        ExportOptions core;
        std::string max_bytes, include = "anomalies,drift,insights,shadow,summary";
    };
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("export", "write the next export archives (BagIt bags in .tar.zst) to DIR");
    cmd->add_option("--to", o->core.to, "target directory, e.g. a mounted Data Box disk")->required()->type_name("DIR");
    cmd->add_option("--max-bytes", o->max_bytes, "largest archive; more data goes into further volumes (e.g. 4G)")
        ->type_name("SIZE");
    cmd->add_option("--include", o->include,
                    "what to export: anomalies,insights,items,quarantine,summary,drift,shadow, and images (the "
                    "anomalies' frames)")
        ->capture_default_str()
        ->type_name("LIST");
    cmd->add_flag("--all-images", o->core.all_images,
                  "with --include images: every exported item's frame, not only the anomalies' (a retraining set)");
    cmd->add_flag("--dry-run", o->core.dry_run, "say what would be written and how big; write nothing");
    cmd->add_option("--resend", o->core.resend, "rebuild the archive of export SEQ (a lost shipment)")
        ->type_name("SEQ");
    commands.add(cmd, [&g, o] {
        if (!o->max_bytes.empty()) o->core.max_bytes = parse_size(o->max_bytes);
        o->core.include = split_list(o->include);
        Store store = open_store(g);
        auto lock = store.lock("export");
        ExportResult r = export_next(store, lock, o->core);
        if (g.json) {
            print_json(to_json(r));
            return Exit::ok;
        }
        for (const auto& a : r.archives) {
            std::string volume =
                a.volumes > 1 ? " volume " + std::to_string(a.volume) + " of " + std::to_string(a.volumes) : "";
            if (r.dry_run)
                say(g, "would write " + a.path.string() + volume + " (" + describe(a.counts) + ", about " +
                           human_bytes(a.bytes) + ")");
            else
                say(g, std::string(a.resent ? "rewrote " : "wrote ") + a.path.string() + volume + " (" +
                           describe(a.counts) + ", " + human_bytes(a.bytes) + ")" +
                           (a.recovered ? " [finished for an interrupted run]" : ""));
        }
        if (r.archives.empty()) say(g, "nothing to export");
        if (r.left_pending > 0)
            say(g, std::to_string(r.left_pending) + " rows did not fit and wait for the next export");
        return Exit::ok;
    });
}

void add_exports_abandon(CLI::App* exports, Globals& g, Commands& commands);

void add_exports(CLI::App& app, Globals& g, Commands& commands) {
    auto* cmd = app.add_subcommand("exports", "the export ledger");
    cmd->require_subcommand(1);
    auto* list = cmd->add_subcommand("list", "every export: sequence, volume, rows, bytes, state, acknowledgement");
    commands.add(list, [&g] {
        Store store = open_store(g);
        auto exports = list_exports(store.db());
        if (g.json) {
            print_json(to_json(exports));
            return Exit::ok;
        }
        if (exports.empty()) say(g, "no exports yet");
        for (const auto& e : exports)
            say(g, e.name + "  " + std::to_string(e.volume) + "/" + std::to_string(e.volumes) + "  " +
                       std::string(to_string(e.state)) + "  " + std::to_string(e.rows) + " rows  " +
                       human_bytes(std::uint64_t(e.bytes)) + "  " + e.completed_at.value_or(e.started_at) +
                       (e.acked_at ? "  acked " + *e.acked_at : ""));
        return Exit::ok;
    });
    add_exports_abandon(cmd, g, commands);
}

void add_exports_abandon(CLI::App* exports, Globals& g, Commands& commands) {
    auto seq = std::make_shared<std::int64_t>(0);
    auto* cmd =
        exports->add_subcommand("abandon", "give up an unfinished export whose archive is lost; its rows go out again");
    cmd->add_option("SEQ", *seq, "the export's sequence number")->required();
    commands.add(cmd, [&g, seq] {
        Store store = open_store(g);
        auto lock = store.lock("export");
        abandon_export(store, lock, *seq);
        if (g.json)
            print_json({{"abandoned", *seq}});
        else
            say(g, "abandoned export " + std::to_string(*seq) + "; its rows go out in the next export");
        return Exit::ok;
    });
}

void add_ack(CLI::App& app, Globals& g, Commands& commands) {
    struct Options {
        std::vector<std::int64_t> seqs;
        std::string receipt;
    };
    auto o = std::make_shared<Options>();
    auto* cmd =
        app.add_subcommand("ack", "apply a hub's signed receipt: acknowledge what it landed, list what it misses");
    auto* receipt =
        cmd->add_option("--receipt", o->receipt, "the hub's receipt (<site>.receipt, its .minisig beside it)")
            ->type_name("FILE");
    auto* seqs = cmd->add_option("SEQ", o->seqs, "by hand, without a receipt: export sequence numbers (emergencies)");
    receipt->excludes(seqs);
    seqs->excludes(receipt);
    commands.add(cmd, [&g, o] {
        Store store = open_store(g);
        auto lock = store.lock("export");
        if (o->receipt.empty() && o->seqs.empty())
            throw Error("ack needs --receipt FILE (or, by hand, the sequence numbers)", Exit::usage);
        if (o->receipt.empty()) {
            log::warning("acknowledging by hand: no receipt proves the hub landed these, and purge will free their "
                         "rows; prefer 'edgectl ack --receipt FILE'");
            ack_exports(store.db(), lock, o->seqs);
            if (g.json)
                print_json({{"acked", o->seqs}});
            else
                say(g, "acknowledged " + std::to_string(o->seqs.size()) + " export(s)");
            return Exit::ok;
        }
        ReceiptAck r = apply_receipt(store, lock, o->receipt);
        if (g.json) print_json(to_json(r));
        if (!g.json)
            say(g, "receipt " + std::to_string(r.serial) + " from hub '" + r.hub + "' (key '" + r.signer +
                       "'): acknowledged " + std::to_string(r.acked.size()) + " export(s)" +
                       (r.acked_before ? ", " + std::to_string(r.acked_before) + " acknowledged before" : ""));
        for (const auto& m : r.missing) {
            if (m.state == "complete")
                log::warning("the hub misses export " + std::to_string(m.seq) + ": resend it with 'edgectl export " +
                             "--resend " + std::to_string(m.seq) + " --to DIR'");
            else if (m.state == "abandoned")
                log::debug("export " + std::to_string(m.seq) + " was abandoned here; nothing to resend");
            else
                log::warning("the hub misses export " + std::to_string(m.seq) + ", which is " + m.state + " here");
        }
        for (const auto& group : r.incomplete_groups)
            log::warning("export group " + group.group + ": the hub has " + std::to_string(group.landed.size()) +
                         " of its " + std::to_string(group.volumes) + " volumes");
        for (const auto& f : r.refused)
            log::warning("the hub refused " + f.name + " on " + f.at + ": " + f.reason);
        if (r.not_received > 0 && !g.json) say(g, std::to_string(r.not_received) + " later export(s) not received yet");
        return Exit::ok;
    });
}

void add_purge(CLI::App& app, Globals& g, Commands& commands) {
    struct Options {
        double days = -1;
        bool force = false;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("purge", "delete old rows whose export was acknowledged");
    cmd->add_option("--older-than", o->days, "age in days")->required()->type_name("DAYS");
    cmd->add_flag("--force", o->force, "also delete rows never exported or not acknowledged");
    commands.add(cmd, [&g, o] {
        Store store = open_store(g);
        auto lock = store.lock("export");
        PurgeResult r = purge(store, lock, o->days, o->force);
        if (g.json)
            print_json({{"insights", r.insights},
                        {"items", r.items},
                        {"quarantine", r.quarantine},
                        {"images", r.images},
                        {"drift_windows", r.drift_windows},
                        {"shadow_insights", r.shadow_insights}});
        else
            say(g,
                "purged " + std::to_string(r.insights) + " insights, " + std::to_string(r.items) + " items, " +
                    std::to_string(r.quarantine) + " quarantine rows" +
                    (r.images ? ", " + std::to_string(r.images) + " images" : std::string()) +
                    (r.drift_windows ? ", " + std::to_string(r.drift_windows) + " drift windows" : std::string()) +
                    (r.shadow_insights ? ", " + std::to_string(r.shadow_insights) + " shadow answers" : std::string()));
        return Exit::ok;
    });
}

}  // namespace edgectl::cli
