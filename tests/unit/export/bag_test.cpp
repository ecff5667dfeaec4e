#include "export/bag.hpp"

#include "fixture.hpp"
#include "util/sha256.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

using namespace edgectl;

namespace {

// The tag files of an edgectl bag named "b-000001" around these payload files; `info` overrides or
// removes (empty value) bag-info.txt fields.
std::vector<test::CraftedEntry> bag_with(const std::vector<std::pair<std::string, std::string>>& payload,
                                         const std::map<std::string, std::string>& info_changes = {}) {
    std::vector<BagFile> files;
    std::uint64_t bytes = 0;
    std::map<std::string, std::size_t> lines;
    for (const auto& [path, text] : payload) {
        files.push_back({path, sha256_hex(text), text.size()});
        bytes += text.size();
        lines[path] = std::size_t(std::count(text.begin(), text.end(), '\n'));
    }
    std::vector<std::pair<std::string, std::string>> fields = {
        {"Source-Organization", "b"},
        {"Bagging-Date", "2026-12-01"},
        {"Payload-Oxum", std::to_string(bytes) + "." + std::to_string(files.size())},
        {"External-Identifier", "b-000001"},
        {"Bag-Group-Identifier", "b-000001"},
        {"Bag-Count", "1 of 1"},
        {"Edgectl-Export-Sequence", "1"},
        {"Edgectl-Export-Nonce", std::string(32, 'a')},
        {"Edgectl-Previous-Tagmanifest-SHA256", "none"},
        {"Edgectl-Insights", std::to_string(lines["data/insights.ndjson"])},
        {"Edgectl-Anomalies", std::to_string(lines["data/anomalies.ndjson"])}};
    std::vector<std::pair<std::string, std::string>> kept;
    for (auto [label, value] : fields) {
        if (auto it = info_changes.find(label); it != info_changes.end()) value = it->second;
        if (!value.empty()) kept.emplace_back(label, value);
    }
    std::string manifest = bag_manifest(files);
    std::string info = bag_info(kept);
    std::string tags = bag_manifest({{"bagit.txt", sha256_hex(bagit_txt()), 0},
                                     {"bag-info.txt", sha256_hex(info), 0},
                                     {"manifest-sha256.txt", sha256_hex(manifest), 0}});
    std::vector<test::CraftedEntry> out = {{"b-000001", "", 'd'},
                                           {"b-000001/bagit.txt", bagit_txt()},
                                           {"b-000001/bag-info.txt", info},
                                           {"b-000001/manifest-sha256.txt", manifest},
                                           {"b-000001/tagmanifest-sha256.txt", tags}};
    for (const auto& [path, text] : payload)
        out.push_back({"b-000001/" + path, text});
    return out;
}

// A minimal valid bag with one payload file of one insight.
std::vector<test::CraftedEntry> valid_bag(const std::string& payload = "{\"a\":1}\n") {
    return bag_with({{"data/insights.ndjson", payload}});
}

BagReport check(const fs::path& dir, const std::vector<test::CraftedEntry>& entries) {
    test::write_crafted(dir / "b-000001.tar.zst", entries);
    return verify_bag_archive(dir / "b-000001.tar.zst", nullptr);
}

bool mentions(const BagReport& r, const std::string& text) {
    for (const auto& p : r.problems)
        if (p.find(text) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE_METHOD(test::TempDirFixture, "bag: a valid bag verifies") {
    BagReport r = check(dir, valid_bag());
    CHECK(r.ok());
    CHECK(r.base == "b-000001");
    CHECK(r.payload_files == 1);
}

TEST_CASE_METHOD(test::TempDirFixture, "bag: each defect is named") {
    auto e = valid_bag();
    e[5].content = "{\"a\":2}\n";
    CHECK(mentions(check(dir, e), "'data/insights.ndjson' does not match its SHA-256 in manifest-sha256.txt"));

    e = valid_bag();
    e.push_back({"b-000001/data/anomalies.ndjson", "{}\n"});
    BagReport extra = check(dir, e);
    CHECK(mentions(extra, "'data/anomalies.ndjson' is not listed in manifest-sha256.txt"));
    CHECK(mentions(extra, "Payload-Oxum"));
    CHECK(mentions(extra, "Edgectl-Anomalies '0' does not match data/anomalies.ndjson, which has 1 records"));

    e = valid_bag();
    e.pop_back();
    CHECK(mentions(check(dir, e), "'data/insights.ndjson' is listed in manifest-sha256.txt but missing"));

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
    e.push_back({"b-000001/../../x", "y"});
    CHECK(mentions(check(dir, e), "leaves the archive"));
}

TEST_CASE_METHOD(test::TempDirFixture, "bag: a sidecar digest that does not match is reported") {
    test::write_crafted(dir / "b-000001.tar.zst", valid_bag());
    test::write_file(dir / "b-000001.tar.zst.sha256", std::string(64, '0') + "  b-000001.tar.zst\n");
    CHECK(mentions(verify_bag_archive(dir / "b-000001.tar.zst", nullptr),
                   "does not match its digest in 'b-000001.tar.zst.sha256'"));
}

TEST_CASE_METHOD(test::TempDirFixture, "bag: what edgectl would not write is refused") {
    // No tag manifest: BagIt allows it; edgectl always writes one.
    auto e = valid_bag();
    e.erase(e.begin() + 4);
    CHECK(mentions(check(dir, e), "'tagmanifest-sha256.txt' is missing"));
    // No Payload-Oxum.
    CHECK(mentions(check(dir, bag_with({{"data/insights.ndjson", "{}\n"}}, {{"Payload-Oxum", ""}})),
                   "bag-info.txt has no Payload-Oxum"));
    // A sequence that does not make the bag's name.
    CHECK(mentions(check(dir, bag_with({{"data/insights.ndjson", "{}\n"}}, {{"Edgectl-Export-Sequence", "2"}})),
                   "do not make the bag's name 'b-000001'"));
    // A payload file that collides with data/ on a case-insensitive filesystem.
    e = valid_bag();
    e.push_back({"b-000001/Data/insights.ndjson", "{}\n"});
    CHECK(mentions(check(dir, e), "entry 'b-000001/Data/insights.ndjson'"));
    // Names that differ only in case.
    e = valid_bag();
    e.push_back({"b-000001/BAGIT.txt", bagit_txt()});
    CHECK(mentions(check(dir, e), "differs from another only in case"));
    // A payload file edgectl does not write.
    CHECK(mentions(check(dir, bag_with({{"data/insights.ndjson", "{}\n"}, {"data/extra.bin", "x"}})),
                   "'b-000001/data/extra.bin' is not a file edgectl writes in a bag"));
    // Counts that contradict the payload.
    CHECK(mentions(check(dir, bag_with({{"data/insights.ndjson", "{}\n{}\n"}}, {{"Edgectl-Insights", "1"}})),
                   "Edgectl-Insights '1' does not match data/insights.ndjson, which has 2 records"));
    // The archive's own name.
    test::write_crafted(dir / "renamed.tar.zst", valid_bag());
    CHECK(mentions(verify_bag_archive(dir / "renamed.tar.zst", nullptr), "holds bag 'b-000001', not 'renamed'"));
}

TEST_CASE_METHOD(test::TempDirFixture, "bag: unreadable sidecars are problems of that archive, not errors") {
    test::write_crafted(dir / "b-000001.tar.zst", valid_bag());
    test::write_file(dir / "b-000001.tar.zst.sha256", std::string(8192, 'f'));
    BagReport r = verify_bag_archive(dir / "b-000001.tar.zst", nullptr);
    CHECK(mentions(r, "cannot read 'b-000001.tar.zst.sha256'"));
    fs::remove(dir / "b-000001.tar.zst.sha256");
    fs::create_directory(dir / "b-000001.tar.zst.minisig");  // unreadable as a file
    minisign::PublicKey key = minisign::generate().public_key();
    r = verify_bag_archive(dir / "b-000001.tar.zst", &key);
    CHECK(r.signature == "invalid");
    CHECK(mentions(r, "'b-000001.tar.zst.minisig'"));
}

TEST_CASE_METHOD(test::TempDirFixture, "bag: one read digests exactly the bytes it verified, trailing bytes too") {
    test::write_crafted(dir / "b-000001.tar.zst", valid_bag());
    std::string bytes = test::slurp(dir / "b-000001.tar.zst") + "appended";
    test::write_file(dir / "b-000001.tar.zst", bytes);
    File file = File::open_read(dir / "b-000001.tar.zst");
    ReadBag read = read_bag(file, "b-000001");
    CHECK(read.size == bytes.size());
    CHECK(read.sha256 == sha256_hex(bytes));
    CHECK(read.prehash == minisign::prehash_file((dir / "b-000001.tar.zst").string()));
}

TEST_CASE_METHOD(test::TempDirFixture,
                 "bag: a decompression bomb is stopped by the archive's size, sparse files refused") {
    // 200 MB of zeros packs into a few kB: more than 1000 times its size, or 64 MiB.
    auto e = bag_with({{"data/insights.ndjson", std::string(200u << 20, '\n')}});
    BagReport r = check(dir, e);
    CHECK(mentions(r, "entry 'b-000001/data/insights.ndjson' is larger than the limit of 67108864 bytes"));
    // The same in two files, each within the limit: together more than the archive can hold.
    e = bag_with(
        {{"data/insights.ndjson", std::string(40u << 20, '\n')}, {"data/items.ndjson", std::string(40u << 20, '\n')}});
    CHECK(mentions(check(dir, e), "more than an archive of its size can hold"));
    e = valid_bag();
    e.push_back({"b-000001/data/anomalies.ndjson", "{}\n", 's'});
    CHECK(mentions(check(dir, e), "entry 'b-000001/data/anomalies.ndjson' is a sparse file"));
}

TEST_CASE_METHOD(test::TempDirFixture, "bag: a frame's payload file is named by its digest, and nothing else is") {
    std::string frame = "\xFF\xD8 frame bytes \xFF\xD9";
    std::string path = bag_image_path(sha256_hex(frame), "jpeg");
    CHECK(path == "data/images/" + sha256_hex(frame) + ".jpg");
    CHECK(bag_image_path(sha256_hex(frame), "png").ends_with(".png"));
    CHECK(check(dir, bag_with({{"data/insights.ndjson", "{}\n"}, {path, frame}})).ok());

    // Another frame's bytes under that name: the manifest agrees with the bytes, the name does not.
    BagReport swapped = check(dir, bag_with({{"data/insights.ndjson", "{}\n"}, {path, frame + "x"}}));
    CHECK(mentions(swapped, "'" + path + "' is not the frame its name is the SHA-256 of"));
    // Names that are not a digest and an extension edgectl writes.
    const std::vector<std::string> misnamed = {"data/images/" + sha256_hex(frame) + ".gif",
                                               "data/images/" + std::string(64, 'A') + ".jpg", "data/images/x.jpg",
                                               "data/images/sub/" + sha256_hex(frame) + ".jpg"};
    for (const auto& bad : misnamed) {
        INFO(bad);
        CHECK(mentions(check(dir, bag_with({{"data/insights.ndjson", "{}\n"}, {bad, frame}})),
                       "is not a file edgectl writes in a bag"));
    }
    std::string digest;
    CHECK(is_bag_image_path(path, &digest));
    CHECK(digest == sha256_hex(frame));
}
