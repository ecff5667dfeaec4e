#include "ingest/frames.hpp"

#include "fixture.hpp"
#include "image/frame_builders.hpp"
#include "ingest/ingest.hpp"
#include "store/purge.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace edgectl;
using namespace edgectl::test::frames;

namespace {

// A phone photo: JFIF, EXIF with a GPS position and an orientation, XMP, a comment.
const std::string photo = jpeg(jfif + exif_be + xmp + comment);
const std::string clean_photo = jpeg(jfif);
const std::string png = signature + ihdr(64, 48) + chunk("tEXt", std::string("Location\0GPS 47.37N", 19)) + idat + iend;

std::vector<std::string> column(Db& db, const std::string& sql) {
    std::vector<std::string> out;
    Statement s(db, sql);
    while (s.step())
        out.push_back(s.column_text(0));
    return out;
}

// Every byte under a directory, files and database alike.
bool any_file_holds(const fs::path& dir, std::string_view needle) {
    for (const auto& entry : fs::recursive_directory_iterator(dir))
        if (entry.is_regular_file() && read_file(entry.path(), std::size_t(1) << 30).find(needle) != std::string::npos)
            return true;
    return false;
}

}  // namespace

TEST_CASE_METHOD(test::TempDirFixture,
                 "frames: photos become items with their metadata gone, bad ones are quarantined") {
    Store store = Store::init(dir / "s", "x");
    fs::create_directories(dir / "in");
    test::write_file(dir / "in/a-photo.jpg", photo);
    test::write_file(dir / "in/b-png-named.jpg", png);  // a PNG, whatever its name says
    test::write_file(dir / "in/c-animation.gif", "GIF89a\x01");
    test::write_file(dir / "in/d-empty.jpg", "");
    test::write_file(dir / "in/e-truncated.jpg", photo.substr(0, photo.size() - 5));
    test::write_file(dir / "in/f-records.csv", "id,v\n1,2\n");

    IngestResult r = ingest(store, store.lock("ingest"), test::paths({dir / "in"}));
    CHECK(r.added == 3);  // two frames and one record
    CHECK(r.quarantined == 3);
    CHECK(r.partial());
    REQUIRE(r.files.size() == 6);
    for (const auto& f : r.files)
        CHECK(f.status == FileOutcome::ingested);

    Db& db = store.db();
    CHECK(column(db, "SELECT reason FROM quarantine ORDER BY source") ==
          std::vector<std::string>{"a GIF image: only JPEG and PNG frames are taken", "an empty file",
                                   "truncated: it ends inside its image data"});
    CHECK(column(db, "SELECT format FROM sources ORDER BY path") ==
          std::vector<std::string>{"jpeg", "png", "image", "image", "jpeg", "csv"});

    // The photo's file holds the photo without EXIF, XMP and comment, named by its digest.
    std::string digest = sha256_hex(clean_photo);
    REQUIRE(fs::exists(store.image_path(digest)));
    CHECK(read_file(store.image_path(digest)) == clean_photo);
    CHECK(fs::status(store.image_path(digest)).permissions() == (fs::perms::owner_read | fs::perms::owner_write));
    Statement item(db, "SELECT payload, image FROM items WHERE image = ?");
    item.bind(1, digest);
    REQUIRE(item.step());
    Json payload = Json::parse(item.column_text(0));
    CHECK(payload["image"] == digest);
    CHECK(payload["format"] == "jpeg");
    CHECK(payload["width"] == 640);
    CHECK(payload["height"] == 480);
    CHECK(payload["orientation"] == 6);  // read before EXIF went
    CHECK(payload["metadata_removed"] == Json::array({"EXIF", "XMP", "comment"}));
    CHECK(column(db, "SELECT format || ' ' || width || 'x' || height FROM images ORDER BY format") ==
          std::vector<std::string>{"jpeg 640x480", "png 64x48"});

    // No GPS position, serial number or location text anywhere in the store.
    CHECK_FALSE(any_file_holds(dir / "s", "GPS"));
    CHECK_FALSE(any_file_holds(dir / "s", "SN-8841-ZX"));

    // The same files again: nothing new.
    IngestResult again = ingest(store, store.lock("ingest"), test::paths({dir / "in"}));
    CHECK(again.added == 0);
    CHECK(again.quarantined == 0);
    for (const auto& f : again.files)
        CHECK(f.status == FileOutcome::unchanged);
}

TEST_CASE_METHOD(test::TempDirFixture, "frames: two photos that differ only in their metadata share one file") {
    Store store = Store::init(dir / "s", "x");
    test::write_file(dir / "a.jpg", photo);
    test::write_file(dir / "b.jpg", jpeg(jfif + comment));
    IngestResult r = ingest(store, store.lock("ingest"), test::paths({dir / "a.jpg", dir / "b.jpg"}));
    CHECK(r.added == 2);
    CHECK(query_int(store.db(), "SELECT count(*) FROM images") == 1);
    CHECK(query_int(store.db(), "SELECT count(DISTINCT image) FROM items") == 1);
}

