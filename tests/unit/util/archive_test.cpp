#include "util/archive.hpp"

#include "fixture.hpp"
#include "util/error.hpp"
#include "util/zstd.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

namespace {

// Reads every entry of an archive; returns the names read.
std::vector<std::string> read_all(const fs::path& path, ArchiveLimits limits = {}) {
    ArchiveReader reader(path, limits);
    ArchiveReader::Entry e;
    std::vector<std::string> names;
    while (reader.next(e)) {
        reader.read_all(1 << 20);
        names.push_back(e.name);
    }
    return names;
}

}  // namespace

TEST_CASE("archive: only clean relative entry names are safe") {
    CHECK(unsafe_entry_name("model.json").empty());
    CHECK(unsafe_entry_name("bag/data/x.ndjson").empty());
    CHECK(unsafe_entry_name("../x") == "leaves the archive ('..')");
    CHECK(unsafe_entry_name("a/../../x") == "leaves the archive ('..')");
    CHECK(unsafe_entry_name("/etc/passwd") == "is an absolute path");
    CHECK(unsafe_entry_name("./x") == "is not a clean relative path");
    CHECK(unsafe_entry_name("a//b") == "is not a clean relative path");
    CHECK_FALSE(unsafe_entry_name("a\\b").empty());
    CHECK_FALSE(unsafe_entry_name("").empty());
}

TEST_CASE_METHOD(test::TempDirFixture, "archive: what the writer writes, the reader reads back") {
    {
        AtomicFile out(dir / "a.tar.zst", 0644, "test");
        ArchiveWriter w(out.file(), 3, 0);
        w.add_directory("bag");
        w.add_file("bag/x.txt", "hello");
        test::write_file(dir / "src", std::string(100000, 'z'));
        w.add_file_from("bag/big", dir / "src");
        w.close();
        out.commit();
    }
    ArchiveReader reader(dir / "a.tar.zst");
    ArchiveReader::Entry e;
    REQUIRE(reader.next(e));
    CHECK((e.name == "bag" && e.directory));
    REQUIRE(reader.next(e));
    CHECK(e.name == "bag/x.txt");
    CHECK(reader.read_all(100) == "hello");
    REQUIRE(reader.next(e));
    CHECK(reader.read_all(1 << 20) == std::string(100000, 'z'));
    CHECK_FALSE(reader.next(e));
}

TEST_CASE_METHOD(test::TempDirFixture, "archive: a framed archive reads as one tar, compressed content included") {
    // A payload compressed beforehand, in two frames, goes in as it is.
    std::string payload;
    for (int i = 0; i < 20000; ++i)
        payload += "{\"n\":" + std::to_string(i) + "}\n";
    std::string half = payload.substr(0, payload.size() / 2);
    test::write_file(dir / "payload.zst", zstd_frame(half, 3) + zstd_frame(payload.substr(half.size()), 3));
    std::string deep = std::string(60, 'd') + "/" + std::string(60, 'e') + "/x.ndjson";  // over 100 bytes
    {
        File out = File::create_new(dir / "f.tar.zst", 0644);
        FramedArchiveWriter w(out, 3, 1700000000);
        w.add_directory("bag");
        w.add_file("bag/odd.txt", "seven b");  // not a multiple of 512: padded
        w.add_compressed("bag/data.ndjson", payload.size(), dir / "payload.zst");
        w.add_file("bag/after.txt", "after");
        w.add_file(deep, "deep");
        w.close();
        out.close();
    }
    ArchiveReader reader(dir / "f.tar.zst");
    ArchiveReader::Entry e;
    REQUIRE(reader.next(e));
    CHECK((e.name == "bag" && e.directory));
    REQUIRE(reader.next(e));
    CHECK(reader.read_all(100) == "seven b");
    REQUIRE(reader.next(e));
    CHECK((e.name == "bag/data.ndjson" && e.size == payload.size()));
    CHECK(reader.read_all(1 << 20) == payload);
    REQUIRE(reader.next(e));
    CHECK((e.name == "bag/after.txt" && reader.read_all(100) == "after"));
    REQUIRE(reader.next(e));
    CHECK((e.name == deep && reader.read_all(100) == "deep"));
    CHECK_FALSE(reader.next(e));
}

