#pragma once
// A decoded frame made into a model's input, as its training pipeline made it: resized by the
// declared mode and interpolation (OpenCV's imgproc, which Debian's LibTorch already brings),
// channels in the declared order, scaled, standardised per channel, laid out as the model reads
// them. Everything that decides the numbers is in ImageInput, so that model.json can say all of it:
// a model trained on RGB fed BGR, or on a centre crop fed a stretched frame, scores garbage without
// any error, which is why a package's golden images are run through this same code.

#include "image/decode.hpp"

#include <cstdint>
#include <vector>

namespace edgectl {

/// What an image model takes, beyond how its frames are decoded (DecodeSpec).
struct ImageInput {
    std::uint32_t width = 224, height = 224;
    enum class Colour { rgb, bgr, gray } colour = Colour::rgb;  ///< gray: one channel
    enum class Layout { nchw, nhwc } layout = Layout::nchw;
    /// stretch: to width × height, ignoring the aspect ratio; letterbox: the whole frame fitted
    /// inside, centred, the rest `pad`; centre_crop: the largest centred region of the model's
    /// aspect ratio, resized; shorter_side: the shorter side resized to `shorter_side` (the aspect
    /// ratio kept), then the centred width × height taken (torchvision's Resize then CenterCrop).
    enum class Resize { stretch, letterbox, centre_crop, shorter_side } resize = Resize::stretch;
    enum class Interpolation { nearest, bilinear, bicubic, area } interpolation = Interpolation::bilinear;
    std::uint8_t pad = 0;
    std::uint32_t shorter_side = 0;  ///< 0: the larger of width and height
    float scale = 1.0f / 255.0f;     ///< each sample times this, then (x - mean) / std
    std::vector<float> mean, std;    ///< empty, or one per channel, in the model's channel order

    int channels() const { return colour == Colour::gray ? 1 : 3; }
    std::size_t values() const { return std::size_t(width) * height * std::size_t(channels()); }
};

/// How frames are decoded for this input: its channel count and its target size for DCT scaling,
/// over `base` (alpha, CMYK, 16-bit and orientation as the model declares).
DecodeSpec decode_spec(const ImageInput& in, DecodeSpec base = {});

/// Writes in.values() floats for one frame to out: the upright pixels decode_image() gave for
/// decode_spec(in), resized, reordered, scaled and laid out as `in` says.
void preprocess(const Pixels& pixels, const ImageInput& in, float* out);

}  // namespace edgectl
