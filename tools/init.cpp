#include "cli.hpp"
#include "hub/hub.hpp"
#include "store/store.hpp"

namespace edgectl::cli {

void add_init(CLI::App& app, Globals& g, Commands& commands) {
    struct Options {
        std::string site, hub;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand(
        "init", "create a store for a site (database, directories, site key and secret), or a hub to receive sites");
    auto* site = cmd->add_option("--site", o->site, "the site's id (letters, digits, '.', '_', '-')");
    auto* hub = cmd->add_option("--hub", o->hub, "make a hub, the receiving side, with this id");
    site->excludes(hub);
    hub->excludes(site);
    commands.add(cmd, [&g, o] {
        fs::path root = resolve_store_root(g.store);
        if (o->site.empty() && o->hub.empty()) throw Error("init needs --site ID (or --hub ID)", Exit::usage);
        if (!o->hub.empty()) {
            Hub h = Hub::init(root, o->hub);
            if (g.json)
                print_json({{"store", root.string()}, {"hub", h.id()}, {"public_key", h.public_key_path().string()}});
            else
                say(g, "created hub '" + h.id() + "' at " + root.string() + "; its receipts are signed by " +
                           h.public_key_path().string());
            return Exit::ok;
        }
        Store store = Store::init(root, o->site);
        if (g.json)
            print_json({{"store", root.string()}, {"site", store.site()}});
        else
            say(g, "created store for site '" + store.site() + "' at " + root.string());
        return Exit::ok;
    });
}

}  // namespace edgectl::cli
