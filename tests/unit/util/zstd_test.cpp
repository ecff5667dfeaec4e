#include "util/zstd.hpp"

#include "fixture.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

namespace {

std::string sample_text(int lines) {
    std::string text;
    for (int i = 0; i < lines; ++i)
        text += "{\"line\":" + std::to_string(i) + ",\"score\":0." + std::to_string(i * 7919 % 1000) + "}\n";
    return text;
}

// Every piece read_zstd_chunks hands over, in order.
std::vector<std::string> chunks_of(const fs::path& path, std::size_t chunk) {
    std::vector<std::string> pieces;
    read_zstd_chunks(path, chunk, [&](std::string_view piece) { pieces.emplace_back(piece); });
    return pieces;
}

}  // namespace

TEST_CASE_METHOD(test::TempDirFixture, "zstd: what the writer compresses reads back, in chunks of the size asked") {
    std::string text = sample_text(50000);
    ZstdWriter w(File::create_new(dir / "t.zst", 0600), 3);
    for (std::size_t at = 0; at < text.size(); at += 999)
        w.write(std::string_view(text).substr(at, 999));
    w.finish();
    CHECK(w.bytes_in() == text.size());
    CHECK(w.bytes_out() == fs::file_size(dir / "t.zst"));
    CHECK(w.bytes_out() < text.size() / 3);

    std::vector<std::string> pieces = chunks_of(dir / "t.zst", 65536);
    std::string joined;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        if (i + 1 < pieces.size()) CHECK(pieces[i].size() == 65536);
        joined += pieces[i];
    }
    CHECK(joined == text);
}

TEST_CASE_METHOD(test::TempDirFixture, "zstd: a flush makes all written so far readable, before the frame ends") {
    std::string text = sample_text(3000);
    ZstdWriter w(File::create_new(dir / "t.zst", 0600), 3);
    w.write(text);
    std::uint64_t before = w.bytes_out();
    w.flush();
    CHECK(w.bytes_out() > before);
    CHECK(w.bytes_out() == fs::file_size(dir / "t.zst"));
    std::string read;
    for (const auto& piece : chunks_of(dir / "t.zst", 1 << 20))
        read += piece;
    CHECK(read == text);
    w.write("more\n");
    w.finish();
    CHECK(chunks_of(dir / "t.zst", 1 << 20).back().ends_with("more\n"));
}

TEST_CASE_METHOD(test::TempDirFixture, "zstd: frames one after another read as one stream") {
    test::write_file(dir / "f.zst", zstd_frame("one,", 3) + zstd_frame("", 3) + zstd_frame("two", 19));
    CHECK(chunks_of(dir / "f.zst", 4) == std::vector<std::string>{"one,", "two"});
}

TEST_CASE("zstd: a writer without a file only counts") {
    std::string text = sample_text(20000);
    ZstdWriter counted(std::nullopt, 3);
    counted.write(text);
    counted.flush();
    CHECK(counted.bytes_out() > 0);
    CHECK(counted.bytes_out() < text.size());
    // The same bytes as a frame of the same level, give or take the frame's ending.
    std::size_t frame = zstd_frame(text, 3).size();
    CHECK(counted.bytes_out() <= frame + 16);
    CHECK(counted.bytes_out() + 64 >= frame);
}