TEST_CASE_METHOD(test::TempDirFixture, "frames: a policy that keeps metadata stores the frame as it came") {
    Store store = Store::init(dir / "s", "x");
    test::write_file(dir / "a.jpg", photo);
    test::write_file(dir / "policy.json", R"({"schema_version": 1, "images": {"metadata": "keep"}})");
    IngestOptions o = test::paths({dir / "a.jpg"});
    o.policy = dir / "policy.json";
    IngestResult r = ingest(store, store.lock("ingest"), o);
    CHECK(r.added == 1);
    CHECK(read_file(store.image_path(sha256_hex(photo))) == photo);
    CHECK(column(store.db(), "SELECT policy_digest FROM ingests")[0].size() == 64);
}

TEST_CASE_METHOD(test::TempDirFixture, "frames: limits on pixels and bytes quarantine a frame with the reason") {
    Store store = Store::init(dir / "s", "x");
    test::write_file(dir / "big.jpg", jpeg(jfif, sof(0xC0, 4000, 3000)));
    test::write_file(dir / "ok.jpg", jpeg(jfif, sof(0xC0, 100, 100)));
    IngestOptions o = test::paths({dir / "big.jpg", dir / "ok.jpg"});
    o.image_limits.max_pixels = 10'000'000;
    IngestResult r = ingest(store, store.lock("ingest"), o);
    CHECK(r.added == 1);
    CHECK(column(store.db(), "SELECT reason FROM quarantine") ==
          std::vector<std::string>{"declares 4000×3000 pixels, over the limit of 10000000"});
    test::write_file(dir / "heavy.png", png);
    o = test::paths({dir / "heavy.png"});
    o.image_limits.max_bytes = 50;
    ingest(store, store.lock("ingest"), o);
    CHECK(column(store.db(), "SELECT reason FROM quarantine WHERE source LIKE '%heavy.png'") ==
          std::vector<std::string>{std::to_string(png.size()) + " bytes, over the limit of 50"});
}

TEST_CASE_METHOD(test::TempDirFixture,
                 "frames: image files no row names are removed by the next ingest, and only they") {
    Store store = Store::init(dir / "s", "x");
    test::write_file(dir / "a.jpg", photo);
    ingest(store, store.lock("ingest"), test::paths({dir / "a.jpg"}));
    fs::path kept = store.image_path(sha256_hex(clean_photo));
    // What a run killed before its commit leaves: a frame's file, and an AtomicFile's temporary.
    std::string orphan_digest = sha256_hex("orphan");
    fs::path orphan = store.image_path(orphan_digest);
    fs::create_directories(orphan.parent_path());
    test::write_file(orphan, "orphan");
    fs::path temporary = kept.parent_path() / ("." + kept.filename().string() + ".tmp-1");
    test::write_file(temporary, "half");
    CHECK(sweep_frames(store, store.lock("ingest")) == 2);
    CHECK(fs::exists(kept));
    CHECK_FALSE(fs::exists(orphan));
    CHECK_FALSE(fs::exists(temporary));

    // Purged, a frame's row goes at once and its file at the next ingest.
    PurgeResult p = purge(store, store.lock("export"), 0, true);
    CHECK(p.items == 1);
    CHECK(p.images == 1);
    CHECK(fs::exists(kept));
    ingest(store, store.lock("ingest"), test::paths({dir / "a.jpg"}));  // unchanged: the source is known
    CHECK_FALSE(fs::exists(kept));
}

TEST_CASE("frames: a file is a frame by its first bytes, or by its name when they are no image's") {
    CHECK(is_frame("x.csv", std::string("\x89PNG\r\n\x1a\n", 8)));
    CHECK(is_frame("x", "GIF89a"));
    CHECK(is_frame("x.JPG", ""));
    CHECK(is_frame("x.jpeg", "id,v\n"));
    CHECK_FALSE(is_frame("x.txt", "BMI,weight\n"));
    CHECK_FALSE(is_frame("x.csv", "id,v\n"));
}

TEST_CASE_METHOD(test::TempDirFixture,
                 "frames: batches commit together, and the same bytes twice in one batch are one item") {
    Store store = Store::init(dir / "s", "x");
    fs::create_directories(dir / "in");
    for (int i = 0; i < 5; ++i)
        test::write_file(dir / "in" / ("f" + std::to_string(i) + ".jpg"), jpeg(jfif, sof(0xC0, 10 + unsigned(i), 10)));
    test::write_file(dir / "in/f0b.jpg", jpeg(jfif, sof(0xC0, 10, 10)));  // f0's bytes, in f0's batch
    IngestOptions o = test::paths({dir / "in"});
    o.batch = 2;
    IngestResult r = ingest(store, store.lock("ingest"), o);
    CHECK(r.added == 5);
    REQUIRE(r.files.size() == 6);
    CHECK(r.files[1].path == (dir / "in/f0b.jpg").string());
    CHECK(r.files[1].status == FileOutcome::unchanged);
    CHECK(query_int(store.db(), "SELECT count(*) FROM items") == 5);
    CHECK(query_int(store.db(), "SELECT count(*) FROM images") == 5);
    CHECK(query_int(store.db(), "SELECT count(*) FROM sources WHERE complete = 1") == 5);
}

