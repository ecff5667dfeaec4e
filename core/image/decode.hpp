#pragma once
// A stored frame decoded into the 8-bit pixels a model's preprocessing starts from: RGB or gray,
// upright (the EXIF orientation ingest recorded, applied), every kind of JPEG and PNG turned into
// those or refused as the model declares.
//
// JPEGs go through TurboJPEG (libjpeg-turbo): any warning is an error (a truncated or corrupt frame
// is refused, not decoded into grey blocks), at most ImageLimits::max_scans scans, and, given the
// model's input size, decoded in the DCT domain at the smallest scale still at least twice that
// size, which is most of the work saved for a large frame and a small model. PNGs go through libspng
// with its own limits on dimensions and chunk sizes. Both are held to ImageLimits' pixels before any
// pixel buffer is made.

#include "image/scrub.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace edgectl {

/// What a model takes, and how the frames that are not simply 8-bit RGB get there.
struct DecodeSpec {
    int channels = 3;  ///< 3: RGB; 1: gray (ITU-R 601 luma, as Pillow's convert("L") computes it)
    /// A PNG with an alpha channel (or a transparent colour): drop the alpha, as Pillow's
    /// convert("RGB") does; composite over `background`; or refuse the frame.
    enum class Alpha { drop, composite, refuse } alpha = Alpha::drop;
    std::uint8_t background = 255;
    /// A gray frame for a colour model (replicated into R, G and B), or a colour frame for a gray
    /// one (its luma).
    bool accept_gray = true;
    bool accept_cmyk = true;   ///< CMYK and YCCK JPEGs (converted as Adobe writes them, inverted)
    bool accept_16bit = true;  ///< 16-bit PNGs (their high byte is kept)
    bool apply_orientation = true;
    /// The model's input size; JPEGs are decoded at the smallest DCT scale (1/8 to 1) whose result
    /// is still at least twice this in each direction. 0: full size.
    std::uint32_t target_width = 0, target_height = 0;
};

/// Decoded pixels: rows top to bottom, channels interleaved.
struct Pixels {
    std::uint32_t width = 0, height = 0;
    int channels = 0;
    std::vector<std::uint8_t> data;
    std::uint8_t at(std::uint32_t x, std::uint32_t y, int c) const {
        return data[(std::size_t(y) * width + x) * std::size_t(channels) + std::size_t(c)];
    }
};

/// Decodes a frame whose EXIF orientation was `orientation` (1 to 8). A failure says why the
/// frame cannot be used: corrupt or truncated data, over a limit, or a kind the spec refuses.
Result<Pixels> decode_image(std::string_view bytes, int orientation, const DecodeSpec& spec,
                            const ImageLimits& limits = {});

/// The pixels turned upright by an EXIF orientation (5 to 8 swap width and height).
Pixels orient(const Pixels& in, int orientation);

}  // namespace edgectl
