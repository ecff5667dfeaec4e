#include "status/status.hpp"

#include "export/export.hpp"
#include "fixture.hpp"
#include "ingest/ingest.hpp"
#include "package/package.hpp"
#include "score/score.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace edgectl;

namespace {

std::set<std::string> keys_of(const Json& object) {
    std::set<std::string> out;
    for (const auto& [key, value] : object.items())
        out.insert(key);
    return out;
}

}  // namespace

TEST_CASE_METHOD(test::TempDirFixture, "status: a fresh store holds nothing and waits for nothing") {
    Store store = Store::init(dir / "s", "north-7");
    StatusReport r = status(store);
    CHECK(r.site == "north-7");
    CHECK(r.store == dir / "s");
    CHECK(r.items == 0);
    CHECK(r.quarantined == 0);
    CHECK(r.insights == 0);
    CHECK(r.anomalies == 0);
    CHECK(r.unexported == 0);
    CHECK(r.exports == 0);
    CHECK(r.unfinished_exports == 0);
    CHECK_FALSE(r.last_export);
    CHECK_FALSE(r.last_export_at);
    CHECK(r.models.empty());
    CHECK(r.disk_bytes >= fs::file_size(dir / "s/edgectl.db"));  // the database at least
    CHECK(r.disk_bytes > 0);

    Json j = to_json(r);
    CHECK(keys_of(j) == std::set<std::string>{"site", "store", "items", "frames", "quarantined", "insights",
                                              "anomalies", "waiting_for_export", "exports", "unfinished_exports",
                                              "last_export", "last_export_at", "active_models", "disk_bytes"});
    CHECK(j["site"] == "north-7");
    CHECK(j["store"] == (dir / "s").string());
    CHECK(j["items"] == 0);
    CHECK(j["last_export"].is_null());
    CHECK(j["last_export_at"].is_null());
    CHECK(j["active_models"] == Json::array());
    CHECK(j["disk_bytes"] == r.disk_bytes);
}

TEST_CASE_METHOD(test::TempDirFixture, "status: counts follow the sample site through ingest, score and export") {
    Store store = Store::init(dir / "s", "x");
    IngestResult in = ingest(store, store.lock("ingest"), test::paths({test::sample_dir() / "inbox"}));
    StatusReport r = status(store);
    // The inbox holds 75 records (42 CSV rows, 33 NDJSON lines); the two that cannot be parsed as
    // records at all (the ragged row, the broken JSON line) are quarantined at ingest.
    CHECK(r.items == 73);
    CHECK(r.quarantined == 2);
    CHECK(r.items == in.added);
    CHECK(r.quarantined == in.quarantined);
    CHECK(r.insights == 0);
    CHECK(r.models.empty());

    // An active model: every item waits for it.
    fs::path m = test::sample_dir() / "model";
    pack_model({m / "model.pt", m / "model.json", m / "golden.ndjson", dir / "p.tar.zst", {}});
    import_model(store, store.lock("import-model"), {dir / "p.tar.zst", true, true});
    r = status(store);
    REQUIRE(r.models.size() == 1);
    CHECK(r.models[0].name == "wine-cultivar");
    CHECK(r.models[0].version == "1.0.0");
    CHECK(r.models[0].pending == 73);
    CHECK(r.models[0].scored == 0);

    // Scored: 70 valid records get insights (14 of them anomalies, as the sample was made), the three
    // with a missing or non-numeric feature are quarantined at score, which the ingest count excludes.
    ScoreResult s = score(store, store.lock("score"), {});
    REQUIRE(s.models.size() == 1);
    r = status(store);
    CHECK(r.insights == 70);
    CHECK(r.anomalies == 14);
    CHECK(r.unexported == 70);
    CHECK(r.quarantined == 2);
    REQUIRE(r.models.size() == 1);
    CHECK(r.models[0].scored == 70);
    CHECK(r.models[0].anomalies == 14);
    CHECK(r.models[0].quarantined == 3);
    CHECK(r.models[0].pending == 0);
    CHECK(r.models[0].scored == s.models[0].scored);
    CHECK(r.models[0].quarantined == s.models[0].quarantined);

    // Exported: nothing waits any more, and the export is named.
    fs::create_directories(dir / "out");
    ExportOptions o;
    o.to = dir / "out";
    ExportResult e = export_next(store, store.lock("export"), o);
    REQUIRE(e.archives.size() == 1);
    r = status(store);
    CHECK(r.unexported == 0);
    CHECK(r.insights == 70);
    CHECK(r.exports == 1);
    CHECK(r.unfinished_exports == 0);
    REQUIRE(r.last_export);
    CHECK(*r.last_export == "x-000001");
    CHECK(r.last_export_at);

    // Two more records arrive: they wait for the model, then for the next export, which is the last.
    std::string south = test::slurp(test::sample_dir() / "inbox/lab-south-2026-11-21.ndjson");
    test::write_file(dir / "more.ndjson", south.substr(0, south.find('\n', south.find('\n') + 1) + 1));
    REQUIRE(ingest(store, store.lock("ingest"), test::paths({dir / "more.ndjson"})).added == 2);
    r = status(store);
    CHECK(r.items == 75);
    CHECK(r.models[0].pending == 2);
    score(store, store.lock("score"), {});
    r = status(store);
    CHECK(r.models[0].pending == 0);
    CHECK(r.insights == 72);
    CHECK(r.unexported == 2);
    REQUIRE(export_next(store, store.lock("export"), o).archives.size() == 1);
    r = status(store);
    CHECK(r.exports == 2);
    CHECK(r.unexported == 0);
    CHECK(*r.last_export == "x-000002");

    // An interrupted export is counted apart and is not the last export.
    store.db().exec("INSERT INTO exports (seq, name, nonce, target, state, max_insight_id, started_at) "
                    "VALUES (3, 'x-000003', 'n', 't', 'pending', 0, '2026-01-01T00:00:00Z')");
    r = status(store);
    CHECK(r.exports == 2);
    CHECK(r.unfinished_exports == 1);
    CHECK(*r.last_export == "x-000002");

    Json j = to_json(r);
    CHECK(j["items"] == 75);
    CHECK(j["frames"] == 0);
    CHECK(j["quarantined"] == 2);
    CHECK(j["insights"] == 72);
    CHECK(j["waiting_for_export"] == 0);
    CHECK(j["exports"] == 2);
    CHECK(j["unfinished_exports"] == 1);
    CHECK(j["last_export"] == "x-000002");
    CHECK(j["last_export_at"] == *r.last_export_at);
    REQUIRE(j["active_models"].size() == 1);
    const Json& model = j["active_models"][0];
    CHECK(keys_of(model) == std::set<std::string>{"model", "version", "scored", "not_scored", "quarantined",
                                                  "anomalies", "drift", "shadow"});
    CHECK(model["model"] == "wine-cultivar");
    CHECK(model["scored"] == 72);
    CHECK(model["not_scored"] == 0);
    CHECK(model["quarantined"] == 3);
    CHECK(model["anomalies"] == r.models[0].anomalies);
}
