#include "score/score.hpp"
#include "score/shadow.hpp"

#include "fixture.hpp"
#include "ingest/ingest.hpp"
#include "package/package.hpp"
#include "package/registry.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <limits>
#include <map>
#include <optional>
#include <sstream>

using namespace edgectl;

namespace {

// A store with the sample model imported and active.
Store sample_store(const fs::path& dir) {
    Store store = Store::init(dir / "s", "x");
    fs::path s = test::sample_dir() / "model";
    pack_model({s / "model.pt", s / "model.json", s / "golden.ndjson", dir / "p.tar.zst", {}});
    import_model(store, store.lock("import-model"), {dir / "p.tar.zst", true, true});
    return store;
}

}  // namespace

TEST_CASE_METHOD(test::TempDirFixture, "score: every valid item gets one insight, bad ones are quarantined once") {
    Store store = sample_store(dir);
    ingest(store, store.lock("ingest"), test::paths({test::sample_dir() / "inbox"}));
    std::int64_t items = query_int(store.db(), "SELECT count(*) FROM items");
    ScoreOptions o;
    o.batch = 7;  // batches that do not divide the item count
    ScoreResult r = score(store, store.lock("score"), o);
    REQUIRE(r.models.size() == 1);
    CHECK(r.models[0].scored + r.models[0].quarantined == items);
    CHECK(r.models[0].quarantined == 3);
    CHECK(r.partial());
    CHECK(r.models[0].anomalies > 0);
    CHECK(r.models[0].anomalies < r.models[0].scored);
    Statement why(store.db(), "SELECT reason FROM quarantine WHERE stage = 'score' ORDER BY reason");
    REQUIRE(why.step());
    CHECK(why.column_text(0) == "field 'magnesium' is not a number: 'n/a'");

    ScoreResult again = score(store, store.lock("score"), o);
    CHECK(again.models[0].scored == 0);
    CHECK(again.models[0].quarantined == 0);
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights") == r.models[0].scored);
}

TEST_CASE_METHOD(test::TempDirFixture, "score: --limit stops early and the next run resumes at the cursor") {
    Store store = sample_store(dir);
    ingest(store, store.lock("ingest"), test::paths({test::sample_dir() / "inbox/lab-south-2026-11-21.ndjson"}));
    ScoreOptions o;
    o.limit = 10;
    o.batch = 4;
    ScoreResult first = score(store, store.lock("score"), o);
    CHECK(first.models[0].scored + first.models[0].quarantined == 10);
    ScoreResult rest = score(store, store.lock("score"), {});
    std::int64_t items = query_int(store.db(), "SELECT count(*) FROM items");
    CHECK(first.models[0].scored + first.models[0].quarantined + rest.models[0].scored + rest.models[0].quarantined ==
          items);
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights") ==
          query_int(store.db(), "SELECT count(DISTINCT item_id) FROM insights"));
}

TEST_CASE_METHOD(test::TempDirFixture, "score: an installed model file that changed on disk is refused") {
    Store store = sample_store(dir);
    fs::path pt = dir / "s/models/wine-cultivar/1.0.0/model.pt";
    std::string bytes = test::slurp(pt);
    bytes[bytes.size() / 2] ^= 1;
    fs::permissions(pt, fs::perms::owner_write, fs::perm_options::add);
    test::write_file(pt, bytes);
    // With nothing to score the model is not even loaded; with an item waiting it is refused.
    CHECK(score(store, store.lock("score"), {}).models.at(0).scored == 0);
    ingest(store, store.lock("ingest"), test::paths({test::sample_dir() / "inbox"}));
    CHECK_THROWS_WITH(score(store, store.lock("score"), {}), Catch::Contains("no longer matches its SHA256SUMS"));
}

TEST_CASE_METHOD(test::TempDirFixture, "score: options out of range are usage errors") {
    Store store = Store::init(dir / "s", "x");
    ScoreOptions o;
    o.batch = 0;
    try {
        score(store, store.lock("score"), o);
        FAIL("accepted --batch 0");
    } catch (const Error& e) { CHECK(e.code() == Exit::usage); }
}

