#include "cli.hpp"
#include "package/package.hpp"

namespace edgectl::cli {

void add_import_model(CLI::App& app, Globals& g, Commands& commands) {
    auto o = std::make_shared<ImportOptions>();
    auto* cmd = app.add_subcommand("import-model", "verify a model package and install it");
    cmd->add_option("PACKAGE", o->package, "the .tar.zst model package")->required()->check(CLI::ExistingFile);
    cmd->add_flag("--activate", o->activate, "make the imported version the active one");
    cmd->add_flag("--allow-unsigned", o->allow_unsigned, "accept a package that carries no signature");
    cmd->add_flag("--allow-downgrade", o->allow_downgrade, "accept a version older than the active one");
    commands.add(cmd, [&g, o] {
        Store store = open_store(g);
        auto lock = store.lock("import-model");
        ImportResult r = import_model(store, lock, *o);
        if (g.json) {
            print_json({{"name", r.name},
                        {"version", r.version},
                        {"digest", r.digest},
                        {"activated", r.activated},
                        {"unchanged", r.unchanged},
                        {"golden_vectors", r.golden_vectors}});
        } else {
            say(g, (r.unchanged ? "already installed " : "imported ") + r.name + "@" + r.version + " (" +
                       std::to_string(r.golden_vectors) + " golden vectors reproduced)" +
                       (r.activated ? ", active" : ""));
        }
        return Exit::ok;
    });
}

}  // namespace edgectl::cli
