#include "export/export.hpp"
#include "export/ledger.hpp"
#include "export/plan.hpp"
#include "store/purge.hpp"

#include "export/bag.hpp"
#include "fixture.hpp"
#include "package/package.hpp"
#include "score/score.hpp"
#include "util/archive.hpp"
#include "util/error.hpp"
#include "util/json_schema.hpp"

#include "util/sha256.hpp"
#include <map>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

using namespace edgectl;

namespace {

// Adds n items with one insight each (every third an anomaly) straight into the store. With
// `padding`, payloads carry that many random hex characters (incompressible, so volumes fill).
void add_insights(Store& store, int n, std::size_t padding = 0) {
    Transaction tx(store.db(), "test");
    Statement source(store.db(), "INSERT INTO sources (digest, name, path, format, complete, ingested_at) "
                                 "VALUES (?, 'f', 'f', 'ndjson', 1, '2026-01-01T00:00:00Z')");
    source.bind(1, random_hex(32)).run();
    const std::int64_t source_id = store.db().last_insert_rowid();
    Statement ingest(store.db(),
                     "INSERT INTO ingests (source_id, name, ingested_at) VALUES (?, 'f', '2026-01-01T00:00:00Z')");
    ingest.bind(1, source_id).run();
    const std::int64_t ingest_id = store.db().last_insert_rowid();
    Statement item(store.db(),
                   "INSERT INTO items (ingest_id, source_id, ordinal, line, payload) VALUES (?, ?, ?, ?, ?)");
    Statement insight(store.db(),
                      "INSERT INTO insights (item_id, model, model_version, label, score, anomaly, scored_at) "
                      "VALUES (?, 'm', '1.0.0', 'a', 0.5, ?, ?)");
    for (int i = 0; i < n; ++i) {
        std::string payload = Json{{"v", i}, {"pad", padding ? random_hex(padding / 2) : ""}}.dump();
        item.bind(1, ingest_id).bind(2, source_id).bind(3, i + 1).bind(4, i + 1).bind(5, payload).run();
        insight.bind(1, store.db().last_insert_rowid())
            .bind(2, i % 3 == 0 ? 1 : 0)
            .bind(3, "2026-01-01T00:00:00Z")
            .run();
    }
    tx.commit();
}

ExportOptions to(const fs::path& dir) {
    ExportOptions o;
    o.to = dir;
    return o;
}

std::int64_t rows(const ExportedArchive& a) {
    std::int64_t n = 0;
    for (const auto& [k, v] : a.counts)
        n += v;
    return n;
}

std::int64_t unexported(Store& store) {
    return query_int(store.db(), "SELECT count(*) FROM insights WHERE export_seq IS NULL");
}

}  // namespace

TEST_CASE_METHOD(test::TempDirFixture, "export: archives hold each row once, in sequence, chained and signed") {
    Store store = Store::init(dir / "s", "site");
    fs::create_directories(dir / "out");
    add_insights(store, 10);
    ExportResult first = export_next(store, store.lock("export"), to(dir / "out"));
    REQUIRE(first.archives.size() == 1);
    CHECK(first.archives[0].name == "site-000001");
    CHECK(first.archives[0].counts["anomalies"] == 4);
    CHECK(first.archives[0].counts["insights"] == 6);
    CHECK(fs::exists(dir / "out/site-000001.tar.zst.sha256"));
    CHECK(fs::exists(dir / "out/site-000001.tar.zst.minisig"));
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights WHERE export_seq = 1") == 10);

    CHECK(export_next(store, store.lock("export"), to(dir / "out")).archives.empty());
    add_insights(store, 3);
    ExportResult second = export_next(store, store.lock("export"), to(dir / "out"));
    REQUIRE(second.archives.size() == 1);
    CHECK(rows(second.archives[0]) == 3);
    auto site_key = minisign::parse_public_key(test::slurp(dir / "s/site.pub"), "site.pub");
    BagReport one = verify_bag_archive(dir / "out/site-000001.tar.zst", &site_key);
    BagReport two = verify_bag_archive(dir / "out/site-000002.tar.zst", &site_key);
    CHECK((one.ok() && two.ok()));
    CHECK(one.signature.starts_with("valid"));
    CHECK(two.info["Edgectl-Previous-Tagmanifest-SHA256"] == one.tagmanifest_sha256);
    CHECK(two.info["Bag-Count"] == "1 of 1");

    // Signed by another key: refused.
    auto other = minisign::generate().public_key();
    other.key_id = site_key.key_id;
    CHECK_FALSE(verify_bag_archive(dir / "out/site-000001.tar.zst", &other).ok());
}

