#include "cli.hpp"
#include "log.hpp"
#include "store.hpp"
#include "verify.hpp"

namespace edgectl::cli {

void add_verify(CLI::App& app, Globals& g, Commands& commands) {
    auto paths = std::make_shared<std::vector<std::string>>();
    auto key = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("verify", "verify export archives or model packages without unpacking them");
    cmd->add_option("PATH", *paths, "archives or packages")->required();
    cmd->add_option("--key", *key, "the site's public key, to check export signatures (default: the store's)")
        ->check(CLI::ExistingFile)->type_name("FILE.pub");
    commands.add(cmd, [&g, paths, key] {
        Json all = Json::array();
        bool ok = true;
        // Signatures are judged against the store's trust list and site key when there is a store.
        VerifyKeys keys;
        fs::path root = resolve_store_root(g.store);
        if (fs::exists(root / "edgectl.db")) {
            Store store = Store::open(root);
            keys.trusted = trusted_keys(store);
            if (fs::exists(store.site_public_key_path()))
                keys.site_key = minisign::parse_public_key(read_file(store.site_public_key_path(), 4096),
                                                           store.site_public_key_path().string());
        }
        if (!key->empty()) {
            keys.site_key = minisign::parse_public_key(read_file(*key, 4096), *key);
            keys.require_signature = true;
        }
        for (const auto& path : *paths) {
            VerifyOutcome v = verify_artifact(path, keys);
            ok = ok && v.ok();
            all.push_back({{"path", path}, {"kind", v.kind}, {"ok", v.ok()}, {"problems", v.problems}, {"detail", v.detail}});
            if (g.json) continue;
            if (v.ok()) say(g, path + ": OK (" + v.kind + ")");
            if (v.kind == "export-bag" && v.detail.contains("signature")) log::debug(path + ": signature " + v.detail["signature"].get<std::string>());
            for (const auto& problem : v.problems)
                log::error(problem.find(path) == std::string::npos ? path + ": " + problem : problem);
        }
        if (g.json) print_json(all);
        return ok ? Exit::ok : Exit::verify_failed;
    });
}

} // namespace edgectl::cli
