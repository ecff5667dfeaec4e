#include "run/run.hpp"
#include "package/registry.hpp"
#include "util/log.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>

namespace edgectl {

namespace {

// A cached model lent to one score run: the cache keeps it for the next.
class Lent : public Model {
  public:
    explicit Lent(std::shared_ptr<Model> model) : model_(std::move(model)) {}
    Matrix forward(const Matrix& input) override { return model_->forward(input); }

  private:
    std::shared_ptr<Model> model_;
};

// Runs `step` under `command`'s lock; false (and nothing done) when another process holds it.
template <typename Step> bool locked_step(Store& store, std::string_view command, Step&& step) {
    std::optional<StoreLock> lock;
    try {
        lock.emplace(store.lock(command));
    } catch (const Error& e) {
        if (e.code() != Exit::locked) throw;
        log::debug(std::string(command) + " skipped this cycle: " + e.what());
        return false;
    }
    step(*lock);
    return true;
}

using Steady = std::chrono::steady_clock;

Steady::duration seconds(double s) {
    return std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(s));
}

// The inbox's directories under inotify: each is watched for files closed after writing or moved
// in, and for new folders, which are watched in turn at the next cycle's look.
class InboxWatch {
  public:
    explicit InboxWatch(const RunOptions& o) : o_(o), fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
        if (fd_ < 0)
            log::warning("cannot watch the inbox (inotify: " + std::string(std::strerror(errno)) + "): looking every " +
                         std::to_string(int(o.sweep_seconds)) + " s instead");
    }
    ~InboxWatch() {
        if (fd_ >= 0) ::close(fd_);
    }
    InboxWatch(const InboxWatch&) = delete;
    InboxWatch& operator=(const InboxWatch&) = delete;

    int fd() const { return fd_; }

    /// Watches every directory of the inbox (new ones since the last call included).
    void add_directories() {
        if (fd_ < 0) return;
        std::error_code ec;
        for (const auto& root : o_.ingest.paths) {
            if (!fs::is_directory(root, ec)) continue;
            add(root);
            for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
                 !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
                if (!it->is_directory(ec)) continue;
                if (!o_.ingest.move_to.empty() && fs::equivalent(it->path(), o_.ingest.move_to, ec)) {
                    it.disable_recursion_pending();
                    continue;
                }
                add(it->path());
            }
        }
    }

    /// Reads what is pending; true when anything landed.
    bool drain() {
        bool landed = false;
        alignas(inotify_event) std::array<char, 16384> buffer{};
        for (;;) {
            ssize_t n = ::read(fd_, buffer.data(), buffer.size());
            if (n <= 0) return landed;
            landed = true;
        }
    }

  private:
    void add(const fs::path& dir) {
        if (watched_.contains(dir.string())) return;
        if (::inotify_add_watch(fd_, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ONLYDIR) < 0) {
            log::debug("cannot watch '" + dir.string() + "': " + std::strerror(errno));
            return;
        }
        watched_.insert(dir.string());
    }

    const RunOptions& o_;
    int fd_;
    std::set<std::string> watched_;
};

}  // namespace

ModelLoader ModelCache::loader() {
    return [this](const ActiveModel& m) -> std::unique_ptr<Model> {
        auto& model = models_[m.digest];
        if (!model) {
            log::debug("loading " + m.name + "@" + m.version);
            model = load_installed(m);
        }
        return std::make_unique<Lent>(model);
    };
}

void ModelCache::sweep(Store& store) {
    if (models_.empty()) return;
    std::set<std::string> in_use;
    for (const auto& m : active_models(store)) {
        in_use.insert(m.digest);
        if (auto shadow = shadow_of(store, m)) in_use.insert(shadow->digest);
    }
    std::erase_if(models_, [&in_use](const auto& entry) { return !in_use.contains(entry.first); });
}

CycleResult run_cycle(Store& store, const RunOptions& o, ModelCache& cache, const RunControl& control,
                      const std::function<void()>& alive) {
    CycleResult r;
    IngestOptions inbox = o.ingest;
    inbox.stop = &control.stop;
    inbox.on_commit = alive;
    r.ingest_locked =
        !locked_step(store, "ingest", [&](const StoreLock& lock) { r.ingest = ingest(store, lock, inbox); });
    for (const auto& f : r.ingest.files)
        r.deferred += f.status == FileOutcome::deferred;
    if (control.stop) return r;
    ScoreOptions score_options = o.score;
    score_options.stop = &control.stop;
    score_options.on_commit = alive;
    if (!score_options.load_model) score_options.load_model = cache.loader();
    r.score_locked =
        !locked_step(store, "score", [&](const StoreLock& lock) { r.score = score(store, lock, score_options); });
    return r;
}

void watch(Store& store, const RunOptions& o, RunControl& control, const WatchHooks& hooks) {
    ModelCache cache;
    InboxWatch inbox(o);
    const auto sweep = seconds(std::max(o.sweep_seconds, 0.1));
    // Files left as still being written are looked at again once they may have settled.
    const auto settle = seconds(std::max(o.ingest.settle_seconds, 0.0) + 0.2);
    auto last_alive = Steady::now();
    auto alive = [&] {
        last_alive = Steady::now();
        if (hooks.alive) hooks.alive();
    };
    // Within a cycle, at each commit once a ping is due: a large file or backlog takes as long as
    // it takes, and the watchdog hears from every step of it.
    std::function<void()> alive_if_due;
    if (hooks.alive && hooks.alive_every > 0)
        alive_if_due = [&] {
            if (Steady::now() >= last_alive + seconds(hooks.alive_every)) alive();
        };
    while (!control.stop) {
        if (control.reload.exchange(false)) {
            log::debug("SIGHUP: the models are loaded again");
            cache.clear();
        }
        inbox.add_directories();  // before the cycle: a file landing during it wakes the next
        if (inbox.fd() >= 0) inbox.drain();
        auto next = Steady::now() + sweep;
        try {
            CycleResult r = run_cycle(store, o, cache, control, alive_if_due);
            cache.sweep(store);
            if (hooks.cycle) hooks.cycle(r);
            if (r.more())
                next = Steady::now();
            else if (r.deferred > 0)
                next = std::min(next, Steady::now() + settle);
        } catch (const Error& e) {
            if (hooks.failed) hooks.failed(e.what());
        }
        alive();
        // Waits for the next cycle's reason: its time, a file landing, a signal.
        while (!control.stop && !control.reload) {
            auto now = Steady::now();
            if (now >= next) break;
            auto wait = next - now;
            if (hooks.alive && hooks.alive_every > 0) {
                auto ping = last_alive + seconds(hooks.alive_every);
                if (ping <= now) {
                    alive();
                    continue;
                }
                wait = std::min(wait, ping - now);
            }
            std::array<pollfd, 2> fds{pollfd{inbox.fd(), POLLIN, 0}, pollfd{control.wake_fd, POLLIN, 0}};
            const int ms = int(std::chrono::duration_cast<std::chrono::milliseconds>(wait).count()) + 1;
            if (::poll(fds.data(), fds.size(), ms) < 0 && errno != EINTR)
                throw Error("cannot wait for the inbox: " + std::string(std::strerror(errno)));
            if (fds[1].revents & POLLIN) {  // a signal: its flag says what it wants
                std::array<char, 64> sink{};
                while (::read(control.wake_fd, sink.data(), sink.size()) > 0) {}
            }
            if (fds[0].revents & POLLIN && inbox.drain()) {
                // A file landed: a moment for the rest of a batch of files, then a cycle.
                next = std::min(next, Steady::now() + std::chrono::milliseconds(100));
            }
        }
    }
}

}  // namespace edgectl
