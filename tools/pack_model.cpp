#include "cli.hpp"
#include "package/package.hpp"

namespace edgectl::cli {

void add_pack_model(CLI::App& app, Globals& g, Commands& commands) {
    auto o = std::make_shared<PackOptions>();
    auto* cmd = app.add_subcommand("pack-model", "build a model package (the cloud side's tool)");
    cmd->add_option("--model", o->model, "TorchScript file")->required()->check(CLI::ExistingFile);
    cmd->add_option("--spec", o->spec, "model.json")->required()->check(CLI::ExistingFile);
    cmd->add_option("--golden", o->golden, "golden.ndjson acceptance vectors")->required()->check(CLI::ExistingFile);
    cmd->add_option("-o,--output", o->output, "the package to write (.tar.zst)")->required();
    cmd->add_option("--sign", o->sign_key, "minisign secret key to sign the package with")
        ->check(CLI::ExistingFile)
        ->type_name("KEY");
    commands.add(cmd, [&g, o] {
        pack_model(*o);
        if (g.json)
            print_json({{"package", o->output.string()}});
        else
            say(g, "wrote " + o->output.string());
        return Exit::ok;
    });
}

}  // namespace edgectl::cli
