#pragma once
// Run: what cron does with `ingest` then `score`, in one process that can keep going (`edgectl
// run`, docs/operations.md). A cycle ingests the inbox, moving each file out once its items are
// committed, then scores what is new with every active model and its shadow. The process loads
// each model version once and keeps it while the version stays in use, so a cycle does not pay
// LibTorch's start-up or a model's load. watch() runs a cycle when files land in the inbox
// (inotify), at least every sweep interval (for what inotify does not see: a network share, a
// folder made before the watch), and on request, until asked to stop.
//
// A cycle is ingest and score called in turn, so its guarantees are theirs: each step commits in
// its own transactions, with its own durability points. Each step holds its command's lock only
// while it runs: export, import-model and status go on beside a watching process, and a cron
// `ingest` or `score` holding its lock makes a cycle skip that step rather than fail.

#include "ingest/ingest.hpp"
#include "score/score.hpp"
#include "store/store.hpp"

#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace edgectl {

/// Model versions loaded once for the life of the process, by package digest.
class ModelCache {
  public:
    /// The loader for ScoreOptions::load_model: the version's model, loaded the first time asked.
    ModelLoader loader();
    /// Forgets the versions that are no longer active or shadow in `store`.
    void sweep(Store& store);
    /// Forgets every version: the next cycle loads from the store again.
    void clear() { models_.clear(); }
    std::size_t size() const { return models_.size(); }

  private:
    std::map<std::string, std::shared_ptr<Model>> models_;  // by the version's package digest
};

struct RunOptions {
    IngestOptions ingest;       ///< paths: the inbox; move_to: where its files go once committed
    ScoreOptions score;         ///< time_budget: per cycle, so that a backlog does not hold new files back
    double sweep_seconds = 60;  ///< watch: a cycle at least this often, whatever inotify says
};

/// What makes watch() stop, reload its models or look again: set from signal handlers.
struct RunControl {
    std::atomic<bool> stop{false};    ///< stop at the next batch boundary (SIGTERM, SIGINT)
    std::atomic<bool> reload{false};  ///< load every model again before the next cycle (SIGHUP)
    int wake_fd = -1;                 ///< readable when a handler set a flag (a self-pipe); -1: none
};

struct CycleResult {
    IngestResult ingest;
    ScoreResult score;
    bool ingest_locked = false;  ///< another process held the ingest lock: nothing ingested
    bool score_locked = false;   ///< ... the score lock: nothing scored
    std::size_t deferred = 0;    ///< files left in the inbox, still being written
    /// True when the cycle left work that is ready now (score's time budget ran out).
    bool more() const { return score.out_of_time; }
    bool partial() const { return ingest.partial() || score.partial(); }
};

/// One cycle: ingest, then score, each under its own lock. Scores with `cache`'s models.
/// `alive`, when given, is called after each commit of either step (systemd's watchdog hears
/// from a long cycle through it).
CycleResult run_cycle(Store& store, const RunOptions& options, ModelCache& cache, const RunControl& control,
                      const std::function<void()>& alive = {});

/// Hooks watch() calls: after each cycle, and at least every `alive_every` seconds while waiting
/// (a service manager's watchdog; 0: only after cycles).
struct WatchHooks {
    std::function<void(const CycleResult&)> cycle;
    std::function<void(const std::string&)> failed;  ///< a cycle failed with this message; retried at the next sweep
    std::function<void()> alive;
    double alive_every = 0;
};

/// Cycles until control.stop: at once, then when a file lands in an inbox directory, when files
/// left as still being written have settled, at every sweep, after SIGHUP, and straight on while
/// score has a backlog. A cycle that fails (a full disk, say) is reported and retried at the next
/// sweep: the service stays up. Returns when stopped, everything committed.
void watch(Store& store, const RunOptions& options, RunControl& control, const WatchHooks& hooks);

}  // namespace edgectl