TEST_CASE_METHOD(test::TempDirFixture,
                 "export: --max-bytes splits into volumes that fit, anomalies first, every row once") {
    Store store = Store::init(dir / "s", "site");
    fs::create_directories(dir / "out");
    add_insights(store, 600, 2000);  // random hex: about 600 KiB once compressed
    ExportOptions o = to(dir / "out");
    o.max_bytes = 128 * 1024;
    ExportResult r = export_next(store, store.lock("export"), o);
    REQUIRE(r.archives.size() >= 3);
    std::int64_t total = 0;
    bool insights_started = false;
    for (const auto& a : r.archives) {
        CHECK(fs::file_size(a.path) <= o.max_bytes);
        CHECK(a.volumes == int(r.archives.size()));
        total += rows(a);
        // Priority: no volume holds plain insights while a later one still holds anomalies.
        if (a.counts.count("anomalies")) CHECK_FALSE(insights_started);
        if (a.counts.count("insights")) insights_started = true;
        BagReport b = verify_bag_archive(a.path, nullptr);
        CHECK(b.ok());
        CHECK(b.info["Bag-Count"] == std::to_string(a.volume) + " of " + std::to_string(a.volumes));
        CHECK(b.info["Bag-Group-Identifier"] == "site-000001");
    }
    CHECK(total == 600);
    CHECK(unexported(store) == 0);
    CHECK(query_int(store.db(), "SELECT count(DISTINCT export_seq) FROM insights") == std::int64_t(r.archives.size()));
}

TEST_CASE_METHOD(test::TempDirFixture, "export: --dry-run writes and marks nothing") {
    Store store = Store::init(dir / "s", "site");
    fs::create_directories(dir / "out");
    add_insights(store, 9);
    ExportOptions o = to(dir / "out");
    o.dry_run = true;
    ExportResult r = export_next(store, store.lock("export"), o);
    REQUIRE(r.archives.size() == 1);
    CHECK(rows(r.archives[0]) == 9);
    CHECK(r.archives[0].bytes > 0);
    CHECK(fs::is_empty(dir / "out"));
    CHECK(unexported(store) == 9);
    CHECK(query_int(store.db(), "SELECT count(*) FROM exports") == 0);
}

TEST_CASE_METHOD(test::TempDirFixture, "export: --resend rebuilds a lost shipment with the same payload digests") {
    Store store = Store::init(dir / "s", "site");
    fs::create_directories(dir / "out");
    fs::create_directories(dir / "again");
    add_insights(store, 12);
    ExportOptions o = to(dir / "out");
    o.include = {"anomalies", "insights", "items", "summary"};
    export_next(store, store.lock("export"), o);
    add_insights(store, 5);  // newer rows must not slip into the resent archive
    ExportOptions again = to(dir / "again");
    again.resend = 1;
    ExportResult r = export_next(store, store.lock("export"), again);
    REQUIRE(r.archives.size() == 1);
    CHECK(r.archives[0].resent);
    auto manifest = [](const fs::path& archive) {
        ArchiveReader reader(archive);
        ArchiveReader::Entry e;
        while (reader.next(e))
            if (e.name.ends_with("/manifest-sha256.txt")) return reader.read_all(1 << 20);
        return std::string();
    };
    CHECK(manifest(dir / "again/site-000001.tar.zst") == manifest(dir / "out/site-000001.tar.zst"));
    CHECK(verify_bag_archive(dir / "again/site-000001.tar.zst", nullptr).ok());
    again.resend = 7;
    CHECK_THROWS_WITH(export_next(store, store.lock("export"), again), Catch::Contains("is not a complete export"));
}

TEST_CASE_METHOD(test::TempDirFixture, "export: a failed export leaves nothing marked and no file") {
    Store store = Store::init(dir / "s", "site");
    add_insights(store, 5);
    CHECK_THROWS_WITH(export_next(store, store.lock("export"), to(dir / "missing")), Catch::Contains("does not exist"));
    fs::create_directories(dir / "out");
    test::write_file(dir / "out/site-000001.tar.zst", "someone else's file");
    CHECK_THROWS_WITH(export_next(store, store.lock("export"), to(dir / "out")),
                      Catch::Contains("refusing to overwrite"));
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights WHERE export_seq IS NOT NULL") == 0);
    CHECK(query_int(store.db(), "SELECT count(*) FROM exports") == 0);
}