TEST_CASE_METHOD(test::TempDirFixture,
                 "frames: an image is a frame whatever --format says, so its metadata is never parsed as records") {
    Store store = Store::init(dir / "s", "x");
    test::write_file(dir / "cam.ndjson", photo);
    test::write_file(dir / "anim.csv", "GIF89a\x01");
    IngestOptions o = test::paths({dir / "cam.ndjson", dir / "anim.csv"});
    o.format = RecordFormat::ndjson;
    IngestResult r = ingest(store, store.lock("ingest"), o);
    CHECK(r.added == 1);
    CHECK(query_int(store.db(), "SELECT count(*) FROM items WHERE image IS NOT NULL") == 1);
    CHECK(column(store.db(), "SELECT reason FROM quarantine") ==
          std::vector<std::string>{"a GIF image: only JPEG and PNG frames are taken"});
    CHECK_FALSE(any_file_holds(dir / "s", "GPS"));
}

TEST_CASE_METHOD(test::TempDirFixture, "frames: a file that fails the run does not cost the frames before it") {
    Store store = Store::init(dir / "s", "x");
    test::write_file(dir / "a.jpg", photo);
    test::write_file(dir / "b.png", png);
    REQUIRE(::mkfifo((dir / "c.jpg").c_str(), 0600) == 0);  // not a regular file: the run stops there
    CHECK_THROWS_AS(ingest(store, store.lock("ingest"), test::paths({dir / "a.jpg", dir / "b.png", dir / "c.jpg"})),
                    Error);
    CHECK(query_int(store.db(), "SELECT count(*) FROM items") == 2);
    CHECK(query_int(store.db(), "SELECT count(*) FROM sources WHERE complete = 1") == 2);
    CHECK(sweep_frames(store, store.lock("ingest")) == 0);  // every file written is named
}

TEST_CASE_METHOD(test::TempDirFixture,
                 "frames: outcomes are reported in file order, each once its frame is committed") {
    Store store = Store::init(dir / "s", "x");
    fs::create_directories(dir / "in/sub");
    fs::create_directories(dir / "done");
    test::write_file(dir / "in/a.jpg", photo);
    test::write_file(dir / "in/b.bin", "neither records nor a frame");  // rejected at once, reported in its turn
    test::write_file(dir / "in/b.csv", "x,y\n1,2\n");
    test::write_file(dir / "in/c.gif", "GIF89a...");
    test::write_file(dir / "in/sub/d.png", png);
    test::write_file(dir / "in/z.png", png);  // the same bytes as sub/d.png: unchanged by then
    IngestOptions o = test::paths({dir / "in"});
    o.move_to = dir / "done";
    o.settle_seconds = 0;
    std::vector<IngestFileResult> seen;
    o.on_file = [&](const IngestFileResult& f) {
        // A frame's outcome comes once its row is committed and its file has left the inbox.
        if (f.added > 0)
            CHECK(query_int(store.db(), "SELECT count(*) FROM ingests WHERE name = '" + f.path + "'") == 1);
        seen.push_back(f);
    };
    IngestResult r = ingest(store, store.lock("ingest"), o);
    CHECK(r.files.empty());
    std::vector<std::string> order;
    for (const auto& f : seen)
        order.push_back(fs::path(f.path).lexically_relative(dir / "in").string() + " " +
                        std::string(to_string(f.status)) + (f.moved_to.empty() ? "" : " moved"));
    CHECK(order == std::vector<std::string>{"a.jpg ingested moved", "b.bin rejected", "b.csv ingested moved",
                                            "c.gif ingested moved", "sub/d.png ingested moved",
                                            "z.png unchanged moved"});
    CHECK(r.added == 3);
    CHECK(r.quarantined == 1);  // the GIF
}

TEST_CASE_METHOD(test::TempDirFixture,
                 "frames: files behind a waiting frame do not pile up: a batch's worth commits it") {
    Store store = Store::init(dir / "s", "x");
    fs::create_directories(dir / "in");
    test::write_file(dir / "in/a.jpg", photo);
    const std::size_t records = FrameWriter::max_frame_batch + 10;
    for (std::size_t i = 0; i < records; ++i)
        test::write_file(dir / "in" / ("r" + std::to_string(1000 + i) + ".csv"), "x\n" + std::to_string(i) + "\n");
    IngestOptions o = test::paths({dir / "in"});
    // The frame's outcome comes first, once a batch's worth of outcomes wait behind it: while the
    // records files after it are still being ingested, not at the end of the run.
    std::size_t reported = 0, files_when_frame_came = 0;
    o.on_file = [&](const IngestFileResult& f) {
        if (f.path.ends_with("a.jpg")) {
            CHECK(reported == 0);
            files_when_frame_came = std::size_t(query_int(store.db(), "SELECT count(*) FROM sources"));
        }
        ++reported;
    };
    ingest(store, store.lock("ingest"), o);
    CHECK(reported == records + 1);
    CHECK(files_when_frame_came > 0);
    CHECK(files_when_frame_came <= FrameWriter::max_frame_batch + 1);
}
