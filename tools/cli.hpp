#pragma once
// What the subcommand files share: the global options, the table that maps a parsed subcommand to
// its action, and output helpers. Each tools/*.cpp binds a plain options struct and calls one core
// function; the action runs after parsing, inside main()'s single try.

#include "hub/hub.hpp"
#include "store/store.hpp"
#include "util/error.hpp"
#include "util/ndjson.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace edgectl::cli {

struct Globals {
    std::string store;
    bool json = false;
    bool quiet = false;
    bool verbose = false;
};

using Action = std::function<Exit()>;

class Commands {
  public:
    void add(CLI::App* command, Action action) { table_.emplace_back(command, std::move(action)); }
    /// The action of the subcommand that was parsed (the deepest one), or nullptr.
    const Action* selected() const {
        for (auto it = table_.rbegin(); it != table_.rend(); ++it)
            if (it->first->parsed()) return &it->second;
        return nullptr;
    }

  private:
    std::vector<std::pair<CLI::App*, Action>> table_;
};

/// Opens the store the global options name (--store, $EDGECTL_STORE, the default).
Store open_store(const Globals& g);
/// Opens the hub the global options name, likewise.
Hub open_hub(const Globals& g);

/// Prints one JSON document on stdout (for --json).
void print_json(const Json& doc);
/// Prints a result line on stdout unless --quiet.
void say(const Globals& g, const std::string& line);
/// The message for a command line CLI11 refused, naming an unknown command when that is the cause.
std::string usage_message(const CLI::App& app, const CLI::ParseError& e, int argc, char** argv);
/// A number with `decimals` digits after the point (e.g. "0.742").
std::string fixed(double value, int decimals = 3);
/// Human-readable byte count (e.g. "1.4 MiB").
std::string human_bytes(std::uint64_t bytes);
/// Parses a size such as 4096, 500K, 64M, 4G, 1T (powers of 1024); throws a usage Error.
std::uint64_t parse_size(const std::string& text);

void add_init(CLI::App& app, Globals& g, Commands& commands);
void add_ingest(CLI::App& app, Globals& g, Commands& commands);
void add_score(CLI::App& app, Globals& g, Commands& commands);
void add_run(CLI::App& app, Globals& g, Commands& commands);
void add_export(CLI::App& app, Globals& g, Commands& commands);
void add_verify(CLI::App& app, Globals& g, Commands& commands);
void add_import_model(CLI::App& app, Globals& g, Commands& commands);
void add_models(CLI::App& app, Globals& g, Commands& commands);
void add_pack_model(CLI::App& app, Globals& g, Commands& commands);
void add_status(CLI::App& app, Globals& g, Commands& commands);
void add_drift(CLI::App& app, Globals& g, Commands& commands);
void add_keygen(CLI::App& app, Globals& g, Commands& commands);
void add_trust(CLI::App& app, Globals& g, Commands& commands);
void add_exports(CLI::App& app, Globals& g, Commands& commands);
void add_ack(CLI::App& app, Globals& g, Commands& commands);
void add_purge(CLI::App& app, Globals& g, Commands& commands);
void add_site_key(CLI::App& app, Globals& g, Commands& commands);
void add_sites(CLI::App& app, Globals& g, Commands& commands);
void add_hub_key(CLI::App& app, Globals& g, Commands& commands);
void add_receive(CLI::App& app, Globals& g, Commands& commands);

}  // namespace edgectl::cli
