#include "run/run.hpp"
#include "cli.hpp"
#include "util/log.hpp"
#include "util/notify.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <iostream>

namespace edgectl::cli {

namespace {

// What the signal handlers reach: the run's control, and the self-pipe that wakes its wait.
RunControl* signalled = nullptr;
int wake_write = -1;

extern "C" void on_signal(int sig) {
    if (!signalled) return;
    if (sig == SIGHUP)
        signalled->reload = true;
    else
        signalled->stop = true;
    if (wake_write >= 0) {
        char byte = 1;
        [[maybe_unused]] auto ignored = ::write(wake_write, &byte, 1);  // a full pipe already wakes
    }
}

// SIGTERM and SIGINT stop the run at the next batch boundary; SIGHUP reloads its models. The pipe
// lives as long as the process.
void handle_signals(RunControl& control) {
    std::array<int, 2> pipe{-1, -1};
    if (::pipe2(pipe.data(), O_NONBLOCK | O_CLOEXEC) != 0) throw Error("cannot make a pipe for signals");
    control.wake_fd = pipe[0];
    wake_write = pipe[1];
    signalled = &control;
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    for (int sig : {SIGTERM, SIGINT, SIGHUP})
        ::sigaction(sig, &action, nullptr);
}

Json to_json(const CycleResult& r) {
    return {{"ingest", r.ingest_locked ? Json() : edgectl::to_json(r.ingest)},
            {"score", r.score_locked ? Json() : edgectl::to_json(r.score)},
            {"ingest_locked", r.ingest_locked},
            {"score_locked", r.score_locked},
            {"deferred", r.deferred}};
}

// One line for a cycle that did something; nothing for one that found nothing.
std::string summary(const CycleResult& r) {
    std::int64_t scored = 0, anomalies = 0, quarantined = r.ingest.quarantined;
    for (const auto& m : r.score.models) {
        scored += m.scored;
        anomalies += m.anomalies;
        quarantined += m.quarantined;
    }
    std::string line;
    if (r.ingest.added || r.ingest.quarantined || r.ingest.rejected_files || scored || quarantined)
        line = "ingested " + std::to_string(r.ingest.added) + " items, scored " + std::to_string(scored) + " (" +
               std::to_string(anomalies) + " anomalies), quarantined " + std::to_string(quarantined) +
               (r.ingest.rejected_files ? ", rejected " + std::to_string(r.ingest.rejected_files) + " files" : "");
    for (auto [locked, step] : {std::pair{r.ingest_locked, "ingest"}, std::pair{r.score_locked, "score"}})
        if (locked) line += std::string(line.empty() ? "" : "; ") + step + " skipped: another run holds its lock";
    return line;
}

}  // namespace

void add_run(CLI::App& app, Globals& g, Commands& commands) {
    auto o = std::make_shared<RunOptions>();
    auto inbox = std::make_shared<std::vector<std::string>>();
    auto watching = std::make_shared<bool>(false);
    o->ingest.settle_seconds = 2;
    auto* cmd = app.add_subcommand("run", "ingest the inbox and score what is new, once or (--watch) as a service");
    cmd->add_option("INBOX", *inbox, "the inbox: directories (or files) to ingest")->required();
    cmd->add_option("--move-to", o->ingest.move_to, "move each file here once its records are committed")
        ->required()
        ->type_name("DIR");
    cmd->add_option("--policy", o->ingest.policy, "PII policy (JSON) to scrub records with before storing them")
        ->check(CLI::ExistingFile)
        ->type_name("FILE");
    cmd->add_option("--settle", o->ingest.settle_seconds, "leave files modified in the last N seconds")
        ->capture_default_str()
        ->type_name("SECONDS");
    cmd->add_flag("--watch", *watching, "keep going: a cycle when files land (inotify) and at every sweep");
    cmd->add_option("--sweep", o->sweep_seconds, "--watch: a cycle at least this often")
        ->capture_default_str()
        ->type_name("SECONDS")
        ->check(CLI::Range(0.1, 86400.0));
    cmd->add_option("--time-budget", o->score.time_budget,
                    "score for at most this long a cycle, then ingest again (0: until done)")
        ->type_name("SECONDS");
    cmd->add_option("--batch", o->score.batch, "items per forward pass")->capture_default_str();
    cmd->add_option("--threads", o->score.threads, "LibTorch threads")->capture_default_str();
    commands.add(cmd, [&g, o, inbox, watching] {
        o->ingest.paths.assign(inbox->begin(), inbox->end());
        Store store = open_store(g);
        // One run at a time: a second would only wait for the first's locks. This lock blocks no
        // other command.
        auto lock = store.lock("run");
        RunControl control;
        handle_signals(control);
        if (!*watching) {
            ModelCache cache;
            CycleResult r = run_cycle(store, *o, cache, control);
            if (g.json)
                print_json(to_json(r));
            else if (auto line = summary(r); !line.empty())
                say(g, line);
            if (r.ingest_locked && r.score_locked) return Exit::locked;
            return r.partial() ? Exit::partial : Exit::ok;
        }
        WatchHooks hooks;
        hooks.cycle = [&g](const CycleResult& r) {
            if (g.json) {
                std::cout << to_json(r).dump() << std::endl;  // one line a cycle
            } else if (auto line = summary(r); !line.empty()) {
                say(g, line);
                std::cout.flush();  // a line a cycle, as it happens (journald reads a pipe)
                notify::send("STATUS=" + line);
            }
        };
        hooks.failed = [](const std::string& message) {
            log::warning("this cycle failed, retried at the next sweep: " + message);
            notify::send("STATUS=the last cycle failed: " + message);
        };
        if (double every = notify::watchdog_seconds(); every > 0) {
            hooks.alive = [] { notify::send("WATCHDOG=1"); };
            hooks.alive_every = every / 2;
        }
        std::string inboxes;
        for (const auto& path : o->ingest.paths)
            inboxes += (inboxes.empty() ? "" : ", ") + fs::path(path).string();
        notify::send("READY=1\nSTATUS=watching " + inboxes + " for files");
        watch(store, *o, control, hooks);
        notify::send("STOPPING=1");
        return Exit::ok;
    });
}

}  // namespace edgectl::cli
