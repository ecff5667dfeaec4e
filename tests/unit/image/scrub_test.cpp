#include "image/scrub.hpp"

#include "image/frame_builders.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

namespace {

using namespace edgectl::test::frames;

ScrubbedImage scrubbed(const std::string& bytes, const ImageLimits& limits = {}) {
    auto image = scrub_image(bytes, limits);
    INFO((image.ok() ? std::string() : image.error()));
    REQUIRE(image.ok());
    return *image;
}

std::string refusal(const std::string& bytes, const ImageLimits& limits = {}) {
    auto image = scrub_image(bytes, limits);
    REQUIRE_FALSE(image.ok());
    return image.error();
}

}  // namespace

TEST_CASE("image: the format comes from the first bytes, and anything else is refused by name") {
    CHECK(*sniff_image(jpeg(jfif)) == ImageFormat::jpeg);
    CHECK(*sniff_image(signature + ihdr(1, 1) + idat + iend) == ImageFormat::png);
    CHECK(sniff_image("").error() == "an empty file");
    CHECK(sniff_image("GIF89a\x01\0\x01\0").error().starts_with("a GIF image"));
    CHECK(sniff_image(std::string("BM\x36\0\0\0\0\0\0\0\x36\0\0\0", 14)).error().starts_with("a BMP image"));
    CHECK(sniff_image("BMI,weight\n22.5,70\n").error().starts_with("not a JPEG or PNG"));  // a CSV header
    CHECK(is_image_magic("GIF89a"));
    CHECK_FALSE(is_image_magic("BMI,weight\n"));
    CHECK_FALSE(is_image_magic(""));
    CHECK(sniff_image(std::string("II*\0\x08\0\0\0", 8)).error().starts_with("a TIFF image"));
    CHECK(sniff_image(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)).error().starts_with("a WebP image"));
    CHECK(sniff_image("RIFF").error().starts_with("not a JPEG or PNG"));  // too short to say more
    CHECK(sniff_image(std::string("\0\0\0\x18"
                                  "ftypheic\0\0\0\0",
                                  16))
              .error()
              .starts_with("an ISO media file"));
    CHECK(sniff_image("{\"a\": 1}").error().starts_with("not a JPEG or PNG"));
    CHECK(sniff_image("\xFF\xD8").error().starts_with("not a JPEG or PNG"));
}

TEST_CASE("image: a JPEG loses EXIF, XMP, IPTC, comments, vendor segments and trailing data, byte for byte") {
    std::string in =
        jpeg(jfif + exif_be + icc + xmp + iptc + comment + vendor + adobe, sof(0xC0, 640, 480), 1, "trailer with GPS");
    ScrubbedImage out = scrubbed(in);
    CHECK(out.bytes == jpeg(jfif + icc + adobe));  // everything else exactly as it was
    CHECK(out.removed ==
          std::vector<std::string>{"EXIF", "XMP", "IPTC", "comment", "APP15", "data after the end of the image"});
    CHECK(out.bytes.find("GPS") == std::string::npos);
    CHECK(out.bytes.find("SN-8841-ZX") == std::string::npos);
    CHECK(out.info.format == ImageFormat::jpeg);
    CHECK(out.info.width == 640);
    CHECK(out.info.height == 480);
    CHECK(out.info.channels == 3);
    CHECK(out.info.bit_depth == 8);
    CHECK_FALSE(out.info.progressive);
    CHECK(out.info.orientation == 6);  // read before EXIF went

    // Scrubbing is idempotent: the scrubbed image is already clean.
    ScrubbedImage again = scrubbed(out.bytes);
    CHECK(again.bytes == out.bytes);
    CHECK(again.removed.empty());
    CHECK(again.info.orientation == 1);  // no EXIF left to say otherwise
}

TEST_CASE("image: each kind removed is named once, JPEG extension segments go, a hierarchical JPEG is refused") {
    std::string many;
    for (int i = 0; i < 1000; ++i)
        many += segment(0xFE, "");  // a hostile file: a thousand empty comments
    ScrubbedImage out = scrubbed(jpeg(jfif + many + segment(0xF3, "extension") + comment));
    CHECK(out.bytes == jpeg(jfif));
    CHECK(out.removed == std::vector<std::string>{"comment", "JPEG extension segment"});
    CHECK(refusal(jpeg(jfif + segment(0xDE, "dhp"))) == "a hierarchical JPEG, which decoders do not take");
}