// Scoring without LibTorch: the registry holds a model whose spec is all score reads, and an
// in-memory Model answers through ScoreOptions' loader seam.
namespace {

// A score model over fields a and b whose anomalies are scores above 0.5.
constexpr const char* fake_spec = R"({
  "schema_version": 1, "name": "fake", "version": "1.0.0", "framework": "torchscript", "torch_version": "1.13",
  "input": {"kind": "features", "dtype": "float32", "fields": ["a", "b"]},
  "output": {"kind": "score"},
  "anomaly": [{"rule": "score_above", "threshold": 0.5}],
  "golden": {"atol": 1e-4, "rtol": 1e-4}})";

// Answers each row with its field a (NaN when a is 99), and remembers the batch sizes it saw.
class EchoModel final : public Model {
  public:
    explicit EchoModel(std::vector<std::size_t>& batches) : batches_(batches) {}
    Matrix forward(const Matrix& input) override {
        batches_.push_back(input.rows);
        Matrix out{input.rows, 1, {}};
        for (std::size_t r = 0; r < input.rows; ++r) {
            float a = input.row(r)[0];
            out.values.push_back(a == 99.0f ? std::numeric_limits<float>::quiet_NaN() : a);
        }
        return out;
    }

  private:
    std::vector<std::size_t>& batches_;
};

// A clock that a test steps by hand: steady time moves `step` at every reading.
class SteppingClock final : public Clock {
  public:
    explicit SteppingClock(std::chrono::milliseconds step) : step_(step) {}
    std::chrono::steady_clock::time_point steady() const override {
        return std::chrono::steady_clock::time_point(step_ * readings_++);
    }
    std::chrono::system_clock::time_point wall() const override {
        return std::chrono::system_clock::time_point(std::chrono::seconds(1795000000));  // 2026-11-18T11:06:40Z
    }

  private:
    std::chrono::milliseconds step_;
    mutable std::atomic<int> readings_ = 0;
};

// A store with the fake model registered and active, and items whose a runs 0.0, 0.1, …
Store fake_store(const fs::path& dir, int items) {
    Store store = Store::init(dir / "s", "x");
    {
        Transaction tx(store.db(), "test.register");
        Statement add(store.db(), "INSERT INTO models (name, version, digest, signer, spec, imported_at) "
                                  "VALUES ('fake', '1.0.0', 'digest', NULL, ?, '2026-01-01T00:00:00Z')");
        add.bind(1, std::string(fake_spec)).run();
        tx.commit();
    }
    activate_model(store.db(), store.lock("import-model"), "fake", "1.0.0");
    std::string lines;
    for (int i = 0; i < items; ++i)
        lines += "{\"a\": " + std::to_string(i / 10.0) + ", \"b\": 1}\n";
    test::write_file(dir / "items.ndjson", lines);
    ingest(store, store.lock("ingest"), test::paths({dir / "items.ndjson"}));
    return store;
}

ScoreOptions with_echo(std::vector<std::size_t>& batches) {
    ScoreOptions o;
    o.load_model = [&batches](const ActiveModel& m) {
        CHECK(m.name == "fake");
        return std::make_unique<EchoModel>(batches);
    };
    return o;
}

}  // namespace

TEST_CASE_METHOD(test::TempDirFixture, "score: a fake model's outputs become insights, anomalies by threshold") {
    Store store = fake_store(dir, 10);
    std::vector<std::size_t> batches;
    ScoreResult r = score(store, store.lock("score"), with_echo(batches));
    REQUIRE(r.models.size() == 1);
    CHECK(r.models[0].scored == 10);
    CHECK(r.models[0].quarantined == 0);
    // a = 0.6 … 0.9 are above the threshold; 0.5 is not.
    CHECK(r.models[0].anomalies == 4);
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights WHERE anomaly = 1 AND score > 0.5") == 4);
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights WHERE anomaly = 0 AND score <= 0.5") == 6);
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights WHERE label IS NULL AND model_digest = 'digest'") == 10);
    Statement score_of(store.db(), "SELECT i.score FROM insights i JOIN items it ON it.id = i.item_id "
                                   "WHERE it.ordinal = 4");
    REQUIRE(score_of.step());
    CHECK(score_of.column_double(0) == Approx(0.3));
}

