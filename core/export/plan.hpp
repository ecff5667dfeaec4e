#pragma once
// Planning an export: the rows the cloud needs, most important first, staged as payload files in
// volumes that each fit their budget (the volume limit, within the target's free space).

#include "export/bag.hpp"
#include "export/export.hpp"
#include "export/ledger.hpp"
#include "export/records.hpp"
#include "store/store.hpp"
#include "util/archive.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"
#include "util/zstd.hpp"

#include <zstd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace edgectl {

constexpr std::uint64_t min_volume_bytes = std::uint64_t(64) * 1024;
constexpr std::uint64_t sidecar_reserve = 4096;  // the .sha256 and .minisig beside each archive

// ---------------------------------------------------------------------------------------------
// Staging one volume: payload files hashed and compressed as they are written, and a zstd stream
// that counts how large the compressed payload is so far, so that a volume is cut before it
// outgrows its budget.

/// Where a staged payload file's compressed bytes are: the zstd frames that go into the archive.
inline fs::path staged_frames(const fs::path& dir, const std::string& bag_path) { return dir / (bag_path + ".zst"); }

/// A payload file being staged: its lines hashed as they are written, and compressed at the
/// archive's level into staged_frames(), from where they go into the archive as they are.
class StagedFile {
  public:
    StagedFile(const fs::path& dir, std::string bag_path, int level)
        : zstd_(File::create_new(staged_frames(dir, bag_path), 0600), level) {
        entry_.path = std::move(bag_path);
    }
    void write_line(const std::string& line) {
        buf_ += line;
        buf_ += '\n';
        if (buf_.size() >= (1 << 16)) flush();
    }
    BagFile finish() {
        flush();
        zstd_.finish();
        entry_.sha256 = hash_.finish();
        return entry_;
    }
    /// Hashes and compresses what is buffered; with `decodable`, the file on disk then holds every
    /// line so far.
    void flush(bool decodable = false) {
        hash_.update(buf_);
        zstd_.write(buf_);
        entry_.size += buf_.size();
        buf_.clear();
        if (decodable) zstd_.flush();
    }

  private:
    ZstdWriter zstd_;
    Sha256 hash_;
    std::string buf_;
    BagFile entry_;
};

class CompressedSizeCounter {
  public:
    /// Compresses at the archive's level, flushing every flush_every bytes of input.
    CompressedSizeCounter(int level, std::uint64_t flush_every)
        : zstd_(std::nullopt, level), flush_every_(flush_every) {}
    /// Frees the compressor: a volume whose plan is closed no longer counts.
    void release() { zstd_.release(); }
    void feed(std::string_view bytes) {
        zstd_.write(bytes);
        unflushed_ += bytes.size();
        // Flushing now and then makes the count exact up to here, at a negligible cost in ratio.
        if (unflushed_ >= flush_every_) {
            zstd_.flush();
            flushed_ += unflushed_;
            unflushed_ = 0;
        }
    }
    /// Compressed bytes so far: exact up to the last flush; input since then is counted at 1.5 times
    /// the ratio seen so far (or uncompressed before the first flush), to err on the large side.
    std::uint64_t estimate() const {
        std::uint64_t produced = zstd_.bytes_out();
        double ratio = flushed_ ? std::min(1.0, 1.5 * double(produced) / double(flushed_)) : 1.0;
        return produced + std::uint64_t(std::ceil(double(unflushed_) * ratio));
    }

  private:
    ZstdWriter zstd_;
    std::uint64_t flush_every_;
    std::uint64_t flushed_ = 0, unflushed_ = 0;
};

struct SummaryKey {
    std::string model, version, label, hour;
    auto operator<=>(const SummaryKey&) const = default;  // NOLINT(modernize-use-nullptr): clang-tidy 14 misreads it
};

/// Where a dry run's volume gets its rows again when it has to count their compressed size: it
/// stages nothing, so it selects them anew (ids only grow, so a range holds the same rows).
struct Unstaged {
    Store* store = nullptr;
    std::int64_t max_insight_id = 0;
};

/// One volume being planned. A real export stages its payload files; a dry run (unstaged) only
/// counts, and plans exactly the same cuts.
struct Volume {
    Volume(Store& store, std::uint64_t limit, int zstd_level, ImageSelection selection)
        : dir(std::in_place, store.staging_dir(), "export-"), budget(limit), level(zstd_level),
          counter(zstd_level, flush_every(limit)), images(selection), store_(&store) {
        fs::create_directories(dir->path() / "data");
    }
    Volume(Unstaged from, std::uint64_t limit, int zstd_level, ImageSelection selection)
        : budget(limit), level(zstd_level), counter(zstd_level, flush_every(limit)), unstaged(from), images(selection),
          store_(from.store) {}
    static std::uint64_t flush_every(std::uint64_t limit) {
        return std::clamp<std::uint64_t>(limit / 16, 16u << 10, 1u << 20);
    }

    bool fits(Category category, const RowLines& row) {
        std::uint64_t bytes = 0;
        for (const auto& [file, line] : row.lines)
            bytes += line.size() + 1;
        const std::optional<BagFile> frame = new_frame(category, row);
        if (frame && frames.size() >= max_bag_images) return false;
        std::uint64_t frame_raw = frame ? frame->size : 0, frame_cost = frame ? cost_of(*frame) : 0;
        // Room for tar headers, tag files, the summary and models files, and the estimate's slack.
        std::uint64_t margin = 16384 + budget / 100 + summary.size() * 160 + models.size() * 4096;
        // Whatever the budget, the bag must unpack within what verify allows any archive: the one
        // bound (util/archive.hpp), with the derived files' room.
        if (raw + frames_raw + frame_raw + bytes + margin > max_unpacked_bytes) return false;
        // Compressing only to learn the size was a tenth of an export's time, for a budget that is
        // usually the whole disk: as long as even zstd's worst case (no compression at all) fits, it
        // is not needed. Once it is, what is staged so far is compressed first.
        if (!counting && ZSTD_compressBound(raw) + frames_cost + frame_cost + bytes + margin > budget) start_counting();
        return estimate() + frame_cost + bytes + margin <= budget;
    }

