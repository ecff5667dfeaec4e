#include "ingest/frames.hpp"

#include "image/scrub.hpp"
#include "ingest/sources.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <array>
#include <unistd.h>

namespace edgectl {
namespace {

bool has_image_extension(const fs::path& path) {
    static constexpr std::array<std::string_view, 11> extensions = {".jpg", ".jpeg", ".jpe",  ".png",  ".gif", ".bmp",
                                                                    ".tif", ".tiff", ".webp", ".heic", ".heif"};
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return std::find(extensions.begin(), extensions.end(), ext) != extensions.end();
}

// The item's payload: what the frame is, and where it is.
Json frame_payload(const ScrubbedImage& image, const std::string& stored) {
    const ImageInfo& i = image.info;
    return {{"image", stored},
            {"format", to_string(i.format)},
            {"bytes", image.bytes.size()},
            {"width", i.width},
            {"height", i.height},
            {"channels", i.channels},
            {"bit_depth", i.bit_depth},
            {"palette", i.palette},
            {"alpha", i.alpha},
            {"progressive", i.progressive},
            {"orientation", i.orientation},
            {"metadata_removed", image.removed}};
}

// Writes a frame's bytes under their digest, unless the store has them already. Not synced: the
// batch's sync_filesystem() makes every file of it durable before the commit that names them. A
// file a power cut left torn, or a kill left without its row, has no row, and the next ingest's
// sweep removes it before anything could find it there.
bool stage_frame(Store& store, const std::string& stored, const std::string& bytes) {
    fs::path file = store.image_path(stored);
    std::error_code ec;
    if (fs::exists(file, ec)) return false;
    make_dir(store.images_dir(), 0700, "ingest.image-dir");
    make_dir(file.parent_path(), 0700, "ingest.image-dir");
    fs::path temporary = file.parent_path() / ("." + stored + ".tmp-" + std::to_string(::getpid()));
    File out = File::create_new(temporary, 0600);
    out.write_all(bytes);
    out.close();
    rename_unsynced(temporary, file, "ingest.image");
    return true;
}

// A frame's source format: JPEG or PNG when its first bytes say so, even if it was refused.
std::string format_name(const Result<std::string>& bytes, const Result<ScrubbedImage>& image) {
    if (image) return std::string(to_string(image->info.format));
    auto sniffed = bytes ? sniff_image(*bytes) : Result<ImageFormat>(fail(bytes.error()));
    return sniffed ? std::string(to_string(*sniffed)) : std::string("image");
}

}  // namespace

Result<std::string> read_frame(File& file, std::uint64_t max_bytes) {
    std::uint64_t size = file.size();
    if (size > max_bytes) return fail(std::to_string(size) + " bytes, over the limit of " + std::to_string(max_bytes));
    std::string bytes(std::size_t(size), '\0');
    std::size_t got = 0;
    while (got < bytes.size()) {
        std::size_t n = file.read_some(bytes.data() + got, bytes.size() - got);
        if (n == 0) break;
        got += n;
    }
    bytes.resize(got);
    return bytes;
}

bool is_frame(const fs::path& path, std::string_view first_bytes) {
    return is_image_magic(first_bytes) || has_image_extension(path);
}

FrameWriter::FrameWriter(Store& store, const IngestOptions& o, const Policy* policy)
    : store_(store), o_(o), policy_(policy) {}

IngestFileResult FrameWriter::add(const fs::path& path, const Result<std::string>& bytes, const std::string& digest,
                                  const std::string& source) {
    IngestFileResult result{path.string(), FileOutcome::ingested, "", 1, 0, 0, ""};
    if (!digests_.insert(digest).second) {  // the same bytes earlier in this batch
        result.status = FileOutcome::unchanged;
        result.records = 0;
        return result;
    }
    bool keep = policy_ && policy_->keeps_image_metadata();
    Result<ScrubbedImage> image =
        bytes ? scrub_image(*bytes, o_.image_limits, keep) : Result<ScrubbedImage>(fail(bytes.error()));
    Pending f{digest, source, path.string(), format_name(bytes, image), {}, {}, {}, 0, 0};
    if (image) {
        f.stored = sha256_hex(image->bytes);
        f.payload = frame_payload(*image, f.stored).dump();
        f.width = image->info.width;
        f.height = image->info.height;
        f.size = std::int64_t(image->bytes.size());
        written_ = stage_frame(store_, f.stored, image->bytes) || written_;
        result.added = 1;
    } else {
        f.reason = image.error();
        result.quarantined = 1;
    }
    pending_.push_back(std::move(f));
    if (pending_.size() >= std::min(o_.batch, max_frame_batch)) flush();
    return result;
}

void FrameWriter::after_commit(std::function<void()> then) {
    if (pending_.empty())
        then();
    else
        then_.push_back(std::move(then));
}

void FrameWriter::flush() {
    if (!pending_.empty()) commit();
    pending_.clear();
    digests_.clear();
    written_ = false;
    auto then = std::move(then_);
    then_.clear();
    for (auto& t : then)
        t();
}

// The batch's files made durable in one call, then its rows in one transaction, synced: a frame
// counts as done, and may leave the inbox, only once both are on disk.
void FrameWriter::commit() {
    if (written_) sync_filesystem(store_.images_dir(), "ingest.frames");
    Db& db = store_.db();
    std::string now = now_utc();
    db.set_synchronous(Db::Sync::full);
    Transaction tx(db, "ingest.frames");
    Statement add_source(db, "INSERT INTO sources (digest, name, path, format, ingested_at) VALUES (?, ?, ?, ?, ?) "
                             "ON CONFLICT (digest) DO NOTHING");
    Statement find(db, "SELECT id FROM sources WHERE digest = ?");
    Statement add_image(db, "INSERT INTO images (digest, format, bytes, width, height, stored_at) "
                            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING");
    Statement add_ingest(db, "INSERT INTO ingests (source_id, name, columns, policy_digest, ingested_at) "
                             "VALUES (?, ?, NULL, ?, ?)");
    Statement add_item(db, "INSERT INTO items (id, ingest_id, source_id, ordinal, line, payload, image) "
                           "VALUES (?, ?, ?, 1, 0, ?, ?) ON CONFLICT DO NOTHING");
    Statement add_quarantine(db, "INSERT INTO quarantine (id, stage, source, line, source_key, reason, raw, "
                                 "created_at) VALUES (?, 'ingest', ?, 0, ?, ?, NULL, ?) ON CONFLICT DO NOTHING");
    Statement done(db, "UPDATE sources SET complete = 1, done = 1, records = 1, quarantined = ? WHERE id = ?");
    std::int64_t next_item = next_row_id(db, RowTable::items);
    std::int64_t next_quarantine = next_row_id(db, RowTable::quarantine);
    for (const auto& f : pending_) {
        add_source.bind(1, f.digest).bind(2, f.source).bind(3, f.path).bind(4, f.format).bind(5, now).run();
        find.bind(1, f.digest);
        find.step();
        std::int64_t source_id = find.column_int(0);
        find.reset();
        bool ok = !f.stored.empty();
        if (ok) {
            add_image.bind(1, f.stored).bind(2, f.format).bind(3, f.size).bind(4, f.width).bind(5, f.height);
            add_image.bind(6, now).run();
            add_ingest.bind(1, source_id).bind(2, f.source);
            add_ingest.bind(3, policy_ ? policy_->digest() : std::string()).bind(4, now).run();
            add_item.bind(1, next_item++).bind(2, db.last_insert_rowid()).bind(3, source_id);
            add_item.bind(4, f.payload).bind(5, f.stored).run();
        } else {
            add_quarantine.bind(1, next_quarantine++).bind(2, f.source).bind(3, f.digest + ":1");
            add_quarantine.bind(4, f.reason).bind(5, now).run();
        }
        done.bind(1, ok ? 0 : 1).bind(2, source_id).run();
    }
    tx.commit();
    db.set_synchronous(Db::Sync::normal);
    if (o_.on_commit) o_.on_commit();
}

std::size_t sweep_frames(Store& store, const StoreLock& lock) {
    lock.require("ingest");
    std::error_code ec;
    if (!fs::is_directory(store.images_dir(), ec)) return 0;
    // Checked as the tree is walked, one file at a time: the store may hold millions of frames.
    Statement named(store.db(), "SELECT 1 FROM images WHERE digest = ?");
    std::size_t removed = 0;
    for (auto it = fs::recursive_directory_iterator(store.images_dir(), ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        const fs::path& file = it->path();
        std::string name = file.filename().string();
        bool kept = false;
        if (is_sha256_hex(name) && file.parent_path().filename() == name.substr(0, 2)) {
            named.bind(1, name);
            kept = named.step();
            named.reset();
        }
        if (kept) continue;
        remove_durably(file, "ingest.sweep-image");
        ++removed;
    }
    if (ec) throw Error("cannot read " + quote(store.images_dir().string()) + ": " + ec.message());
    return removed;
}

}  // namespace edgectl
