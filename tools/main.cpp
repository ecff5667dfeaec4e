// edgectl: main() only parses and forwards; every command's logic lives in core/ (edgectl_core).

#include "cli.hpp"
#include "model/model.hpp"
#include "util/log.hpp"

#include <cstdio>
#include <iostream>

#include <sys/stat.h>
#include <unistd.h>

#ifndef EDGECTL_VERSION
#define EDGECTL_VERSION "unknown"
#endif

namespace {

int run(const edgectl::cli::Commands& commands) {
    using namespace edgectl;
    try {
        const cli::Action* action = commands.selected();
        if (!action) throw Error("no command given; see 'edgectl --help'", Exit::usage);
        return static_cast<int>((*action)());
    } catch (const Error& e) {
        log::error(e.what());
        return static_cast<int>(e.code());
    } catch (const std::exception& e) {
        log::error(std::string("unexpected failure: ") + e.what());
        return static_cast<int>(Exit::error);
    }
}

}  // namespace

int main(int argc, char** argv) {
    using namespace edgectl;
    ::umask(077);  // least exposure: whatever edgectl creates is its owner's alone unless it says so

    CLI::App app{"edgectl: offline ML inference at the edge: ingest, score, export, import models"};
    app.set_version_flag("--version", std::string("edgectl ") + EDGECTL_VERSION);
    app.require_subcommand(1);
    // Global options may also follow the subcommand ('edgectl status --json'); subcommands added
    // below inherit this.
    app.fallthrough();
    cli::Globals g;
    app.add_option("--store", g.store, "store directory (default: $EDGECTL_STORE, else /var/lib/edgectl)")
        ->type_name("DIR");
    app.add_flag("--json", g.json, "print the result as one JSON document on stdout");
    app.add_flag("-q,--quiet", g.quiet, "print errors only (for cron)");
    app.add_flag("-v,--verbose", g.verbose, "print debug detail on stderr");

    cli::Commands commands;
    cli::add_init(app, g, commands);
    cli::add_ingest(app, g, commands);
    cli::add_score(app, g, commands);
    cli::add_run(app, g, commands);
    cli::add_export(app, g, commands);
    cli::add_verify(app, g, commands);
    cli::add_import_model(app, g, commands);
    cli::add_models(app, g, commands);
    cli::add_pack_model(app, g, commands);
    cli::add_status(app, g, commands);
    cli::add_drift(app, g, commands);
    cli::add_keygen(app, g, commands);
    cli::add_trust(app, g, commands);
    cli::add_exports(app, g, commands);
    cli::add_ack(app, g, commands);
    cli::add_purge(app, g, commands);
    cli::add_site_key(app, g, commands);
    cli::add_sites(app, g, commands);
    cli::add_hub_key(app, g, commands);
    cli::add_receive(app, g, commands);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
        log::error(cli::usage_message(app, e, argc, argv));
        return static_cast<int>(Exit::usage);
    }
    log::set_level(g.quiet ? log::Level::quiet : g.verbose ? log::Level::verbose : log::Level::normal);
    log::enable_progress(!g.quiet && ::isatty(STDERR_FILENO) == 1);
    int code = run(commands);
    // The command has committed, closed and flushed everything it wrote. A process that loaded
    // LibTorch leaves without running its static destructors (~0.06 s of every score run's
    // fixed cost, model.hpp).
    if (torch_module_started()) {
        std::cout.flush();
        std::fflush(nullptr);
        ::_exit(code);
    }
    return code;
}
