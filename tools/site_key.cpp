#include "cli.hpp"
#include "store/store.hpp"
#include "util/minisign.hpp"

#include <iostream>

namespace edgectl::cli {

void add_site_key(CLI::App& app, Globals& g, Commands& commands) {
    auto* cmd = app.add_subcommand("site-key", "print the site's public key, which verifies its exports");
    commands.add(cmd, [&g] {
        Store store = open_store(g);
        fs::path pub = store.site_public_key_path();
        if (!fs::exists(pub))
            throw Error("the store's site key '" + pub.string() +
                        "' is missing: restore it (and site.key) from a backup; 'edgectl init' made them");
        std::string text = read_file(pub, 4096);
        auto key = minisign::parse_public_key(text, pub.string());
        if (g.json)
            print_json({{"key_id", minisign::key_id_hex(key.key_id)}, {"path", pub.string()}, {"public_key", text}});
        else
            std::cout << text;
        return Exit::ok;
    });
}

}  // namespace edgectl::cli
