#include "hub/lake.hpp"

#include "util/crash.hpp"
#include "util/error.hpp"
#include "util/zstd.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <simdjson.h>
#include <thread>

namespace edgectl {
namespace {

// Trino's zstd decoder refuses windows above 8 MiB (trino#17792); 1 MiB costs little ratio on
// NDJSON and keeps a reader's memory small.
constexpr int lake_window_log = 20;
// A payload file's records go to one part per date; a bag spanning more dates than this at once
// (records interleaved across days) closes the least recent part and opens a further one later.
constexpr std::size_t max_open_parts = 4;
// Records are handed to zstd in batches of about this size.
constexpr std::size_t batch_bytes = std::size_t(1) << 17;
// The longest record line taken: far above what export writes (an item's payload is bounded at ingest).
constexpr std::size_t max_line_bytes = std::size_t(64) << 20;

const std::map<std::string, std::pair<std::string, std::string>, std::less<>>& kinds() {
    // bag payload file -> lake folder, the field that dates a record
    static const std::map<std::string, std::pair<std::string, std::string>, std::less<>> all = {
        {"data/insights.ndjson", {"insights", "scored_at"}}, {"data/anomalies.ndjson", {"anomalies", "scored_at"}},
        {"data/items.ndjson", {"items", "ingested_at"}},     {"data/quarantine.ndjson", {"quarantine", "created_at"}},
        {"data/models.ndjson", {"models", "imported_at"}},   {"data/summary.ndjson", {"summaries", "hour"}},
        {"data/drift.ndjson", {"drift", "closed_at"}},       {"data/shadow.ndjson", {"shadow", "scored_at"}}};
    return all;
}

bool is_date(std::string_view s) {
    if (s.size() < 10) return false;
    for (std::size_t i = 0; i < 10; ++i) {
        bool digit = s[i] >= '0' && s[i] <= '9';
        if (i == 4 || i == 7 ? s[i] != '-' : !digit) return false;
    }
    return true;
}

}  // namespace

struct LakeStager::Parser {
    simdjson::ondemand::parser parser;
    std::string buffer;
};

struct LakeStager::Part {
    std::string date;
    ZstdWriter writer;
    std::string batch;
};

// Compresses the lake's parts on a thread of its own: the reading thread decompresses, routes
// records and stages them, the bag's hasher digests them, and this one recompresses them, so that
// on two cores receiving costs little more than verifying. Jobs run in the order given; at most
// max_jobs batches wait, so memory stays bounded. A failure (a full disk) is rethrown to the
// reading thread at its next call.
class LakeStager::Compressor {
  public:
    Compressor() : thread_([this] { run(); }) {}
    ~Compressor() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        changed_.notify_all();
        thread_.join();
    }
    Compressor(const Compressor&) = delete;
    Compressor& operator=(const Compressor&) = delete;

    /// Compresses bytes into part (finish: then ends its frame, syncs and closes its file).
    void submit(Part* part, std::string bytes, bool finish) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return jobs_.size() < max_jobs || error_; });
        rethrow();
        jobs_.push_back({part, std::move(bytes), finish});
        changed_.notify_all();
    }
    /// Waits until every job given so far is done.
    void drain() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return (jobs_.empty() && !busy_) || error_; });
        rethrow();
    }

  private:
    static constexpr std::size_t max_jobs = 8;
    struct Job {
        Part* part = nullptr;
        std::string bytes;
        bool finish = false;
    };
    void rethrow() {
        if (error_) std::rethrow_exception(error_);
    }
    void run() {
        for (;;) {
            Job job;
            {
                std::unique_lock lock(mutex_);
                changed_.wait(lock, [&] { return !jobs_.empty() || stopping_; });
                if (jobs_.empty()) return;
                job = std::move(jobs_.front());
                jobs_.pop_front();
                busy_ = true;
            }
            try {
                if (!error_) {
                    if (!job.bytes.empty()) job.part->writer.write(job.bytes);
                    if (job.finish) job.part->writer.finish();
                }
            } catch (...) {
                std::lock_guard lock(mutex_);
                error_ = std::current_exception();
            }
            std::lock_guard lock(mutex_);
            busy_ = false;
            changed_.notify_all();
        }
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Job> jobs_;
    std::exception_ptr error_;
    bool busy_ = false, stopping_ = false;
    std::thread thread_;  // last: it uses the members above
};

LakeStager::LakeStager(fs::path hub_root, std::string staging_rel, std::string site, std::string name, int level)
    : root_(std::move(hub_root)), staging_rel_(std::move(staging_rel)), site_(std::move(site)), name_(std::move(name)),
      level_(level), parser_(std::make_unique<Parser>()), compressor_(std::make_unique<Compressor>()) {
    std::string final_rel = "evidence/" + site_ + "/" + name_ + ".tar.zst";
    evidence_ = std::make_unique<File>(File::create_new(stage(final_rel), 0600));
}

LakeStager::~LakeStager() = default;

