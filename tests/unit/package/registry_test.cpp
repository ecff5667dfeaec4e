#include "package/registry.hpp"

#include "fixture.hpp"
#include "package/package.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

namespace {

// Packs the sample model under another version.
fs::path sample_version(const fs::path& dir, const std::string& version, const fs::path& key = {}) {
    fs::path s = test::sample_dir() / "model";
    Json spec = Json::parse(test::slurp(s / "model.json"));
    spec["version"] = version;
    test::write_file(dir / ("spec-" + version + ".json"), spec.dump());
    fs::path out = dir / ("m-" + version + ".tar.zst");
    pack_model({s / "model.pt", dir / ("spec-" + version + ".json"), s / "golden.ndjson", out, key});
    return out;
}

}  // namespace

TEST_CASE("registry: semantic versions order numerically, pre-releases before releases") {
    CHECK(compare_versions("1.2.3", "1.2.3") == 0);
    CHECK(compare_versions("1.10.0", "1.9.0") > 0);
    CHECK(compare_versions("2.0.0", "10.0.0") < 0);
    CHECK(compare_versions("1.0.0-rc.1", "1.0.0") < 0);
    CHECK(compare_versions("1.0.0-rc.2", "1.0.0-rc.10") < 0);
    CHECK(compare_versions("1.0.0-alpha", "1.0.0-1") > 0);
}

TEST_CASE_METHOD(test::TempDirFixture, "registry: activate, rollback, remove, and downgrade protection") {
    Store store = Store::init(dir / "s", "x");
    import_model(store, store.lock("import-model"), {sample_version(dir, "1.0.0"), true, true});
    import_model(store, store.lock("import-model"), {sample_version(dir, "1.1.0"), true, true});
    CHECK(active_version(store.db(), "wine-cultivar") == "1.1.0");

    CHECK(rollback_model(store.db(), store.lock("import-model"), "wine-cultivar") == "1.0.0");
    CHECK(active_version(store.db(), "wine-cultivar") == "1.0.0");
    CHECK(rollback_model(store.db(), store.lock("import-model"), "wine-cultivar") == "1.1.0");  // and forward again

    CHECK_THROWS_WITH(import_model(store, store.lock("import-model"), {sample_version(dir, "0.9.0"), true, true}),
                      Catch::Contains("older than the active 1.1.0"));
    CHECK_FALSE(fs::exists(dir / "s/models/wine-cultivar/0.9.0"));
    ImportOptions downgrade{sample_version(dir, "0.9.0"), false, true, true};
    CHECK_NOTHROW(import_model(store, store.lock("import-model"), downgrade));

    CHECK_THROWS_WITH(remove_model(store, store.lock("import-model"), "wine-cultivar", "1.1.0"),
                      Catch::Contains("is active"));
    remove_model(store, store.lock("import-model"), "wine-cultivar", "1.0.0");
    CHECK_FALSE(fs::exists(dir / "s/models/wine-cultivar/1.0.0"));
    CHECK_THROWS_WITH(rollback_model(store.db(), store.lock("import-model"), "wine-cultivar"),
                      Catch::Contains("no previous version"));
    CHECK(list_models(store.db()).size() == 2);
}

TEST_CASE_METHOD(test::TempDirFixture, "registry: only trusted signatures pass, and the signer is recorded") {
    Store store = Store::init(dir / "s", "x");
    KeygenResult cloud = keygen(dir / "cloud");
    KeygenResult stranger = keygen(dir / "stranger");
    fs::path unsigned_pkg = sample_version(dir, "1.0.0");
    fs::path stranger_pkg = sample_version(dir, "1.0.1", stranger.secret_key);
    fs::path cloud_pkg = sample_version(dir, "1.0.2", cloud.secret_key);

    CHECK_THROWS_WITH(import_model(store, store.lock("import-model"), {unsigned_pkg, true}),
                      Catch::Contains("is not signed"));
    CHECK_THROWS_WITH(import_model(store, store.lock("import-model"), {cloud_pkg, true}),
                      Catch::Contains("which is not trusted"));
    trust_add(store, store.lock("trust"), cloud.public_key, "cloud");
    CHECK_THROWS_WITH(import_model(store, store.lock("import-model"), {stranger_pkg, true}),
                      Catch::Contains("which is not trusted"));
    import_model(store, store.lock("import-model"), {cloud_pkg, true});
    auto models = list_models(store.db());
    REQUIRE(models.size() == 1);
    CHECK(*models[0].signer == "cloud (" + cloud.key_id + ")");

    trust_remove(store, store.lock("trust"), "cloud");
    CHECK(trusted_keys(store).empty());
    CHECK_THROWS_WITH(trust_remove(store, store.lock("trust"), "cloud"),
                      Catch::Contains("no trusted key named 'cloud'"));
}
