#include "image/decode.hpp"

#include "image/encode.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <spng.h>
#include <turbojpeg.h>

using namespace edgectl;
using namespace edgectl::test;

namespace {

// Mean absolute difference between decoded pixels and the gradient they were made from.
double difference(const Pixels& p, const std::vector<std::uint8_t>& expected) {
    REQUIRE(p.data.size() == expected.size());
    double sum = 0;
    for (std::size_t i = 0; i < expected.size(); ++i)
        sum += std::abs(int(p.data[i]) - int(expected[i]));
    return sum / double(expected.size());
}

Pixels decoded(const std::string& bytes, const DecodeSpec& spec = {}, int orientation = 1) {
    auto p = decode_image(bytes, orientation, spec);
    INFO((p.ok() ? std::string() : p.error()));
    REQUIRE(p.ok());
    return *p;
}

}  // namespace

TEST_CASE("decode: a JPEG becomes its RGB or gray pixels") {
    Pixels rgb = decoded(rgb_jpeg(64, 48));
    CHECK(rgb.width == 64);
    CHECK(rgb.height == 48);
    CHECK(rgb.channels == 3);
    CHECK(difference(rgb, gradient(64, 48, 3)) < 2.0);
    DecodeSpec gray;
    gray.channels = 1;
    Pixels g = decoded(rgb_jpeg(64, 48), gray);
    CHECK(g.channels == 1);
    CHECK(g.data.size() == 64 * 48);
    // A grayscale JPEG for an RGB model: each sample three times.
    Pixels from_gray = decoded(jpeg_of(gradient(32, 16, 1), 32, 16, TJPF_GRAY));
    CHECK(from_gray.channels == 3);
    CHECK(from_gray.at(31, 0, 0) == from_gray.at(31, 0, 2));
    CHECK(from_gray.at(31, 0, 0) > 240);
}

TEST_CASE("decode: a large JPEG is decoded in the DCT domain at the smallest scale twice the model's input") {
    DecodeSpec spec;
    spec.target_width = 100;
    spec.target_height = 100;
    Pixels p = decoded(rgb_jpeg(640, 480), spec);
    CHECK(p.width == 320);  // 1/2: 3/8 would give 180 rows, under twice 100
    CHECK(p.height == 240);
    spec.target_width = spec.target_height = 32;
    p = decoded(rgb_jpeg(640, 480), spec);
    CHECK(p.width == 160);  // 2/8: 1/8 would give 60 rows, under twice 32
    CHECK(p.height == 120);
    spec.target_width = spec.target_height = 24;
    p = decoded(rgb_jpeg(640, 480), spec);
    CHECK(p.width == 80);  // 1/8 covers 48×48
    CHECK(p.height == 60);
    spec.target_width = spec.target_height = 400;
    CHECK(decoded(rgb_jpeg(640, 480), spec).width == 640);  // never enlarged
    // Turned upright, width and height swap: the scale is chosen on the upright frame.
    spec.target_width = 100;
    spec.target_height = 150;
    p = decoded(rgb_jpeg(640, 480), spec, 6);
    CHECK(p.width == 240);
    CHECK(p.height == 320);
}

TEST_CASE("decode: a CMYK JPEG is converted, or refused when the model says so") {
    std::string cmyk = jpeg_of(gradient(32, 16, 4), 32, 16, TJPF_CMYK);
    Pixels p = decoded(cmyk);
    CHECK(p.channels == 3);
    CHECK(difference(p, gradient(32, 16, 3)) < 3.0);
    DecodeSpec no;
    no.accept_cmyk = false;
    CHECK(decode_image(cmyk, 1, no).error() == "a CMYK JPEG, which this model does not take");
}

TEST_CASE("decode: a truncated or corrupt JPEG is refused, never decoded into grey blocks") {
    std::string good = rgb_jpeg(64, 48);
    auto cut = decode_image(good.substr(0, good.size() / 2), 1, {});
    REQUIRE_FALSE(cut.ok());
    CHECK(cut.error().starts_with("corrupt: "));
    // Any byte flipped anywhere: a result, never a crash.
    for (std::size_t i = 0; i < good.size(); ++i) {
        std::string bad = good;
        bad[i] = char(bad[i] ^ 0x5A);
        (void)decode_image(bad, 1, {});
    }
    ImageLimits small;
    small.max_pixels = 64 * 48 - 1;
    CHECK(decode_image(good, 1, {}, small).error() == "declares 64×48 pixels, over the limit of 3071");
}

TEST_CASE("decode: PNGs of every colour type become 8-bit RGB") {
    auto rgb = gradient(16, 8, 3);
    CHECK(difference(decoded(png_of(rgb, 16, 8, SPNG_COLOR_TYPE_TRUECOLOR, 8)), rgb) == 0);
    // 16-bit: the high byte of each sample (libspng takes the samples to encode in host order).
    std::vector<std::uint8_t> wide;
    for (auto v : rgb) {
        std::uint16_t sample = std::uint16_t(v << 8 | 0x33);
        wide.insert(wide.end(), reinterpret_cast<std::uint8_t*>(&sample), reinterpret_cast<std::uint8_t*>(&sample) + 2);
    }
    std::string png16 = png_of(wide, 16, 8, SPNG_COLOR_TYPE_TRUECOLOR, 16);
    CHECK(difference(decoded(png16), rgb) == 0);
    DecodeSpec no16;
    no16.accept_16bit = false;
    CHECK(decode_image(png16, 1, no16).error() == "a 16-bit PNG, which this model does not take");
    // Palette and gray.
    Pixels pal = decoded(png_of({0, 1, 1, 0}, 2, 2, SPNG_COLOR_TYPE_INDEXED, 8, {255, 0, 0, 0, 0, 255}));
    CHECK(pal.data == std::vector<std::uint8_t>{255, 0, 0, 0, 0, 255, 0, 0, 255, 255, 0, 0});
    Pixels gray = decoded(png_of({0, 128, 255, 7}, 2, 2, SPNG_COLOR_TYPE_GRAYSCALE, 8));
    CHECK(gray.data == std::vector<std::uint8_t>{0, 0, 0, 128, 128, 128, 255, 255, 255, 7, 7, 7});
}

