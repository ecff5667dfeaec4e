#include "cli.hpp"
#include "package/trust.hpp"

namespace edgectl::cli {

void add_keygen(CLI::App& app, Globals& g, Commands& commands) {
    auto prefix = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("keygen", "write a minisign-compatible signing key pair PREFIX.pub / PREFIX.key");
    cmd->add_option("-o,--output", *prefix, "path prefix of the two key files")->required()->type_name("PREFIX");
    commands.add(cmd, [&g, prefix] {
        KeygenResult r = keygen(*prefix);
        if (g.json) {
            print_json({{"public_key", r.public_key.string()},
                        {"secret_key", r.secret_key.string()},
                        {"key_id", r.key_id},
                        {"completed_existing_key", r.completed}});
        } else {
            if (r.completed)
                say(g, "wrote " + r.public_key.string() + ", the public key of the existing " + r.secret_key.string() +
                           " (key id " + r.key_id + ")");
            else
                say(g,
                    "wrote " + r.public_key.string() + " and " + r.secret_key.string() + " (key id " + r.key_id + ")");
            say(g, "keep the .key file secret; give the .pub file to the sites that must trust it");
        }
        return Exit::ok;
    });
}

}  // namespace edgectl::cli
