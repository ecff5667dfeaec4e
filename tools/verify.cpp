#include "verify/verify.hpp"
#include "cli.hpp"
#include "store/store.hpp"
#include "util/log.hpp"

namespace edgectl::cli {
namespace {

// What an OK did not cover: a bag's signature missing or not checked; without a trust list, a
// package's signature and model.
std::string note(const VerifyOutcome& v) {
    if (v.kind == ArtifactKind::export_bag) {
        std::string signature = v.detail.value("signature", std::string());
        if (signature == "none") return "; not signed";
        if (signature.starts_with("present, not checked")) return "; signature not checked: no site key (--key)";
        return {};
    }
    if (v.kind != ArtifactKind::model_package || v.detail.value("signature_checked", true)) return {};
    return v.detail.value("model_run", false)
               ? "; signature not checked: no trust list; model run on request"
               : "; signature not checked: no trust list; model not run (--run-model runs it)";
}

}  // namespace

void add_verify(CLI::App& app, Globals& g, Commands& commands) {
    auto paths = std::make_shared<std::vector<std::string>>();
    auto key = std::make_shared<std::string>();
    auto run_model = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("verify", "verify export archives or model packages without unpacking them");
    cmd->add_option("PATH", *paths, "archives or packages")->required();
    cmd->add_option("--key", *key, "the site's public key, to check export signatures (default: the store's)")
        ->check(CLI::ExistingFile)
        ->type_name("FILE.pub");
    cmd->add_flag("--run-model", *run_model,
                  "load a package's model and check its golden vectors even when no trust list checked its signature");
    commands.add(cmd, [&g, paths, key, run_model] {
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
        keys.run_model = *run_model;
        for (const auto& path : *paths) {
            VerifyOutcome v = verify_artifact(path, keys);
            ok = ok && v.ok();
            all.push_back({{"path", path},
                           {"kind", to_string(v.kind)},
                           {"ok", v.ok()},
                           {"problems", v.problems},
                           {"detail", v.detail}});
            if (g.json) continue;
            if (v.ok()) say(g, path + ": OK (" + std::string(to_string(v.kind)) + note(v) + ")");
            if (v.kind == ArtifactKind::export_bag && v.detail.contains("signature"))
                log::debug(path + ": signature " + v.detail["signature"].get<std::string>());
            for (const auto& problem : v.problems)
                log::error(problem.find(path) == std::string::npos ? path + ": " + problem : problem);
        }
        if (g.json) print_json(all);
        return ok ? Exit::ok : Exit::verify_failed;
    });
}

}  // namespace edgectl::cli