TEST_CASE_METHOD(test::TempDirFixture, "score: the cursor advances, and a later run scores only new items") {
    Store store = fake_store(dir, 5);
    std::vector<std::size_t> batches;
    CHECK(score(store, store.lock("score"), with_echo(batches)).models[0].scored == 5);
    std::int64_t last = query_int(store.db(), "SELECT max(id) FROM items");
    CHECK(query_int(store.db(), "SELECT last_item_id FROM score_progress WHERE model = 'fake'") == last);
    // Nothing new: the model is not even made.
    ScoreOptions none;
    none.load_model = [](const ActiveModel&) -> std::unique_ptr<Model> { throw Error("loaded with nothing to do"); };
    CHECK(score(store, store.lock("score"), none).models[0].scored == 0);
    test::write_file(dir / "more.ndjson", "{\"a\": 0.7, \"b\": 2}\n{\"a\": 0.2, \"b\": 2}\n");
    ingest(store, store.lock("ingest"), test::paths({dir / "more.ndjson"}));
    ScoreResult more = score(store, store.lock("score"), with_echo(batches));
    CHECK(more.models[0].scored == 2);
    CHECK(more.models[0].anomalies == 1);
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights") == 7);
    CHECK(query_int(store.db(), "SELECT last_item_id FROM score_progress WHERE model = 'fake'") ==
          query_int(store.db(), "SELECT max(id) FROM items"));
}

TEST_CASE_METHOD(test::TempDirFixture, "score: batches of --batch items, the last one short, within --limit") {
    Store store = fake_store(dir, 10);
    std::vector<std::size_t> batches;
    ScoreOptions o = with_echo(batches);
    o.batch = 3;
    o.limit = 8;
    o.commit_rows = 4;  // commits fall inside batches' boundaries, not on them
    ScoreResult r = score(store, store.lock("score"), o);
    CHECK(r.models[0].scored == 8);
    CHECK(batches == std::vector<std::size_t>{3, 3, 2});
    batches.clear();
    o.limit = 0;
    CHECK(score(store, store.lock("score"), o).models[0].scored == 2);
    CHECK(batches == std::vector<std::size_t>{2});
}

TEST_CASE_METHOD(test::TempDirFixture, "score: an item the model answers with NaN is quarantined, not scored") {
    Store store = fake_store(dir, 3);
    test::write_file(dir / "nan.ndjson", "{\"a\": 99, \"b\": 1}\n{\"b\": 1}\n");
    ingest(store, store.lock("ingest"), test::paths({dir / "nan.ndjson"}));
    std::vector<std::size_t> batches;
    ScoreResult r = score(store, store.lock("score"), with_echo(batches));
    CHECK(r.models[0].scored == 3);
    CHECK(r.models[0].quarantined == 2);
    CHECK(r.partial());
    Statement why(store.db(), "SELECT reason FROM quarantine WHERE stage = 'score' ORDER BY reason");
    REQUIRE(why.step());
    CHECK(why.column_text(0) == "missing field 'a'");
    REQUIRE(why.step());
    CHECK(why.column_text(0) == "the model's output for this item is not a finite number (NaN or infinity)");
}