TEST_CASE_METHOD(test::TempDirFixture,
                 "export: an archive renamed into place before a crash is finished by the next run") {
    Store store = Store::init(dir / "s", "site");
    fs::create_directories(dir / "out");
    add_insights(store, 6);
    export_next(store, store.lock("export"), to(dir / "out"));
    // Undo the marking, as if the run was killed between the rename and the ledger commit.
    store.db().exec("UPDATE insights SET export_seq = NULL; UPDATE exports SET state = 'pending'");
    fs::remove(dir / "out/site-000001.tar.zst.sha256");
    add_insights(store, 2);
    ExportResult r = export_next(store, store.lock("export"), to(dir / "out"));
    REQUIRE(r.archives.size() == 2);
    CHECK(r.archives[0].recovered);
    CHECK(rows(r.archives[0]) == 6);
    CHECK(rows(r.archives[1]) == 2);
    CHECK(fs::exists(dir / "out/site-000001.tar.zst.sha256"));
    CHECK(unexported(store) == 0);
}

TEST_CASE_METHOD(test::TempDirFixture, "export: a pending export whose archive never reached its name is dropped") {
    Store store = Store::init(dir / "s", "site");
    fs::create_directories(dir / "out");
    add_insights(store, 4);
    store.db().exec("INSERT INTO exports (seq, name, nonce, target, state, max_insight_id, started_at) "
                    "VALUES (1, 'site-000001', 'n', '" +
                    (dir / "out").string() + "', 'pending', 4, 't')");
    test::write_file(dir / "out/.site-000001.tar.zst.partial", "half");
    ExportResult r = export_next(store, store.lock("export"), to(dir / "out"));
    REQUIRE(r.archives.size() == 1);
    CHECK_FALSE(r.archives[0].recovered);
    CHECK(r.archives[0].seq == 1);
    CHECK(rows(r.archives[0]) == 4);
    CHECK_FALSE(fs::exists(dir / "out/.site-000001.tar.zst.partial"));
}

TEST_CASE_METHOD(test::TempDirFixture, "purge: only acknowledged exports' rows go, unless forced") {
    Store store = Store::init(dir / "s", "site");
    fs::create_directories(dir / "out");
    add_insights(store, 6);
    ExportOptions o = to(dir / "out");
    o.include = {"anomalies", "insights", "items"};
    export_next(store, store.lock("export"), o);
    add_insights(store, 3);                                             // never exported
    CHECK(purge(store, store.lock("export"), 1, false).insights == 0);  // exported but not acknowledged
    ack_exports(store.db(), store.lock("export"), {1});
    CHECK_THROWS_WITH(ack_exports(store.db(), store.lock("export"), {9}), Catch::Contains("is not a complete export"));
    PurgeResult r = purge(store, store.lock("export"), 1, false);
    CHECK(r.insights == 6);
    CHECK(r.items == 6);
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights") == 3);
    CHECK(purge(store, store.lock("export"), 1, true).insights == 3);
    CHECK(query_int(store.db(), "SELECT count(*) FROM items") == 0);
}