    /// The compressed size of what is staged: zstd's bound until it had to be counted, and the
    /// frames' (already compressed: zstd stores them nearly as they are).
    std::uint64_t estimate() const { return (counting ? counter.estimate() : ZSTD_compressBound(raw)) + frames_cost; }

    /// Adds a row; `previous` is the id of the row of this category before it (0 if none), which
    /// opens this volume's range for the category when it is the first.
    void add(Category category, const RowLines& row, std::int64_t previous) {
        if (const std::optional<BagFile> frame = new_frame(category, row)) {
            frames_raw += frame->size;
            frames_cost += cost_of(*frame);
            frames.emplace(row.image, *frame);
            ++counts["images"];
        }
        for (const auto& [file, line] : row.lines) {
            if (dir) {
                auto it = files.find(file);
                if (it == files.end()) it = files.emplace(file, StagedFile(dir->path(), file, level)).first;
                it->second.write_line(line);
            }
            file_names.insert(file);
            raw += line.size() + 1;
            if (counting) counter.feed(line);
        }
        auto& range = ranges[std::string(to_string(category))];
        if (range.is_null()) range = {previous, row.id};
        range[1] = row.id;
        counts[std::string(to_string(category))] += row.records;
        if (!row.model.empty()) models.insert({row.model, row.version});
        if (row.summarised) {
            auto& s = summary[{row.model, row.version, row.label, row.hour}];
            ++s.first;
            s.second += row.anomaly;
        }
    }

    bool empty() const { return counts.empty(); }

    /// Feeds the counter everything added so far, file by file, in chunks of chunk_bytes.
    void start_counting();
    /// Closes an unstaged volume's plan: with measure (a dry run's report), its compressed size,
    /// counted now if it was not yet; and its compressor freed, so that planning many volumes
    /// holds one compressor at a time.
    void close_plan(bool measure) {
        if (dir) return;
        if (measure && !counting) start_counting();
        if (measure) estimated = estimate();
        counter.release();
        // Its frames are found again when it is staged: a backlog of any size plans in flat memory.
        std::map<std::string, BagFile>().swap(frames);
    }
    static constexpr std::size_t chunk_bytes = 1 << 20;

    std::optional<TempDir> dir;        ///< the staged payload files, compressed (none for a dry run)
    std::set<std::string> file_names;  ///< of the payload files rows went to
    std::uint64_t budget;
    int level;  ///< the archive's zstd level
    std::map<std::string, StagedFile> files;
    CompressedSizeCounter counter;
    bool counting = false;  ///< whether `counter` has been fed everything staged
    std::uint64_t raw = 0;  ///< bytes staged
    Json ranges = Json::object();
    std::map<std::string, std::int64_t> counts;
    std::set<std::pair<std::string, std::string>> models;
    std::map<SummaryKey, std::pair<std::int64_t, std::int64_t>> summary;
    std::vector<BagFile> payload;  ///< after finish_payload
    Unstaged unstaged;
    std::uint64_t estimated = 0;            ///< an unstaged volume's compressed size, once its plan is closed
    ImageSelection images;                  ///< which rows' frames the bag carries
    std::map<std::string, BagFile> frames;  ///< digest -> its payload file, each frame once
    std::uint64_t frames_raw = 0, frames_cost = 0;

  private:
    // The frame a row brings into this volume: its item's, when the selection takes this row's
    // and the volume does not hold it yet.
    std::optional<BagFile> new_frame(Category category, const RowLines& row);
    // A frame's share of the archive: its bytes as zstd stores incompressible data, and its tar header.
    static std::uint64_t cost_of(const BagFile& f) { return ZSTD_compressBound(f.size) + 1024; }

    Store* store_;
    std::optional<Statement> frame_of_;                          ///< a frame's format and size, prepared once
    std::optional<std::pair<std::string, BagFile>> last_frame_;  ///< fits()' answer, which add() takes
};

/// Writes the derived files (models, summary) and closes the payload files.
void finish_payload(Store& store, Volume& v, bool with_summary);

/// Free bytes on the filesystem of dir, for an unprivileged writer.
std::uint64_t free_bytes(const fs::path& dir);

/// Throws unless dir is a directory this process can write.
void check_target(const fs::path& dir);

struct Planned {
    std::vector<std::unique_ptr<Volume>> volumes;
    std::int64_t max_insight_id = 0;
    std::int64_t left_pending = 0;
};

/// Fills volumes in priority order until the rows run out or the target's space does.
Planned plan_volumes(Store& store, const ExportOptions& o, const fs::path& target);

/// The rows of a ledger row's volume, staged as when it was first made: those marked with its
/// sequence (a complete export, resent), or those in its plan's ranges (a pending one, written again).
std::unique_ptr<Volume> restage(Store& store, const Ledger& l, int level);

/// The image selection a ledger row's plan was made with.
ImageSelection planned_images(const Ledger& l);

/// The plan's spelling of an image selection ("anomalies", "all"; "" for none).
std::string_view to_string(ImageSelection images);

/// Whether a restaged volume holds the very payload its plan recorded (the rows may have changed
/// since, by purge).
bool matches_plan(const Volume& v, const Ledger& l);

}  // namespace edgectl
