#include "cli.hpp"
#include "hub/hub.hpp"

#include <iostream>

namespace edgectl::cli {

void add_sites(CLI::App& app, Globals& g, Commands& commands) {
    auto* cmd = app.add_subcommand("sites", "at a hub: the sites it receives from, and the keys they sign with");
    cmd->require_subcommand(1);

    struct AddOptions {
        std::string id;
        fs::path key;
    };
    auto a = std::make_shared<AddOptions>();
    auto* add = cmd->add_subcommand("add", "register a site and its public key ('edgectl site-key' at the site)");
    add->add_option("ID", a->id, "the site's id")->required();
    add->add_option("KEY", a->key, "the site's public key file (site.pub)")->required()->check(CLI::ExistingFile);
    commands.add(add, [&g, a] {
        Hub hub = open_hub(g);
        auto lock = hub.lock("sites");
        HubSite s = add_site(hub, lock, a->id, a->key);
        if (g.json)
            print_json({{"site", s.id}, {"key_id", s.key_id}});
        else
            say(g, "receiving site '" + s.id + "', signed by key " + s.key_id);
        return Exit::ok;
    });

    auto* list = cmd->add_subcommand("list", "the registered sites");
    commands.add(list, [&g] {
        Hub hub = open_hub(g);
        auto sites = list_sites(hub);
        if (g.json)
            print_json(to_json(sites));
        else if (sites.empty())
            say(g, "no sites yet: register one with 'edgectl sites add ID SITE.pub'");
        for (const auto& s : sites)
            if (!g.json)
                say(g, s.id + "  " + s.key_id + "  receipt " + std::to_string(s.version) +
                           (s.changed_at ? "  changed " + *s.changed_at : "  nothing received yet"));
        return Exit::ok;
    });
}

void add_hub_key(CLI::App& app, Globals& g, Commands& commands) {
    auto* cmd = app.add_subcommand("hub-key", "at a hub: print its public key, which sites trust for receipts");
    commands.add(cmd, [&g] {
        Hub hub = open_hub(g);
        std::string text = read_file(hub.public_key_path(), 4096);
        auto key = minisign::parse_public_key(text, hub.public_key_path().string());
        if (g.json)
            print_json({{"hub", hub.id()},
                        {"key_id", minisign::key_id_hex(key.key_id)},
                        {"path", hub.public_key_path().string()},
                        {"public_key", text}});
        else
            std::cout << text;
        return Exit::ok;
    });
}

}  // namespace edgectl::cli