TEST_CASE_METHOD(test::TempDirFixture, "export: every NDJSON record matches its JSON Schema in schemas/") {
    Store store = Store::init(dir / "s", "site");
    fs::create_directories(dir / "out");
    // A real model and real data: import the sample, ingest its inbox, score.
    fs::path m = test::sample_dir() / "model";
    pack_model({m / "model.pt", m / "model.json", m / "golden.ndjson", dir / "p.tar.zst", {}});
    import_model(store, store.lock("import-model"), {dir / "p.tar.zst", true, true});
    fs::path c = test::sample_dir() / "camera-model";
    pack_model({c / "model.pt", c / "model.json", c / "golden.ndjson", dir / "c.tar.zst", {}});
    import_model(store, store.lock("import-model"), {dir / "c.tar.zst", true, true});
    ingest(store, store.lock("ingest"), test::paths({test::sample_dir() / "inbox", test::sample_dir() / "camera"}));
    score(store, store.lock("score"), {});
    ExportOptions o = to(dir / "out");
    o.include = {"anomalies", "images", "insights", "items", "quarantine", "summary"};
    export_next(store, store.lock("export"), o);

    const std::map<std::string, std::string> schema_of = {
        {"insights.ndjson", "export-insight"}, {"anomalies.ndjson", "export-anomaly"},
        {"items.ndjson", "export-item"},       {"quarantine.ndjson", "export-quarantine"},
        {"models.ndjson", "export-model"},     {"summary.ndjson", "export-summary"}};
    std::set<std::string> seen;
    ArchiveReader reader(dir / "out/site-000001.tar.zst");
    ArchiveReader::Entry e;
    while (reader.next(e)) {
        std::string file = fs::path(e.name).filename().string();
        if (!schema_of.count(file)) continue;
        seen.insert(file);
        std::string schema =
            test::slurp(fs::path(EDGECTL_SOURCE_DIR) / "schemas" / (schema_of.at(file) + ".schema.json"));
        std::istringstream lines(reader.read_all(1 << 24));
        std::size_t n = 0;
        for (std::string line; std::getline(lines, line); ++n) {
            INFO(file << " line " << n + 1);
            CHECK(schema_problem(schema, Json::parse(line)).value_or("") == "");
        }
        CHECK(n > 0);
    }
    CHECK(seen.size() == schema_of.size());
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights i JOIN items it ON it.id = i.item_id WHERE it.image "
                                "IS NOT NULL AND i.export_seq = 1") == 64);
}

TEST_CASE("export: a volume never outgrows what verify lets an archive unpack to, whatever its budget") {
    Volume v(Unstaged{}, std::uint64_t(1) << 40, 3,
             ImageSelection::none);  // a 1 TiB budget: only the unpacked bound cuts
    RowLines row;
    row.id = 1;
    row.lines.emplace_back("data/items.ndjson", std::string(2000, 'x'));
    CHECK(v.fits(Category::insights, row));
    v.raw = max_unpacked_bytes - 1000;  // as if that much were added already
    CHECK_FALSE(v.fits(Category::insights, row));
}

namespace {

// A store with both sample models, the sample inbox and camera ingested and scored.
Store camera_store(const fs::path& dir) {
    Store store = Store::init(dir / "s", "site");
    for (const char* model : {"model", "camera-model"}) {
        fs::path m = test::sample_dir() / model;
        pack_model({m / "model.pt", m / "model.json", m / "golden.ndjson", dir / "p.tar.zst", {}});
        import_model(store, store.lock("import-model"), {dir / "p.tar.zst", true, true});
    }
    ingest(store, store.lock("ingest"), test::paths({test::sample_dir() / "inbox", test::sample_dir() / "camera"}));
    score(store, store.lock("score"), {});
    return store;
}

// The frames an archive carries: digest -> whether its bytes are that digest.
std::map<std::string, bool> frames_in(const fs::path& archive) {
    std::map<std::string, bool> frames;
    ArchiveReader reader(archive);
    ArchiveReader::Entry e;
    while (reader.next(e)) {
        std::string rel = e.name.substr(e.name.find('/') + 1), digest;
        if (is_bag_image_path(rel, &digest)) frames[digest] = sha256_hex(reader.read_all(1 << 24)) == digest;
    }
    return frames;
}

std::set<std::string> digests(Store& store, const std::string& sql) {
    std::set<std::string> out;
    Statement s(store.db(), sql);
    while (s.step())
        out.insert(s.column_text(0));
    return out;
}

}  // namespace

