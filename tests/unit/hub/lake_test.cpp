#include "hub/lake.hpp"

#include "fixture.hpp"
#include "util/error.hpp"
#include "util/zstd.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace edgectl;

namespace {

// Feeds one payload file to the stager in pieces of `chunk` bytes, as read_bag would.
void feed(LakeStager& s, const std::string& rel, const std::string& text, std::size_t chunk = 7) {
    s.begin_file(rel, text.size());
    for (std::size_t at = 0; at < text.size(); at += chunk)
        s.file_bytes(text.data() + at, std::min(chunk, text.size() - at));
    s.end_file();
}

std::string unzstd(const fs::path& p) {
    std::string out;
    read_zstd_chunks(p, 1 << 16, [&](std::string_view b) { out.append(b); });
    return out;
}

std::string insight(int id, const std::string& day) {
    return R"({"site":"s","insight_id":)" + std::to_string(id) + R"(,"scored_at":")" + day + "T10:00:00Z\"}\n";
}

// A hub's folder with staging/ and an archive's sidecars, made before the stager.
struct HubDir : test::TempDirFixture {
    HubDir() {
        make_dir(dir / "staging", 0700, "test");
        write_file_atomic(dir / "a.tar.zst.sha256", "sum\n", 0600, "test");
        write_file_atomic(dir / "a.tar.zst.minisig", "sig\n", 0600, "test");
    }
};

struct Staged : HubDir {
    LakeStager stager{dir, "staging/land-s-000001", "s", "s-000001", 3};
    std::vector<LandedFile> files;
    std::vector<LandedFile> finish() { return files = stager.finish(dir / "a.tar.zst"); }
    /// Where the file bound for final_rel was staged.
    fs::path staged_path(const std::string& final_rel) {
        for (const auto& f : files)
            if (f.final == final_rel) return dir / f.staged;
        FAIL("nothing staged for " << final_rel);
        return {};
    }
    std::string staged(const std::string& final_rel) { return unzstd(staged_path(final_rel)); }
};

}  // namespace

TEST_CASE_METHOD(Staged, "lake: records go to their kind's folder, one file per site and date", "[hub]") {
    stager.archive_bytes("ARCHIVE", 7);
    feed(stager, "data/insights.ndjson",
         insight(1, "2026-11-30") + insight(2, "2026-12-01") + insight(3, "2026-11-30"));
    feed(stager, "data/items.ndjson",
         R"({"item_id":1,"ingested_at":"2026-11-29T00:00:00Z","payload":{"a":1}})"
         "\n");
    finish();
    std::vector<std::string> finals;
    finals.reserve(files.size());
    for (const auto& f : files)
        finals.push_back(f.final);
    std::sort(finals.begin(), finals.end());
    CHECK(finals == std::vector<std::string>{"evidence/s/s-000001.tar.zst", "evidence/s/s-000001.tar.zst.minisig",
                                             "evidence/s/s-000001.tar.zst.sha256",
                                             "lake/insights/site=s/date=2026-11-30/s-000001.ndjson.zst",
                                             "lake/insights/site=s/date=2026-12-01/s-000001.ndjson.zst",
                                             "lake/items/site=s/date=2026-11-29/s-000001.ndjson.zst"});
    CHECK(staged("lake/insights/site=s/date=2026-11-30/s-000001.ndjson.zst") ==
          insight(1, "2026-11-30") + insight(3, "2026-11-30"));
    CHECK(read_file(staged_path("evidence/s/s-000001.tar.zst")) == "ARCHIVE");
    CHECK(read_file(staged_path("evidence/s/s-000001.tar.zst.sha256")) == "sum\n");
    for (const auto& f : files)
        CHECK(f.staged.starts_with("staging/land-s-000001."));
    CHECK(stager.counts() == Json{{"insights", 3}, {"items", 1}});
}

TEST_CASE_METHOD(Staged, "lake: records of more dates than stay open go to further parts, none lost", "[hub]") {
    std::string text;
    // Six days, interleaved: more than the four parts kept open at once.
    for (int i = 0; i < 60; ++i)
        text += insight(i, "2026-11-0" + std::to_string(1 + i % 6));
    feed(stager, "data/insights.ndjson", text, 1000);
    finish();
    std::size_t records = 0, parts = 0;
    for (const auto& f : files) {
        if (!f.final.starts_with("lake/")) continue;
        ++parts;
        std::string day = f.final.substr(f.final.find("date=") + 5, 10);
        std::string body = unzstd(dir / f.staged);
        records += std::size_t(std::count(body.begin(), body.end(), '\n'));
        CHECK(body.find(day) != std::string::npos);
        CHECK(body.find("2026-11-0" + std::string(1, day.back() == '1' ? '2' : '1')) == std::string::npos);
    }
    CHECK(records == 60);
    CHECK(parts > 6);
    CHECK(std::any_of(files.begin(), files.end(),
                      [](const auto& f) { return f.final.ends_with("s-000001-2.ndjson.zst"); }));
}

TEST_CASE_METHOD(Staged, "lake: frames are content-addressed", "[hub]") {
    std::string digest(64, 'a');
    feed(stager, "data/images/" + digest + ".jpg", "JPEGBYTES");
    finish();
    CHECK(std::any_of(files.begin(), files.end(),
                      [&](const auto& f) { return f.final == "lake/images/aa/" + digest + ".jpg"; }));
    CHECK(stager.counts() == Json{{"images", 1}});
}

TEST_CASE_METHOD(Staged, "lake: a record without its date, or a file cut mid-line, is the archive's problem", "[hub]") {
    SECTION("no date field") {
        CHECK_THROWS_MATCHES(feed(stager, "data/insights.ndjson", insight(1, "2026-11-30") + "{\"insight_id\":2}\n"),
                             VerifyError, Catch::Message("a record of insights (line 2) has no scored_at date"));
    }
    SECTION("not a date") {
        CHECK_THROWS_AS(feed(stager, "data/quarantine.ndjson",
                             R"({"created_at":"yesterday"})"
                             "\n"),
                        VerifyError);
    }
    SECTION("not JSON") { CHECK_THROWS_AS(feed(stager, "data/models.ndjson", "imported_at\n"), VerifyError); }
    SECTION("no final newline") {
        std::string text = insight(1, "2026-11-30");
        text.pop_back();
        CHECK_THROWS_MATCHES(feed(stager, "data/insights.ndjson", text), VerifyError,
                             Catch::Message("data/insights does not end with a newline"));
    }
    SECTION("a file the lake has no place for") {
        CHECK_THROWS_AS(stager.begin_file("data/other.ndjson", 0), VerifyError);
    }
}
