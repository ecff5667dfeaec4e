#include "image/preprocess.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>

using namespace edgectl;

namespace {

// A frame whose columns are given colours, every row alike.
Pixels columns(const std::vector<std::array<std::uint8_t, 3>>& colours, std::uint32_t height) {
    Pixels p{std::uint32_t(colours.size()), height, 3, {}};
    for (std::uint32_t y = 0; y < height; ++y)
        for (const auto& c : colours)
            p.data.insert(p.data.end(), c.begin(), c.end());
    return p;
}

std::vector<float> run(const Pixels& p, const ImageInput& in) {
    std::vector<float> out(in.values(), -1.0f);
    preprocess(p, in, out.data());
    return out;
}

ImageInput input(std::uint32_t w, std::uint32_t h, ImageInput::Resize resize = ImageInput::Resize::stretch) {
    ImageInput in;
    in.width = w;
    in.height = h;
    in.resize = resize;
    in.interpolation = ImageInput::Interpolation::nearest;
    in.scale = 1.0f;  // samples as they are, to read the tests
    return in;
}

}  // namespace

TEST_CASE("preprocess: channels in the declared order and layout, scaled and standardised") {
    Pixels p = columns({{10, 20, 30}, {40, 50, 60}}, 1);
    ImageInput in = input(2, 1);
    CHECK(run(p, in) == std::vector<float>{10, 40, 20, 50, 30, 60});  // nchw: R plane, G plane, B plane
    in.layout = ImageInput::Layout::nhwc;
    CHECK(run(p, in) == std::vector<float>{10, 20, 30, 40, 50, 60});
    in.colour = ImageInput::Colour::bgr;
    CHECK(run(p, in) == std::vector<float>{30, 20, 10, 60, 50, 40});
    in = input(2, 1);
    in.scale = 0.5f;
    in.mean = {5, 10, 15};
    in.std = {5, 5, 5};
    CHECK(run(p, in) == std::vector<float>{0, 3, 0, 3, 0, 3});  // (x / 2 - mean) / std
    in.mean.clear();                                            // std alone
    CHECK(run(p, in) == std::vector<float>{1, 4, 2, 5, 3, 6});
}

TEST_CASE("preprocess: a gray model reads one channel") {
    Pixels g{2, 2, 1, {0, 255, 255, 0}};
    ImageInput in = input(2, 2);
    in.colour = ImageInput::Colour::gray;
    in.scale = 1.0f / 255.0f;
    CHECK(run(g, in) == std::vector<float>{0, 1, 1, 0});
    CHECK(decode_spec(in).channels == 1);
    CHECK_THROWS(run(columns({{1, 2, 3}}, 1), in));  // decoded for another input
}

TEST_CASE("preprocess: stretch, letterbox, centre crop and shorter side then crop") {
    // Six columns A..F, two rows.
    Pixels p = columns({{1, 1, 1}, {2, 2, 2}, {3, 3, 3}, {4, 4, 4}, {5, 5, 5}, {6, 6, 6}}, 2);
    auto red = [](const std::vector<float>& v, std::size_t n) { return std::vector<float>(v.begin(), v.begin() + n); };
    // stretch to 12×1: each column twice.
    CHECK(red(run(p, input(12, 1)), 12) == std::vector<float>{1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6});
    // centre crop to a 2×2 model: the centred 2×2 region, columns C and D.
    CHECK(red(run(p, input(2, 2, ImageInput::Resize::centre_crop)), 4) == std::vector<float>{3, 4, 3, 4});
    // shorter side 2 (the frame's already), then the centred 2×2: start round((6 - 2) / 2) = 2.
    CHECK(red(run(p, input(2, 2, ImageInput::Resize::shorter_side)), 4) == std::vector<float>{3, 4, 3, 4});
    // letterbox into 6×4: the frame fills the middle two rows, pad above and below.
    ImageInput lb = input(6, 4, ImageInput::Resize::letterbox);
    lb.pad = 9;
    CHECK(red(run(p, lb), 24) == std::vector<float>{9, 9, 9, 9, 9, 9, 1, 2, 3, 4, 5, 6,  //
                                                    1, 2, 3, 4, 5, 6, 9, 9, 9, 9, 9, 9});
}

TEST_CASE("preprocess: shorter side rounds as torchvision does") {
    // A 5×2 frame, model 2×2 from shorter side 2: resized 5×2, crop starts at round(1.5) = 2.
    Pixels p = columns({{1, 1, 1}, {2, 2, 2}, {3, 3, 3}, {4, 4, 4}, {5, 5, 5}}, 2);
    ImageInput in = input(2, 2, ImageInput::Resize::shorter_side);
    std::vector<float> first = run(p, in);
    CHECK(std::vector<float>(first.begin(), first.begin() + 2) == std::vector<float>{3, 4});
    // Shorter side 4 of a 5×2 frame: 10×4, the centred 2×2 starts at column 4, row 1.
    in.shorter_side = 4;
    std::vector<float> v = run(p, in);
    CHECK(v[0] == 3);  // columns 4 and 5 of 10 are the third source column
    CHECK(decode_spec(in).target_width == 4);
    CHECK(decode_spec(in).target_height == 4);
}

TEST_CASE("preprocess: a uniform frame stays uniform at any size and interpolation") {
    Pixels p{640, 480, 3, std::vector<std::uint8_t>(640 * 480 * 3, 200)};
    for (auto i : {ImageInput::Interpolation::nearest, ImageInput::Interpolation::bilinear,
                   ImageInput::Interpolation::bicubic, ImageInput::Interpolation::area})
        for (auto r : {ImageInput::Resize::stretch, ImageInput::Resize::letterbox, ImageInput::Resize::centre_crop,
                       ImageInput::Resize::shorter_side}) {
            ImageInput in = input(224, 224, r);
            in.interpolation = i;
            in.pad = 200;
            std::vector<float> v = run(p, in);
            CHECK(std::all_of(v.begin(), v.end(), [](float x) { return x == 200; }));
        }
}
