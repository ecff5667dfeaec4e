#include "hub/receive.hpp"
#include "cli.hpp"
#include "util/log.hpp"

namespace edgectl::cli {
namespace {

std::string ranges(const std::vector<Receipt::Range>& rs) {
    std::string out;
    for (const auto& r : rs)
        out += (out.empty() ? "" : ", ") + std::to_string(r.first) +
               (r.last > r.first ? "-" + std::to_string(r.last) : std::string());
    return out;
}

std::string records(const Json& counts) {
    std::string out;
    for (const auto& [kind, n] : counts.items())
        out += (out.empty() ? "" : ", ") + std::to_string(n.get<std::int64_t>()) + " " + kind;
    return out.empty() ? "no records" : out;
}

}  // namespace

void add_receive(CLI::App& app, Globals& g, Commands& commands) {
    struct Options {
        ReceiveOptions receive;
        std::vector<std::string> paths;
        std::string receipts;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("receive", "at a hub: verify sites' export archives, land them in the lake once, "
                                              "write signed receipts");
    cmd->add_option("PATH", o->paths, "archives, or folders (a mounted disk) to walk for them")->required();
    cmd->add_option("--receipts", o->receipts, "also write the sites' receipts here (the disk that goes back)")
        ->type_name("DIR");
    cmd->add_option("--level", o->receive.level,
                    "zstd level of the lake's files (default 1: the fastest, and on NDJSON about as small as 3)")
        ->check(CLI::Range(1, 19));
    cmd->add_option("--batch", o->receive.batch,
                    "archives made durable together, with one flush of the disk (default 64)")
        ->check(CLI::Range(1, 4096));
    commands.add(cmd, [&g, o] {
        Hub hub = open_hub(g);
        auto lock = hub.lock("receive");
        for (const auto& p : o->paths)
            o->receive.paths.emplace_back(p);
        if (!o->receipts.empty()) o->receive.receipts_to = fs::path(o->receipts);
        ReceiveResult r = receive(hub, lock, o->receive);
        if (g.json) print_json(to_json(r));
        for (const auto& a : r.archives) {
            if (a.outcome == ReceivedArchive::Outcome::refused) {
                log::error("refused " + a.path.string() + ": " + a.reason);
                continue;
            }
            if (g.json) continue;
            if (a.outcome == ReceivedArchive::Outcome::landed)
                say(g, "landed " + a.name + ": " + records(a.records));
            else
                say(g, "skipped " + a.name + ": " + a.reason);
        }
        for (const auto& s : r.sites) {
            for (const auto& group : s.completed_groups)
                if (!g.json) say(g, "export group " + group + " of site '" + s.site + "' is complete");
            for (const auto& group : s.incomplete_groups)
                log::warning("export group " + group.group + " of site '" + s.site +
                             "': " + std::to_string(group.landed.size()) + " of " + std::to_string(group.volumes) +
                             " volumes landed");
            if (!s.missing.empty())
                log::warning("site '" + s.site + "' is missing sequence(s) " + ranges(s.missing) +
                             " (later ones landed)");
            if (!g.json)
                say(g, "receipt for site '" + s.site + "' (serial " + std::to_string(s.serial) +
                           "): " + s.receipt.string());
        }
        if (r.archives.empty()) log::warning("no export archives (*.tar.zst) found");
        return r.any_refused() ? Exit::verify_failed : Exit::ok;
    });

    struct ReceiptOptions {
        std::vector<std::string> sites;
        std::string to;
    };
    auto ro = std::make_shared<ReceiptOptions>();
    auto* receipts = app.add_subcommand("receipts", "at a hub: write the sites' signed receipts (all, or these)");
    receipts->add_option("SITE", ro->sites, "site ids (default: every site)");
    receipts->add_option("--to", ro->to, "where to write them (default: the hub's receipts/)")->type_name("DIR");
    commands.add(receipts, [&g, ro] {
        Hub hub = open_hub(g);
        auto lock = hub.lock("receive");
        recover_landings(hub, lock);
        auto paths = write_receipts(hub, lock, ro->sites, ro->to.empty() ? hub.receipts_dir() : fs::path(ro->to));
        Json out = Json::array();
        for (const auto& p : paths) {
            out.push_back(p.string());
            if (!g.json) say(g, "wrote " + p.string());
        }
        if (g.json) print_json({{"receipts", out}});
        return Exit::ok;
    });
}

}  // namespace edgectl::cli