TEST_CASE_METHOD(test::TempDirFixture, "score: a shadow answers the same items from its own standardisation") {
    Store store = fake_store(dir, 0);
    // The shadow standardises a as (a - 1) / 2: the echo of its input is that value. Raw 199 becomes
    // 99, which it answers with NaN; raw 99 is the active version's NaN, not the shadow's.
    std::string spec = fake_spec;
    spec.replace(spec.find("\"1.0.0\""), 7, "\"1.1.0\"");
    spec.replace(spec.find("\"fields\": [\"a\", \"b\"]"), 20,
                 "\"fields\": [\"a\", \"b\"], \"mean\": [1, 0], \"std\": [2, 1]");
    {
        Transaction tx(store.db(), "test.register");
        Statement add(store.db(), "INSERT INTO models (name, version, digest, signer, spec, imported_at) "
                                  "VALUES ('fake', '1.1.0', 'digest-b', NULL, ?, '2026-01-01T00:00:00Z')");
        add.bind(1, spec).run();
        tx.commit();
    }
    shadow_model(store.db(), store.lock("import-model"), "fake", "1.1.0");
    test::write_file(dir / "items.ndjson", "{\"a\": 3, \"b\": 1}\n{\"a\": 0.5, \"b\": 1}\n{\"a\": 99, \"b\": 1}\n"
                                           "{\"a\": 199, \"b\": 1}\n{\"b\": 1}\n");
    ingest(store, store.lock("ingest"), test::paths({dir / "items.ndjson"}));
    std::vector<std::size_t> batches;
    ScoreOptions o = with_echo(batches);
    ScoreResult r = score(store, store.lock("score"), o);
    REQUIRE(r.models.size() == 1);
    CHECK(r.models[0].scored == 3);       // 3, 0.5, 199
    CHECK(r.models[0].quarantined == 2);  // 99 (NaN), no a
    CHECK(r.models[0].shadow_version == "1.1.0");
    CHECK(r.models[0].shadow_scored == 4);  // every item given to the active version
    CHECK(r.models[0].shadow_failed == 1);
    CHECK(batches.size() == 2);  // one forward of each version: the same batch
    // Read through the store's view of one answer a row, as an operator's sqlite3 reads it (edgectl's
    // own connections trust no view's functions).
    store.db().exec("PRAGMA trusted_schema = ON");
    Statement answers(store.db(),
                      "SELECT json_extract(it.payload, '$.a'), s.score, s.anomaly, s.error, s.active_version "
                      "FROM shadow_insights s JOIN items it ON it.id = s.item_id ORDER BY it.id");
    std::map<double, std::pair<std::optional<double>, std::string>> got;
    while (answers.step()) {
        CHECK(answers.column_text(4) == "1.0.0");
        got[answers.column_double(0)] = {answers.column_is_null(1) ? std::nullopt
                                                                   : std::optional<double>(answers.column_double(1)),
                                         answers.column_is_null(3) ? "" : answers.column_text(3)};
        if (!answers.column_is_null(1)) CHECK(answers.column_int(2) == (answers.column_double(1) > 0.5));
    }
    REQUIRE(got.size() == 4);
    CHECK(got[3].first == Approx(1.0));
    CHECK(got[0.5].first == Approx(-0.25));
    CHECK(got[99].first == Approx(49.0));
    CHECK(!got[199].first);
    CHECK(got[199].second == "the model's output for this item is not a finite number (NaN or infinity)");
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights WHERE model_version = '1.1.0'") == 0);

    // Compared: 4 answers, the active version's NaN and the shadow's counted against agreement.
    ShadowComparison c = compare_shadow(store.db(), "fake", std::nullopt, 100);
    CHECK(c.items == 4);
    CHECK(c.active_unanswered == 1);
    CHECK(c.shadow_failed == 1);
    CHECK(c.differences.size() == 2);  // 3 -> 1 and 0.5 -> -0.25
    CHECK(*c.difference_quantile(0) == Approx(-2.0));
    CHECK(*c.difference_quantile(1) == Approx(-0.75));
    CHECK(*c.difference_quantile(0.5) == Approx(-1.375));
    CHECK(c.agreeing == 2);  // the same anomaly verdicts: 3 and 1 above 0.5, 0.5 and -0.25 not
    CHECK(*c.agreement() == Approx(0.5));
}

