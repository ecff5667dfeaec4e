#include "export/ledger.hpp"

#include "fixture.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

TEST_CASE("ledger: archive names and paths") {
    CHECK(export_name("site-1", 42) == "site-1-000042");
    CHECK(archive_path("/mnt/disk", "s-000001") == fs::path("/mnt/disk/s-000001.tar.zst"));
    CHECK(partial_path("/mnt/disk", "s-000001") == fs::path("/mnt/disk/.s-000001.tar.zst.partial"));
    CHECK(device_of("/nonexistent/dir") == -1);
}

TEST_CASE("ledger: states are spelled as the store spells them") {
    for (auto state : {ExportState::pending, ExportState::complete, ExportState::abandoned})
        CHECK(*parse_export_state(to_string(state)) == state);
    CHECK(to_string(ExportState::complete) == "complete");
    CHECK(parse_export_state("done").error() == "unknown export state 'done'");
}

TEST_CASE_METHOD(test::TempDirFixture, "ledger: a new store has no exports, and nothing to acknowledge") {
    Store store = Store::init(dir / "s", "x");
    CHECK(list_exports(store.db()).empty());
    CHECK(to_json(list_exports(store.db())) == Json::array());
    CHECK(previous_tagmanifest(store.db(), 1) == "none");
    CHECK_THROWS_WITH(ack_exports(store.db(), store.lock("export"), {1}),
                      "export 1 is not a complete export (see 'edgectl exports list')");
}