TEST_CASE_METHOD(test::TempDirFixture, "export: --include images carries the anomalies' frames, by their digest") {
    Store store = camera_store(dir);
    fs::create_directories(dir / "out");
    ExportOptions o = to(dir / "out");
    o.include = {"anomalies", "images", "insights", "summary"};
    ExportResult r = export_next(store, store.lock("export"), o);
    REQUIRE(r.archives.size() == 1);
    auto frames = frames_in(r.archives[0].path);
    auto anomalous = digests(store, "SELECT DISTINCT it.image FROM insights i JOIN items it ON it.id = i.item_id "
                                    "WHERE i.anomaly = 1 AND it.image IS NOT NULL");
    REQUIRE_FALSE(anomalous.empty());
    std::set<std::string> carried;
    for (const auto& [digest, intact] : frames) {
        carried.insert(digest);
        CHECK(intact);
    }
    CHECK(carried == anomalous);
    CHECK(r.archives[0].counts.at("images") == std::int64_t(anomalous.size()));

    // Resent, the archive is the same payload, frames included.
    fs::create_directories(dir / "again");
    ExportOptions resend = to(dir / "again");
    resend.resend = 1;
    ExportResult again = export_next(store, store.lock("export"), resend);
    CHECK(frames_in(again.archives[0].path) == frames);
    CHECK(verify_bag_archive(again.archives[0].path, nullptr).ok());

    // --all-images without images is a usage error; so is images without the anomalies it carries.
    ExportOptions bad = to(dir / "out");
    bad.all_images = true;
    CHECK_THROWS_WITH(export_next(store, store.lock("export"), bad), Catch::Contains("--all-images needs"));
    bad = to(dir / "out");
    bad.include = {"insights", "images"};
    CHECK_THROWS_WITH(export_next(store, store.lock("export"), bad), Catch::Contains("include anomalies too"));
}

TEST_CASE_METHOD(test::TempDirFixture, "export: --all-images carries every exported item's frame, within --max-bytes") {
    Store store = camera_store(dir);
    fs::create_directories(dir / "out");
    ExportOptions o = to(dir / "out");
    o.include = {"anomalies", "images", "insights", "items"};
    o.all_images = true;
    o.max_bytes = 64 * 1024;  // the frames alone are over 150 KiB: several volumes
    ExportResult r = export_next(store, store.lock("export"), o);
    REQUIRE(r.archives.size() > 2);
    std::set<std::string> carried;
    for (const auto& a : r.archives) {
        CHECK(a.bytes <= o.max_bytes);
        CHECK(verify_bag_archive(a.path, nullptr).ok());
        // Each volume carries the frames of the items its rows are about, each once.
        auto frames = frames_in(a.path);
        auto wanted = digests(store, "SELECT it.image FROM insights i JOIN items it ON it.id = i.item_id WHERE "
                                     "i.export_seq = " +
                                         std::to_string(a.seq) +
                                         " AND it.image IS NOT NULL "
                                         "UNION SELECT image FROM items WHERE export_seq = " +
                                         std::to_string(a.seq) + " AND image IS NOT NULL");
        std::set<std::string> got;
        for (const auto& [digest, intact] : frames) {
            got.insert(digest);
            CHECK(intact);
        }
        CHECK(got == wanted);
        carried.insert(got.begin(), got.end());
    }
    CHECK(carried == digests(store, "SELECT digest FROM images"));
    // Anomalies, with their frames, before anything else.
    CHECK(query_int(store.db(), "SELECT max(export_seq) FROM insights WHERE anomaly") <=
          query_int(store.db(), "SELECT min(export_seq) FROM insights WHERE NOT anomaly"));
}

TEST_CASE_METHOD(test::TempDirFixture, "export: a volume carries at most max_bag_images frames") {
    Store store = Store::init(dir / "s", "site");
    std::string digest = sha256_hex("frame");
    Statement add(store.db(), "INSERT INTO images (digest, format, bytes, width, height, stored_at) VALUES (?, 'jpeg', "
                              "1000, 8, 8, '2026-12-02T00:00:00Z')");
    add.bind(1, digest).run();
    Volume v(Unstaged{&store, 0}, std::uint64_t(1) << 40, 3, ImageSelection::all);
    RowLines row;
    row.id = 1;
    row.image = digest;
    row.lines.emplace_back("data/items.ndjson", "{}");
    for (std::size_t i = 0; i + 1 < max_bag_images; ++i)
        v.frames.emplace(std::to_string(i), BagFile{});
    CHECK(v.fits(Category::items, row));
    v.frames.emplace("one more", BagFile{});
    CHECK_FALSE(v.fits(Category::items, row));
    // A frame the volume holds already costs nothing more.
    v.frames.emplace(digest, BagFile{});
    CHECK(v.fits(Category::items, row));
    // Nor does one the selection does not take.
    Volume anomalies_only(Unstaged{&store, 0}, std::uint64_t(1) << 40, 3, ImageSelection::anomalies);
    for (std::size_t i = 0; i < max_bag_images; ++i)
        anomalies_only.frames.emplace(std::to_string(i), BagFile{});
    CHECK(anomalies_only.fits(Category::items, row));
}