TEST_CASE("decode: alpha is dropped, composited or refused, as the model declares") {
    // One red pixel, half transparent, and one opaque blue.
    std::string png = png_of({255, 0, 0, 128, 0, 0, 255, 255}, 2, 1, SPNG_COLOR_TYPE_TRUECOLOR_ALPHA, 8);
    CHECK(decoded(png).data == std::vector<std::uint8_t>{255, 0, 0, 0, 0, 255});  // as Pillow's convert("RGB")
    DecodeSpec over;
    over.alpha = DecodeSpec::Alpha::composite;
    over.background = 0;
    CHECK(decoded(png, over).data == std::vector<std::uint8_t>{128, 0, 0, 0, 0, 255});
    DecodeSpec refuse;
    refuse.alpha = DecodeSpec::Alpha::refuse;
    CHECK(decode_image(png, 1, refuse).error() == "has transparency, which this model does not take");
    DecodeSpec gray;
    gray.channels = 1;
    CHECK(decoded(png, gray).data == std::vector<std::uint8_t>{76, 29});  // ITU-R 601 luma of red and blue
}

TEST_CASE("decode: a corrupt PNG is refused with libspng's reason") {
    std::string png = png_of(gradient(16, 8, 3), 16, 8, SPNG_COLOR_TYPE_TRUECOLOR, 8);
    CHECK(decode_image(png.substr(0, png.size() - 20), 1, {}).error().starts_with("corrupt: "));
    std::string flipped = png;
    flipped[png.size() - 20] = char(flipped[png.size() - 20] ^ 1);  // inside IDAT, under its CRC
    CHECK(decode_image(flipped, 1, {}).error().starts_with("corrupt: "));
    CHECK(decode_image("GIF89a", 1, {}).error().starts_with("a GIF image"));
}

TEST_CASE("decode: a PNG cut anywhere is refused, by its decoding or by the scrub before it") {
    // Tall enough that its rows are decoded one by one over many calls.
    std::string png = png_of(gradient(24, 300, 3), 24, 300, SPNG_COLOR_TYPE_TRUECOLOR, 8);
    REQUIRE(decode_image(png, 1, {}));
    const std::size_t pixels_end = png.size() - 12 - 4;  // before the last IDAT's CRC and IEND
    for (std::size_t cut = 0; cut < png.size(); ++cut) {
        INFO("cut at " << cut << " of " << png.size());
        std::string part = png.substr(0, cut);
        // Cut inside its pixels, the decoder refuses it; after them (libspng does not read on),
        // the scrub every frame passes first does.
        if (cut < pixels_end) CHECK_FALSE(decode_image(part, 1, {}));
        CHECK_FALSE(scrub_image(part));
    }
}

TEST_CASE("decode: each EXIF orientation turns the frame upright") {
    // 3×2 pixels, one channel, numbered 0..5 row by row:   0 1 2
    //                                                       3 4 5
    Pixels in{3, 2, 1, {0, 1, 2, 3, 4, 5}};
    auto rows = [](const Pixels& p) {
        std::vector<int> v(p.data.begin(), p.data.end());
        return std::pair(std::pair(p.width, p.height), v);
    };
    CHECK(rows(orient(in, 1)).second == std::vector<int>{0, 1, 2, 3, 4, 5});
    CHECK(rows(orient(in, 2)).second == std::vector<int>{2, 1, 0, 5, 4, 3});
    CHECK(rows(orient(in, 3)).second == std::vector<int>{5, 4, 3, 2, 1, 0});
    CHECK(rows(orient(in, 4)).second == std::vector<int>{3, 4, 5, 0, 1, 2});
    CHECK(rows(orient(in, 5)) == std::pair(std::pair(2u, 3u), std::vector<int>{0, 3, 1, 4, 2, 5}));
    CHECK(rows(orient(in, 6)) == std::pair(std::pair(2u, 3u), std::vector<int>{3, 0, 4, 1, 5, 2}));
    CHECK(rows(orient(in, 7)) == std::pair(std::pair(2u, 3u), std::vector<int>{5, 2, 4, 1, 3, 0}));
    CHECK(rows(orient(in, 8)) == std::pair(std::pair(2u, 3u), std::vector<int>{2, 5, 1, 4, 0, 3}));
    CHECK(rows(orient(in, 9)).second == rows(in).second);  // nonsense: as it is
    // Through decode: orientation 6 of a real JPEG, and not applied when the model says so.
    std::string j = rgb_jpeg(64, 48);
    CHECK(decoded(j, {}, 6).width == 48);
    DecodeSpec raw;
    raw.apply_orientation = false;
    CHECK(decoded(j, raw, 6).width == 64);
}
