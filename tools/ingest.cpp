#include "ingest/ingest.hpp"
#include "cli.hpp"

namespace edgectl::cli {

void add_ingest(CLI::App& app, Globals& g, Commands& commands) {
    auto o = std::make_shared<IngestOptions>();
    auto paths = std::make_shared<std::vector<std::string>>();
    auto format = std::make_shared<std::string>("auto");
    auto* cmd = app.add_subcommand(
        "ingest", "ingest CSV or NDJSON files and JPEG or PNG frames (or directories of them) as items");
    cmd->add_option("--source", o->source, "source name recorded with every item (default: each file's path)");
    cmd->add_option("--format", *format, "input format")
        ->check(CLI::IsMember({"auto", "csv", "ndjson"}))
        ->capture_default_str();
    cmd->add_option("--policy", o->policy, "PII policy (JSON) to scrub records with before storing them")
        ->check(CLI::ExistingFile)
        ->type_name("FILE");
    cmd->add_option("--move-to", o->move_to, "inbox mode: move each file here once its records are committed")
        ->type_name("DIR");
    cmd->add_option("--settle", o->settle_seconds, "inbox mode: leave files modified in the last N seconds")
        ->capture_default_str()
        ->type_name("SECONDS");
    cmd->add_option("--max-pixels", o->image_limits.max_pixels,
                    "camera frames declaring more pixels (width × height) are quarantined")
        ->capture_default_str()
        ->check(CLI::Range(std::uint64_t(1), std::uint64_t(1) << 40));
    cmd->add_option("--batch", o->batch, "records per transaction")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));
    cmd->add_option("PATH", *paths, "files or directories")->required();
    commands.add(cmd, [&g, o, paths, format] {
        o->paths.assign(paths->begin(), paths->end());
        if (*format != "auto") o->format = parse_record_format(*format).or_throw("--format", Exit::usage);
        // As text, each file's line as soon as its outcome is final: a share of any size in
        // constant memory. The JSON document lists them all at the end.
        if (!g.json)
            o->on_file = [&g](const IngestFileResult& f) {
                say(g, f.path + ": " + std::string(to_string(f.status)) +
                           (f.status == FileOutcome::ingested ? " (" + std::to_string(f.added) + " items, " +
                                                                    std::to_string(f.quarantined) + " quarantined)"
                            : f.reason.empty() ? ""
                                               : " (" + f.reason + ")"));
            };
        Store store = open_store(g);
        auto lock = store.lock("ingest");
        IngestResult r = ingest(store, lock, *o);
        if (g.json) {
            print_json(to_json(r));
        } else {
            say(g, "ingested " + std::to_string(r.added) + " items, quarantined " + std::to_string(r.quarantined) +
                       " records" +
                       (r.rejected_files ? ", rejected " + std::to_string(r.rejected_files) + " files" : ""));
        }
        return r.partial() ? Exit::partial : Exit::ok;
    });
}

}  // namespace edgectl::cli