TEST_CASE_METHOD(test::TempDirFixture, "score: the time budget stops at the first batch boundary past it") {
    Store store = fake_store(dir, 10);
    std::vector<std::size_t> batches;
    // Each reading of the clock moves it 1 s: the budget is read at 0 s, batches start at 1 s and
    // 2 s, and the third, at 3 s, is past a 2.5 s budget.
    SteppingClock clock(std::chrono::seconds(1));
    ScoreOptions o = with_echo(batches);
    o.batch = 2;
    o.time_budget = 2.5;
    o.clock = &clock;
    ScoreResult r = score(store, store.lock("score"), o);
    CHECK(r.out_of_time);
    CHECK(r.models[0].scored == 4);
    CHECK(batches == std::vector<std::size_t>{2, 2});
    // scored_at is the clock's wall time.
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights WHERE scored_at = '2026-11-18T11:06:40Z'") == 4);
    // Without a budget the rest is scored.
    o.time_budget = 0;
    ScoreResult rest = score(store, store.lock("score"), o);
    CHECK_FALSE(rest.out_of_time);
    CHECK(rest.models[0].scored == 6);
}

namespace {

// A store with the sample wine and camera models active, and the sample site's records and
// camera frames ingested.
Store camera_store(const fs::path& dir) {
    Store store = sample_store(dir);
    fs::path c = test::sample_dir() / "camera-model";
    pack_model({c / "model.pt", c / "model.json", c / "golden.ndjson", dir / "cam.tar.zst", {}});
    import_model(store, store.lock("import-model"), {dir / "cam.tar.zst", true, true});
    ingest(store, store.lock("ingest"), test::paths({test::sample_dir() / "inbox", test::sample_dir() / "camera"}));
    return store;
}

ModelScoreResult result_of(const ScoreResult& r, const std::string& name) {
    for (const auto& m : r.models)
        if (m.name == name) return m;
    FAIL("no result for " << name);
    return {};
}

}  // namespace

TEST_CASE_METHOD(test::TempDirFixture, "score: image and feature models each score their own kind of item") {
    Store store = camera_store(dir);
    std::int64_t frames = query_int(store.db(), "SELECT count(*) FROM items WHERE image IS NOT NULL");
    std::int64_t records = query_int(store.db(), "SELECT count(*) FROM items WHERE image IS NULL");
    REQUIRE(frames == 64);
    ScoreOptions o;
    o.batch = 5;
    ScoreResult r = score(store, store.lock("score"), o);
    ModelScoreResult wine = result_of(r, "wine-cultivar"), camera = result_of(r, "digit-camera");
    CHECK(wine.scored + wine.quarantined == records);
    CHECK(camera.scored == frames);  // every frame decodes: the CMYK, 16-bit and misnamed ones too
    CHECK(camera.quarantined == 0);
    // Neither touched the other's items.
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights i JOIN items it ON it.id = i.item_id WHERE "
                                "(i.model = 'digit-camera') = (it.image IS NULL)") == 0);
    CHECK(query_int(store.db(), "SELECT count(*) FROM quarantine q JOIN items it ON it.id = q.item_id WHERE "
                                "q.stage = 'score' AND (q.model = 'digit-camera') = (it.image IS NULL)") == 0);
    // Lineage: each insight names the model's digest, and its item the frame's.
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights i JOIN items it ON it.id = i.item_id JOIN models m "
                                "ON m.name = i.model AND m.version = i.model_version WHERE i.model = 'digit-camera' "
                                "AND i.model_digest = m.digest AND it.image IN (SELECT digest FROM images)") == frames);

    // Both cursors end at the last item, whatever kind it is: a run with nothing new loads nothing.
    CHECK(query_int(store.db(), "SELECT count(*) FROM score_progress WHERE last_item_id = (SELECT max(id) FROM "
                                "items)") == 2);
    ScoreOptions again;
    again.load_model = [](const ActiveModel& m) -> std::unique_ptr<Model> {
        FAIL("loaded " << m.name << " with nothing to score");
        return nullptr;
    };
    ScoreResult second = score(store, store.lock("score"), again);
    CHECK(result_of(second, "digit-camera").scored == 0);
    CHECK(result_of(second, "wine-cultivar").scored == 0);
}

