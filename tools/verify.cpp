#include "cli.hpp"
#include "log.hpp"
#include "store.hpp"
#include "verify.hpp"

namespace edgectl::cli {

void add_verify(CLI::App& app, Globals& g, Commands& commands) {
    auto paths = std::make_shared<std::vector<std::string>>();
    auto* cmd = app.add_subcommand("verify", "verify export archives or model packages without unpacking them");
    cmd->add_option("PATH", *paths, "archives or packages")->required();
    commands.add(cmd, [&g, paths] {
        Json all = Json::array();
        bool ok = true;
        // Package signatures are judged against the store's trust list when there is a store.
        std::optional<std::vector<TrustedKey>> trusted;
        fs::path root = resolve_store_root(g.store);
        if (fs::exists(root / "edgectl.db")) trusted = trusted_keys(Store::open(root));
        for (const auto& path : *paths) {
            VerifyOutcome v = verify_artifact(path, trusted);
            ok = ok && v.ok();
            all.push_back({{"path", path}, {"kind", v.kind}, {"ok", v.ok()}, {"problems", v.problems}, {"detail", v.detail}});
            if (g.json) continue;
            if (v.ok()) say(g, path + ": OK (" + v.kind + ")");
            for (const auto& problem : v.problems)
                log::error(problem.find(path) == std::string::npos ? path + ": " + problem : problem);
        }
        if (g.json) print_json(all);
        return ok ? Exit::ok : Exit::verify_failed;
    });
}

} // namespace edgectl::cli
