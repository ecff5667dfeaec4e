#include "bag.hpp"

#include "fixture.hpp"
#include "sha256.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

namespace {

// The entries of a minimal valid bag named "b" with one payload file.
std::vector<test::CraftedEntry> valid_bag(const std::string& payload = "{\"a\":1}\n") {
    std::string manifest = bag_manifest({{"data/x.ndjson", sha256_hex(payload), payload.size()}});
    std::string info = bag_info({{"Payload-Oxum", std::to_string(payload.size()) + ".1"}});
    std::string tags = bag_manifest({{"bagit.txt", sha256_hex(bagit_txt()), 0},
                                     {"bag-info.txt", sha256_hex(info), 0},
                                     {"manifest-sha256.txt", sha256_hex(manifest), 0}});
    return {{"b", "", 'd'},
            {"b/bagit.txt", bagit_txt()},
            {"b/bag-info.txt", info},
            {"b/manifest-sha256.txt", manifest},
            {"b/tagmanifest-sha256.txt", tags},
            {"b/data/x.ndjson", payload}};
}

BagReport check(const fs::path& dir, const std::vector<test::CraftedEntry>& entries) {
    test::write_crafted(dir / "bag.tar.zst", entries);
    return verify_bag_archive(dir / "bag.tar.zst", nullptr);
}

bool mentions(const BagReport& r, const std::string& text) {
    for (const auto& p : r.problems)
        if (p.find(text) != std::string::npos) return true;
    return false;
}

} // namespace

TEST_CASE_METHOD(test::TempDirFixture, "bag: a valid bag verifies") {
    BagReport r = check(dir, valid_bag());
    CHECK(r.ok());
    CHECK(r.base == "b");
    CHECK(r.payload_files == 1);
}

TEST_CASE_METHOD(test::TempDirFixture, "bag: each defect is named") {
    auto e = valid_bag();
    e[5].content = "{\"a\":2}\n";
    CHECK(mentions(check(dir, e), "'data/x.ndjson' does not match its SHA-256 in manifest-sha256.txt"));

    e = valid_bag();
    e.push_back({"b/data/stowaway", "x"});
    BagReport extra = check(dir, e);
    CHECK(mentions(extra, "'data/stowaway' is not listed in manifest-sha256.txt"));
    CHECK(mentions(extra, "Payload-Oxum"));

    e = valid_bag();
    e.pop_back();
    CHECK(mentions(check(dir, e), "'data/x.ndjson' is listed in manifest-sha256.txt but missing"));

    e = valid_bag();
    e[2].content += "Extra: tampered\n";
    CHECK(mentions(check(dir, e), "'bag-info.txt' does not match its SHA-256 in tagmanifest-sha256.txt"));

    e = valid_bag();
    e[1].content = "BagIt-Version: 0.97\n";
    CHECK(mentions(check(dir, e), "'bagit.txt' is not a BagIt 1.0 declaration"));

    e = valid_bag();
    e.push_back({"other/x", "y"});
    CHECK(mentions(check(dir, e), "lies outside the bag"));

    e = valid_bag();
    e.push_back({"b/../../x", "y"});
    CHECK(mentions(check(dir, e), "leaves the archive"));
}

TEST_CASE_METHOD(test::TempDirFixture, "bag: a sidecar digest that does not match is reported") {
    test::write_crafted(dir / "bag.tar.zst", valid_bag());
    write_file_atomic(dir / "bag.tar.zst.sha256", std::string(64, '0') + "  bag.tar.zst\n");
    CHECK(mentions(verify_bag_archive(dir / "bag.tar.zst", nullptr), "does not match its digest in 'bag.tar.zst.sha256'"));
}