TEST_CASE_METHOD(test::TempDirFixture, "score: the camera model reads the sample frames as its training pipeline did") {
    Store store = camera_store(dir);
    score(store, store.lock("score"), {});
    // file -> {true label, the reference pipeline's label}
    std::map<std::string, std::pair<std::string, std::string>> truth;
    std::istringstream csv(test::slurp(test::sample_dir() / "camera-truth.csv"));
    std::string line;
    std::getline(csv, line);
    while (std::getline(csv, line)) {
        auto a = line.find(','), b = line.rfind(',');
        truth[line.substr(0, a)] = {line.substr(a + 1, b - a - 1), line.substr(b + 1)};
    }
    REQUIRE(truth.size() == 64);
    Statement labels(store.db(), "SELECT g.name, i.label FROM insights i JOIN items it ON it.id = i.item_id "
                                 "JOIN ingests g ON g.id = it.ingest_id WHERE i.model = 'digit-camera'");
    std::size_t seen = 0, correct = 0, reference_correct = 0;
    while (labels.step()) {
        std::string file = fs::path(labels.column_text(0)).filename();
        INFO(file);
        REQUIRE(truth.count(file));
        CHECK(labels.column_text(1) == truth[file].second);  // frame by frame, the reference's label
        correct += labels.column_text(1) == truth[file].first;
        reference_correct += truth[file].second == truth[file].first;
        ++seen;
    }
    CHECK(seen == truth.size());
    CHECK(correct == reference_correct);
    CHECK(double(correct) / double(seen) > 0.9);
}

TEST_CASE_METHOD(test::TempDirFixture, "score: frames outside an image model's sources, and damaged ones") {
    Store store = camera_store(dir);
    // A frame from a share the camera model's sources do not name: neither scored nor quarantined.
    fs::create_directories(dir / "dock");
    fs::copy_file(test::sample_dir() / "camera/cam-0001.jpg", dir / "dock/f.jpg");
    std::string copy = test::slurp(dir / "dock/f.jpg");
    copy += "x";  // other bytes, another item (trailing data is dropped at ingest)
    test::write_file(dir / "dock/g.jpg", copy);
    ingest(store, store.lock("ingest"), test::paths({dir / "dock"}));
    // A stored frame damaged on disk: quarantined for this model, with the reason.
    std::string digest;
    {
        Statement first(store.db(), "SELECT image FROM items WHERE image IS NOT NULL ORDER BY id LIMIT 1");
        REQUIRE(first.step());
        digest = first.column_text(0);
    }
    fs::path file = store.image_path(digest);
    std::string bytes = test::slurp(file);
    bytes[bytes.size() / 2] ^= 1;
    fs::permissions(file, fs::perms::owner_write, fs::perm_options::add);
    test::write_file(file, bytes);

    // Another one missing.
    {
        Statement last(store.db(), "SELECT image FROM items WHERE image IS NOT NULL AND image <> ? ORDER BY id DESC");
        last.bind(1, digest);
        REQUIRE(last.step());
        fs::remove(store.image_path(last.column_text(0)));
    }

    ScoreResult r = score(store, store.lock("score"), {});
    ModelScoreResult camera = result_of(r, "digit-camera");
    CHECK(camera.scored == 62);
    CHECK(camera.quarantined == 2);
    Statement why(store.db(),
                  "SELECT reason FROM quarantine WHERE stage = 'score' AND model = 'digit-camera' ORDER BY item_id");
    REQUIRE(why.step());
    CHECK_THAT(why.column_text(0), Catch::Contains("no longer matches its digest"));
    REQUIRE(why.step());
    CHECK_THAT(why.column_text(0), Catch::Contains("is missing: the store is damaged"));
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights i JOIN items it ON it.id = i.item_id JOIN ingests g "
                                "ON g.id = it.ingest_id WHERE g.name LIKE '%/dock/%'") == 0);
    CHECK(query_int(store.db(), "SELECT count(*) FROM quarantine q JOIN items it ON it.id = q.item_id JOIN ingests g "
                                "ON g.id = it.ingest_id WHERE g.name LIKE '%/dock/%'") == 0);
}
