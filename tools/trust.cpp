#include "package/trust.hpp"
#include "cli.hpp"

namespace edgectl::cli {

void add_trust(CLI::App& app, Globals& g, Commands& commands) {
    auto* cmd = app.add_subcommand("trust", "the public keys trusted to sign model packages (or, --hub, receipts)");
    cmd->require_subcommand(1);

    struct AddOptions {
        fs::path file;
        std::string name;
        bool hub = false;
    };
    auto a = std::make_shared<AddOptions>();
    auto* add = cmd->add_subcommand("add", "trust a minisign public key");
    add->add_option("FILE", a->file, "the public key file (.pub)")->required()->check(CLI::ExistingFile);
    add->add_option("--name", a->name, "a name for it (default: its key id)");
    add->add_flag("--hub", a->hub, "trust it to sign a hub's receipts, not model packages");
    commands.add(add, [&g, a] {
        Store store = open_store(g);
        auto lock = store.lock("trust");
        TrustedKey k = trust_add(store, lock, a->file, a->name, a->hub ? TrustRole::hubs : TrustRole::packages);
        if (g.json)
            print_json({{"name", k.name}, {"key_id", k.key_id}, {"role", a->hub ? "hub" : "packages"}});
        else
            say(g, "trusting key " + k.key_id + " as '" + k.name + "'" + (a->hub ? " to sign a hub's receipts" : ""));
        return Exit::ok;
    });

    auto list_hub = std::make_shared<bool>(false);
    auto* list = cmd->add_subcommand("list", "list trusted keys");
    list->add_flag("--hub", *list_hub, "the keys trusted to sign receipts");
    commands.add(list, [&g, list_hub] {
        Store store = open_store(g);
        auto keys = trusted_keys(store, *list_hub ? TrustRole::hubs : TrustRole::packages);
        if (g.json)
            print_json(to_json(keys));
        else if (keys.empty())
            say(g, *list_hub ? "no trusted hub keys: every receipt will be refused"
                             : "no trusted keys: every signed package will be refused");
        for (const auto& k : keys)
            if (!g.json) say(g, k.name + "  " + k.key_id);
        return Exit::ok;
    });

    auto who = std::make_shared<std::string>();
    auto remove_hub = std::make_shared<bool>(false);
    auto* remove = cmd->add_subcommand("remove", "stop trusting a key");
    remove->add_option("NAME", *who, "the key's name or key id")->required();
    remove->add_flag("--hub", *remove_hub, "a key trusted to sign receipts");
    commands.add(remove, [&g, who, remove_hub] {
        Store store = open_store(g);
        auto lock = store.lock("trust");
        TrustedKey k = trust_remove(store, lock, *who, *remove_hub ? TrustRole::hubs : TrustRole::packages);
        if (g.json)
            print_json({{"name", k.name}, {"key_id", k.key_id}, {"removed", true}});
        else
            say(g, "no longer trusting key " + k.key_id + " ('" + k.name + "')");
        return Exit::ok;
    });
}

}  // namespace edgectl::cli
