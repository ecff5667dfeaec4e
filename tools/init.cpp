#include "cli.hpp"
#include "store/store.hpp"

namespace edgectl::cli {

void add_init(CLI::App& app, Globals& g, Commands& commands) {
    struct Options {
        std::string site;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("init", "create a store for a site: database, directories and site secret");
    cmd->add_option("--site", o->site, "the site's id (letters, digits, '.', '_', '-')")->required();
    commands.add(cmd, [&g, o] {
        fs::path root = resolve_store_root(g.store);
        Store store = Store::init(root, o->site);
        if (g.json)
            print_json({{"store", root.string()}, {"site", store.site()}});
        else
            say(g, "created store for site '" + store.site() + "' at " + root.string());
        return Exit::ok;
    });
}

}  // namespace edgectl::cli