fs::path LakeStager::stage(const std::string& final_rel) {
    // Flat, in staging/ itself: a folder made and removed per archive cost as much as the rest of
    // landing a small archive (ext4 passes over freshly freed inodes when it allocates).
    std::string staged = staging_rel_ + "." + std::to_string(files_.size());
    files_.push_back({staged, final_rel});
    return root_ / staged;
}

void LakeStager::archive_bytes(const char* data, std::size_t size) {
    if (evidence_) evidence_->write_all(std::string_view(data, size));
}

void LakeStager::begin_file(const std::string& rel, std::uint64_t /*size*/) {
    std::string digest;
    if (is_bag_image_path(rel, &digest)) {
        std::string final_rel = "lake/images/" + digest.substr(0, 2) + "/" + rel.substr(rel.rfind('/') + 1);
        image_ = std::make_unique<File>(File::create_new(stage(final_rel), 0600));
        ++counts_["images"];
        return;
    }
    auto it = kinds().find(rel);
    if (it == kinds().end()) throw VerifyError("bag file " + quote(rel) + " has no place in the lake");
    kind_ = it->second.first;
    date_field_ = it->second.second;
    counts_[kind_] += 0;
    carry_.clear();
    line_no_ = 0;
    parts_.clear();
}

void LakeStager::file_bytes(const char* data, std::size_t size) {
    if (image_) {
        image_->write_all(std::string_view(data, size));
        return;
    }
    std::string_view in(data, size);
    while (!in.empty()) {
        auto nl = in.find('\n');
        if (nl == std::string_view::npos) {
            if (carry_.size() + in.size() > max_line_bytes)
                throw VerifyError("data/" + kind_ + " line " + std::to_string(line_no_ + 1) + " is longer than " +
                                  std::to_string(max_line_bytes) + " bytes");
            carry_.append(in);
            return;
        }
        if (carry_.empty()) {
            line(in.substr(0, nl));
        } else {
            carry_.append(in.substr(0, nl));
            line(carry_);
            carry_.clear();
        }
        in.remove_prefix(nl + 1);
    }
}

void LakeStager::line(std::string_view text) {
    ++line_no_;
    Parser& p = *parser_;
    p.buffer.assign(text);
    p.buffer.resize(text.size() + simdjson::SIMDJSON_PADDING);
    simdjson::ondemand::document doc;
    std::string_view when;
    if (p.parser.iterate(p.buffer.data(), text.size(), p.buffer.size()).get(doc) ||
        doc.find_field_unordered(date_field_).get_string().get(when) || !is_date(when))
        throw VerifyError("a record of " + kind_ + " (line " + std::to_string(line_no_) + ") has no " + date_field_ +
                          " date");
    Part& part = part_for(std::string(when.substr(0, 10)));
    part.batch.append(text);
    part.batch.push_back('\n');
    if (part.batch.size() >= batch_bytes) {
        compressor_->submit(&part, std::move(part.batch), false);
        part.batch = std::string();
        part.batch.reserve(batch_bytes + text.size());
    }
    ++counts_[kind_];
}

LakeStager::Part& LakeStager::part_for(const std::string& date) {
    auto it = std::find_if(open_.begin(), open_.end(), [&](const auto& p) { return p->date == date; });
    if (it != open_.end()) {
        if (it + 1 != open_.end()) std::rotate(it, it + 1, open_.end());  // most recent last
        return *open_.back();
    }
    if (open_.size() == max_open_parts) {
        close_part(*open_.front());
        retired_.push_back(std::move(open_.front()));  // until the compressor has finished it
        open_.erase(open_.begin());
    }
    int n = ++parts_[date];
    std::string final_rel = "lake/" + kind_ + "/site=" + site_ + "/date=" + date + "/" + name_ +
                            (n > 1 ? "-" + std::to_string(n) : std::string()) + ".ndjson.zst";
    File out = File::create_new(stage(final_rel), 0600);
    auto part = std::make_unique<Part>(Part{date, ZstdWriter(std::move(out), level_), {}});
    part->writer.limit_window(lake_window_log);
    open_.push_back(std::move(part));
    return *open_.back();
}

void LakeStager::close_part(Part& part) { compressor_->submit(&part, std::move(part.batch), true); }

void LakeStager::end_file() {
    if (image_) {
        image_->close();
        image_.reset();
        return;
    }
    if (!carry_.empty()) throw VerifyError("data/" + kind_ + " does not end with a newline");
    for (auto& part : open_)
        close_part(*part);
    compressor_->drain();
    open_.clear();
    retired_.clear();
}

std::vector<LandedFile> LakeStager::finish(const fs::path& archive) {
    evidence_->close();
    evidence_.reset();
    for (const char* sidecar : {".sha256", ".minisig"}) {
        std::string final_rel = "evidence/" + site_ + "/" + name_ + ".tar.zst" + sidecar;
        File out = File::create_new(stage(final_rel), 0600);
        out.write_all(read_file(archive.string() + sidecar, 8192));
        out.close();
    }
    return files_;
}

Json LakeStager::counts() const {
    Json out = Json::object();
    for (const auto& [kind, n] : counts_)
        out[kind] = n;
    return out;
}

}  // namespace edgectl
