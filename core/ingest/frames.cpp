#include "ingest/frames.hpp"

#include "image/scrub.hpp"
#include "ingest/sources.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <array>

namespace edgectl {
namespace {

bool has_image_extension(const fs::path& path) {
    static constexpr std::array<std::string_view, 11> extensions = {".jpg", ".jpeg", ".jpe",  ".png",  ".gif", ".bmp",
                                                                    ".tif", ".tiff", ".webp", ".heic", ".heif"};
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return std::find(extensions.begin(), extensions.end(), ext) != extensions.end();
}

// The whole file, or why it is not read: over the limit.
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

// Writes the frame's bytes under their digest, durably, unless the store has them already.
void store_frame(Store& store, const std::string& stored, const std::string& bytes) {
    fs::path file = store.image_path(stored);
    std::error_code ec;
    if (fs::exists(file, ec)) return;
    make_dir(store.images_dir(), 0700, "ingest.image-dir");
    make_dir(file.parent_path(), 0700, "ingest.image-dir");
    write_file_atomic(file, bytes, 0600, "ingest.image");
}

// A frame's source format: JPEG or PNG when its first bytes say so, even if it was refused.
std::string format_name(const Result<std::string>& bytes, const Result<ScrubbedImage>& image) {
    if (image) return std::string(to_string(image->info.format));
    auto sniffed = bytes ? sniff_image(*bytes) : Result<ImageFormat>(fail(bytes.error()));
    return sniffed ? std::string(to_string(*sniffed)) : std::string("image");
}

}  // namespace

bool is_frame(const fs::path& path, std::string_view first_bytes) {
    return is_image_magic(first_bytes) || has_image_extension(path);
}

IngestFileResult ingest_frame(Store& store, File file, const std::string& digest, const std::string& source,
                              const IngestOptions& o, const Policy* policy) {
    IngestFileResult result{file.path().string(), FileOutcome::ingested, "", 1, 0, 0, ""};
    Db& db = store.db();
    bool keep = policy && policy->keeps_image_metadata();
    Result<std::string> bytes = read_frame(file, o.image_limits.max_bytes);
    Result<ScrubbedImage> image =
        bytes ? scrub_image(*bytes, o.image_limits, keep) : Result<ScrubbedImage>(fail(bytes.error()));
    std::string stored;
    if (image) {
        stored = sha256_hex(image->bytes);
        store_frame(store, stored, image->bytes);  // before the row that names it commits
    }
    std::string now = now_utc();
    // One transaction for the frame, synced: it counts as done, and may leave the inbox, only once
    // it is durable.
    db.set_synchronous(Db::Sync::full);
    {
        Transaction tx(db, "ingest.frame");
        Statement add_source(db, "INSERT INTO sources (digest, name, path, format, ingested_at) VALUES (?, ?, ?, ?, ?) "
                                 "ON CONFLICT (digest) DO NOTHING");
        add_source.bind(1, digest).bind(2, source).bind(3, file.path().string());
        add_source.bind(4, format_name(bytes, image)).bind(5, now).run();
        Statement find(db, "SELECT id FROM sources WHERE digest = ?");
        find.bind(1, digest);
        find.step();
        std::int64_t source_id = find.column_int(0);
        if (image) {
            Statement add_image(db, "INSERT INTO images (digest, format, bytes, width, height, stored_at) "
                                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING");
            add_image.bind(1, stored).bind(2, to_string(image->info.format)).bind(3, std::int64_t(image->bytes.size()));
            add_image.bind(4, std::int64_t(image->info.width))
                .bind(5, std::int64_t(image->info.height))
                .bind(6, now)
                .run();
            Statement add_ingest(db, "INSERT INTO ingests (source_id, name, columns, policy_digest, ingested_at) "
                                     "VALUES (?, ?, NULL, ?, ?)");
            add_ingest.bind(1, source_id)
                .bind(2, source)
                .bind(3, policy ? policy->digest() : std::string())
                .bind(4, now);
            add_ingest.run();
            std::int64_t ingest_id = db.last_insert_rowid();
            Statement add_item(db, "INSERT INTO items (id, ingest_id, source_id, ordinal, line, payload, image) "
                                   "VALUES (?, ?, ?, 1, 0, ?, ?) ON CONFLICT DO NOTHING");
            add_item.bind(1, next_row_id(db, RowTable::items)).bind(2, ingest_id).bind(3, source_id);
            add_item.bind(4, frame_payload(*image, stored).dump()).bind(5, stored).run();
            result.added = db.changes();
        } else {
            Statement add_quarantine(db,
                                     "INSERT INTO quarantine (id, stage, source, line, source_key, reason, raw, "
                                     "created_at) VALUES (?, 'ingest', ?, 0, ?, ?, NULL, ?) ON CONFLICT DO NOTHING");
            add_quarantine.bind(1, next_row_id(db, RowTable::quarantine)).bind(2, source).bind(3, digest + ":1");
            add_quarantine.bind(4, image.error()).bind(5, now).run();
            result.quarantined = db.changes();
        }
        Statement done(db, "UPDATE sources SET complete = 1, done = 1, records = 1, quarantined = ? WHERE id = ?");
        done.bind(1, image ? 0 : 1).bind(2, source_id).run();
        tx.commit();
    }
    db.set_synchronous(Db::Sync::normal);
    return result;
}

std::size_t sweep_frames(Store& store, const StoreLock& lock) {
    lock.require("ingest");
    std::error_code ec;
    if (!fs::is_directory(store.images_dir(), ec)) return 0;
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(store.images_dir(), ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file(ec)) files.push_back(it->path());
    if (ec) throw Error("cannot read " + quote(store.images_dir().string()) + ": " + ec.message());
    Statement named(store.db(), "SELECT 1 FROM images WHERE digest = ?");
    std::size_t removed = 0;
    for (const auto& file : files) {
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
    return removed;
}

}  // namespace edgectl