TEST_CASE("image: kept segments and chunks of the wrong size go, as they could carry other bytes") {
    std::string jfif_with_tail = segment(0xE0, std::string("JFIF\0\x01\x02\0\0\x01\0\x01\0\0", 14) + "GPS 47N");
    std::string adobe_with_tail = segment(0xEE, std::string("Adobe\0\x64\0\0\0\0\x01", 12) + "SN-1");
    ScrubbedImage j = scrubbed(jpeg(jfif_with_tail + adobe_with_tail + jfif));
    CHECK(j.bytes == jpeg(jfif));
    CHECK(j.removed == std::vector<std::string>{"APP0", "APP14"});
    // A JFIF thumbnail of exactly the declared 1×1 pixels is kept.
    std::string thumb = segment(0xE0, std::string("JFIF\0\x01\x02\0\0\x01\0\x01\x01\x01", 14) + "rgb");
    CHECK(scrubbed(jpeg(thumb)).removed.empty());
    std::string big_gama = chunk("gAMA", be32(45455) + "GPS 47N");
    ScrubbedImage p = scrubbed(signature + ihdr(8, 8) + big_gama + idat + iend);
    CHECK(p.bytes == signature + ihdr(8, 8) + idat + iend);
    CHECK(p.removed == std::vector<std::string>{"PNG gAMA chunk"});
    CHECK(refusal(signature + ihdr(8, 8) + idat + chunk("IEND", "x")) == "corrupt: its IEND chunk is 1 bytes");
}

TEST_CASE("image: EXIF orientation is read in either byte order, and a nonsense value means upright") {
    std::string le = segment(0xE1, std::string("Exif\0\0", 6) + exif_tiff(8, true));
    CHECK(scrubbed(jpeg(le)).info.orientation == 8);
    std::string bad = segment(0xE1, std::string("Exif\0\0", 6) + exif_tiff(9, false));
    CHECK(scrubbed(jpeg(bad)).info.orientation == 1);
    std::string cut =
        segment(0xE1, std::string("Exif\0\0MM\0*\0\0\0\x08\0\x05", 16));  // 5 entries promised, none there
    CHECK(scrubbed(jpeg(cut)).info.orientation == 1);
    CHECK(scrubbed(jpeg(segment(0xE1, std::string("Exif\0", 5)))).info.orientation == 1);
}

TEST_CASE("image: with the metadata kept, a JPEG or PNG is checked but returned exactly as it came") {
    std::string in = jpeg(jfif + exif_be + comment, sof(0xC0, 64, 48), 1, "tail");
    auto kept = scrub_image(in, {}, true);
    REQUIRE(kept.ok());
    CHECK(kept->bytes == in);
    CHECK(kept->removed.empty());
    CHECK(kept->info.orientation == 6);
    std::string png = signature + ihdr(4, 4) + chunk("tEXt", std::string("Author\0A. Person", 16)) + idat + iend;
    auto kept_png = scrub_image(png, {}, true);
    REQUIRE(kept_png.ok());
    CHECK(kept_png->bytes == png);
    CHECK_FALSE(scrub_image(in.substr(0, in.size() - 10), {}, true).ok());  // still checked
}

TEST_CASE("image: a JPEG's frame header gives size, components and progressive coding") {
    ImageInfo gray = scrubbed(jpeg(jfif, sof(0xC0, 32, 16, 1))).info;
    CHECK(gray.channels == 1);
    CHECK(gray.width == 32);
    CHECK(gray.height == 16);
    ImageInfo cmyk = scrubbed(jpeg(adobe, sof(0xC2, 8, 8, 4), 3)).info;
    CHECK(cmyk.channels == 4);
    CHECK(cmyk.progressive);
}

TEST_CASE("image: a damaged JPEG is refused with its reason, at every length it could be cut to") {
    std::string good = jpeg(jfif + exif_be);
    for (std::size_t n = 0; n < good.size(); ++n) {
        auto cut = scrub_image(good.substr(0, n));
        INFO(n);
        CHECK_FALSE(cut.ok());
    }
    CHECK(refusal(good.substr(0, good.size() - 2)).starts_with("truncated"));
}

TEST_CASE("image: a JPEG's structure is checked: frame header, lengths, scans, size") {
    std::string head = std::string("\xFF\xD8") + jfif;
    CHECK(refusal(head + dqt + sos + scan + "\xFF\xD9").find("before the frame header") != std::string::npos);
    CHECK(refusal(head + dqt + sof(0xC0, 8, 8) + sof(0xC0, 8, 8) + sos + scan + "\xFF\xD9")
              .find("more than one frame header") != std::string::npos);
    CHECK(refusal(head + std::string("\xFF\xDB\x00\x01", 4) + "\xFF\xD9").find("length 1") != std::string::npos);
    CHECK(refusal(head + std::string("\xFF\xDB\x40\x00", 4)).starts_with("truncated"));
    CHECK(refusal(head + std::string("\x00\xFF\xD9", 3)).find("should start a marker") != std::string::npos);
    CHECK(refusal(head + dqt + sof(0xC0, 8, 8) + "\xFF\xD9").find("before any image data") != std::string::npos);
    CHECK(refusal(jpeg(jfif, sof(0xC0, 0, 8))).find("0×8") != std::string::npos);
    CHECK(refusal(jpeg(jfif, sof(0xC0, 65535, 65535))).find("over the limit of 100000000") != std::string::npos);
    ImageLimits small;
    small.max_pixels = 640 * 480 - 1;
    CHECK(refusal(jpeg(jfif), small).find("640×480") != std::string::npos);
    small = {};
    small.max_bytes = 100;
    CHECK(refusal(jpeg(jfif), small).find("over the limit of 100") != std::string::npos);
    // A progressive-scan bomb: more scans than a decoder is asked to run.
    ImageLimits scans;
    scans.max_scans = 3;
    CHECK(scrubbed(jpeg(jfif, sof(0xC2, 8, 8), 3), scans).info.progressive);
    CHECK(refusal(jpeg(jfif, sof(0xC2, 8, 8), 4), scans).find("more than 3 scans") != std::string::npos);
}