TEST_CASE("archive: ustar headers carry what tar reads") {
    std::string h = ustar_header("bag/data/x.ndjson", 1234567, false, 1700000000);
    REQUIRE(h.size() == 512);
    CHECK(h.substr(0, 17) == "bag/data/x.ndjson");
    CHECK(h.substr(124, 12) == std::string("00004553207") + '\0');  // 1234567 in octal
    CHECK(h[156] == '0');
    CHECK(h.substr(257, 8) == std::string("ustar\0"
                                          "00",
                                          8));
    unsigned sum = 0;
    for (std::size_t i = 0; i < 512; ++i)
        sum += (i >= 148 && i < 156) ? unsigned(' ') : static_cast<unsigned char>(h[i]);
    CHECK(std::stoul(h.substr(148, 6), nullptr, 8) == sum);
    CHECK(ustar_header("bag", 0, true, 0)[156] == '5');
    CHECK_THROWS_WITH(ustar_header(std::string(120, 'x'), 1, false, 0), Catch::Contains("too long for a tar header"));
    CHECK_THROWS_WITH(ustar_header("x", std::uint64_t(1) << 33, false, 0), Catch::Contains("cannot hold"));
}

TEST_CASE_METHOD(test::TempDirFixture, "archive: hostile entries are refused with the entry's name") {
    auto refused = [&](std::vector<test::CraftedEntry> entries, const std::string& why) {
        test::write_crafted(dir / "h.tar.zst", entries);
        CHECK_THROWS_WITH(read_all(dir / "h.tar.zst"), Catch::Contains(why));
        CHECK_THROWS_AS(read_all(dir / "h.tar.zst"), VerifyError);
    };
    refused({{"../x", "boom"}}, "entry '../x' leaves the archive");
    refused({{"/etc/cron.d/x", "boom"}}, "entry '/etc/cron.d/x' is an absolute path");
    refused({{"link", "/etc/passwd", 'l'}}, "entry 'link' is a symbolic link");
    refused({{"a", "x"}, {"b", "a", 'h'}}, "entry 'b' is a hard link");
    refused({{"dev", "", 'c'}}, "entry 'dev' is not a regular file or directory");
    refused({{"fifo", "", 'p'}}, "entry 'fifo' is not a regular file or directory");
}

TEST_CASE_METHOD(test::TempDirFixture, "archive: sizes and counts are bounded") {
    test::write_crafted(dir / "big.tar.zst", {{"a", std::string(5000, 'x')}, {"b", "y"}, {"c", "z"}});
    CHECK_THROWS_WITH(read_all(dir / "big.tar.zst", {10, 1000, 100000}), Catch::Contains("entry 'a' is larger than"));
    CHECK_THROWS_WITH(read_all(dir / "big.tar.zst", {10, 10000, 5001}), Catch::Contains("unpacks to more than"));
    CHECK_THROWS_WITH(read_all(dir / "big.tar.zst", {2, 10000, 100000}), Catch::Contains("more than 2 entries"));
}

TEST_CASE_METHOD(test::TempDirFixture, "archive: not tar.zst, truncated or corrupt input is a verification failure") {
    test::write_file(dir / "plain.txt", "just text, not an archive at all\n");
    CHECK_THROWS_WITH(read_all(dir / "plain.txt"), Catch::Contains("is not a zstd-compressed tar archive"));
    test::write_crafted(dir / "ok.tar.zst", {{"a", std::string(200000, 'q') + "tail"}, {"b", "x"}});
    std::string bytes = test::slurp(dir / "ok.tar.zst");
    test::write_file(dir / "cut.tar.zst", bytes.substr(0, bytes.size() / 2));
    CHECK_THROWS_AS(read_all(dir / "cut.tar.zst"), VerifyError);
}
