#include "cli.hpp"
#include "package/registry.hpp"

namespace edgectl::cli {

void add_models(CLI::App& app, Globals& g, Commands& commands) {
    auto* cmd = app.add_subcommand("models", "the model registry");
    cmd->require_subcommand(1);

    auto* list = cmd->add_subcommand("list", "list installed model versions");
    commands.add(list, [&g] {
        Store store = open_store(g);
        auto models = list_models(store.db());
        if (g.json) {
            print_json(to_json(models));
            return Exit::ok;
        }
        if (models.empty()) say(g, "no models installed");
        for (const auto& m : models)
            say(g, (m.active ? "* " : "  ") + m.name + "@" + m.version + "  imported " + m.imported_at + "  sha256:" +
                       m.digest.substr(0, 16) + "  " + (m.signer ? "signed by " + *m.signer : "unsigned"));
        return Exit::ok;
    });

    auto ref = std::make_shared<std::string>();
    auto* activate = cmd->add_subcommand("activate", "make NAME@VERSION the active version of NAME");
    activate->add_option("MODEL", *ref, "NAME@VERSION")->required();
    commands.add(activate, [&g, ref] {
        auto [name, version] = parse_model_ref(*ref);
        Store store = open_store(g);
        auto lock = store.lock("import-model");
        activate_model(store.db(), lock, name, version);
        if (g.json)
            print_json({{"name", name}, {"version", version}, {"active", true}});
        else
            say(g, name + "@" + version + " is now active");
        return Exit::ok;
    });

    auto model = std::make_shared<std::string>();
    auto* rollback = cmd->add_subcommand("rollback", "make the previously active version of NAME active again");
    rollback->add_option("NAME", *model, "model name")->required();
    commands.add(rollback, [&g, model] {
        Store store = open_store(g);
        auto lock = store.lock("import-model");
        std::string version = rollback_model(store.db(), lock, *model);
        if (g.json)
            print_json({{"name", *model}, {"version", version}, {"active", true}});
        else
            say(g, "rolled back: " + *model + "@" + version + " is now active");
        return Exit::ok;
    });

    auto victim = std::make_shared<std::string>();
    auto* remove = cmd->add_subcommand("remove", "remove an installed version that is not active");
    remove->add_option("MODEL", *victim, "NAME@VERSION")->required();
    commands.add(remove, [&g, victim] {
        auto [name, version] = parse_model_ref(*victim);
        Store store = open_store(g);
        auto lock = store.lock("import-model");
        remove_model(store, lock, name, version);
        if (g.json)
            print_json({{"name", name}, {"version", version}, {"removed", true}});
        else
            say(g, "removed " + name + "@" + version);
        return Exit::ok;
    });
}

}  // namespace edgectl::cli