TEST_CASE("image: a PNG loses its text, EXIF, time and private chunks, and keeps what renders it") {
    std::string exif = exif_tiff(3, true);
    std::string in = signature + ihdr(640, 480) + chunk("tEXt", std::string("Comment\0GPS 47.37N", 18)) + gama +
                     chunk("eXIf", exif) + chunk("zTXt", std::string("k\0\0x", 4)) +
                     chunk("iTXt", std::string("k\0\0\0\0\0v", 7)) + chunk("tIME", std::string(7, '\x01')) + idat +
                     chunk("prVt", "private") + iend + "after the end";
    ScrubbedImage out = scrubbed(in);
    CHECK(out.bytes == signature + ihdr(640, 480) + gama + idat + iend);
    CHECK(out.removed == std::vector<std::string>{"PNG tEXt chunk", "PNG eXIf chunk", "PNG zTXt chunk",
                                                  "PNG iTXt chunk", "PNG tIME chunk", "PNG prVt chunk",
                                                  "data after the end of the image"});
    CHECK(out.bytes.find("GPS") == std::string::npos);
    CHECK(out.info.format == ImageFormat::png);
    CHECK(out.info.width == 640);
    CHECK(out.info.height == 480);
    CHECK(out.info.channels == 3);
    CHECK(out.info.orientation == 3);
    CHECK(scrubbed(out.bytes).bytes == out.bytes);
}

TEST_CASE("image: a PNG's header says its colours: gray, palette, alpha, 16-bit, interlaced") {
    ImageInfo gray16 = scrubbed(signature + ihdr(2, 2, 16, 0) + idat + iend).info;
    CHECK(gray16.channels == 1);
    CHECK(gray16.bit_depth == 16);
    ImageInfo pal = scrubbed(signature + ihdr(2, 2, 4, 3) + chunk("PLTE", std::string(6, '\0')) + idat + iend).info;
    CHECK(pal.palette);
    ImageInfo rgba = scrubbed(signature + ihdr(2, 2, 8, 6, 1) + idat + iend).info;
    CHECK(rgba.channels == 4);
    CHECK(rgba.alpha);
    CHECK(rgba.progressive);
}

TEST_CASE("image: a damaged PNG is refused with its reason") {
    std::string good = signature + ihdr(8, 8) + gama + idat + iend;
    for (std::size_t n = 0; n < good.size(); ++n) {
        INFO(n);
        CHECK_FALSE(scrub_image(good.substr(0, n)).ok());
    }
    std::string flipped = good;
    flipped[signature.size() + 8] ^= 1;  // the width, under IHDR's CRC
    CHECK(refusal(flipped).find("CRC of its IHDR chunk") != std::string::npos);
    CHECK(refusal(signature + gama + ihdr(8, 8) + idat + iend).find("not IHDR") != std::string::npos);
    CHECK(refusal(signature + ihdr(8, 8) + ihdr(8, 8) + idat + iend).find("more than one IHDR") != std::string::npos);
    CHECK(refusal(signature + ihdr(8, 8) + chunk("ABCD", "x") + idat + iend).find("critical chunk ABCD") !=
          std::string::npos);
    CHECK(refusal(signature + ihdr(8, 8) + iend).find("no image data") != std::string::npos);
    CHECK(refusal(signature + ihdr(8, 8, 8, 3) + idat + iend).find("without its palette") != std::string::npos);
    CHECK(refusal(signature + ihdr(8, 8, 16, 3) + idat + iend).find("colour type 3 with 16-bit") != std::string::npos);
    CHECK(refusal(signature + ihdr(8, 8, 8, 5) + idat + iend).find("colour type 5") != std::string::npos);
    CHECK(refusal(signature + ihdr(8, 8, 8, 2, 2) + idat + iend).find("interlace") != std::string::npos);
    CHECK(refusal(signature + ihdr(0, 8) + idat + iend).find("0×8") != std::string::npos);
    CHECK(refusal(signature + ihdr(20000, 20000) + idat + iend).find("over the limit") != std::string::npos);
    CHECK(refusal(signature + chunk("IHDR", "short") + idat + iend).find("not 13") != std::string::npos);
    std::string bad_type = signature + be32(0) + std::string("IE1D", 4) + be32(0);
    CHECK(refusal(bad_type).find("not 4 letters") != std::string::npos);
    std::string huge = signature + be32(0x80000000u) + "IDAT";
    CHECK(refusal(huge + std::string(8, '\0')).starts_with("truncated"));
}

TEST_CASE("image: CRC-32 is PNG's") {
    CHECK(crc32("123456789") == 0xCBF43926u);
    CHECK(crc32("IEND") == 0xAE426082u);
    CHECK(crc32("6789", crc32("12345")) == crc32("123456789"));  // it continues a running CRC
}
