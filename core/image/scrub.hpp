#pragma once
// Camera frames as they arrive: which format the bytes are in (by their magic, not their name), what
// their header declares, and the same image without the metadata that can identify people or places.
//
// A frame can say where and with what it was taken: EXIF (GPS position, camera serial numbers),
// XMP, IPTC, comments, PNG text chunks. scrub_image() drops those segments and chunks and copies
// everything else byte for byte. Pixels are never decoded and encoded again, so nothing of the image
// is lost and the same file always gives the same bytes, and so the same digest. What is kept is
// what decoding needs: a JPEG's coding segments, its JFIF (APP0), ICC profile (APP2) and Adobe
// (APP14, which says how CMYK and YCCK are coded) segments; a PNG's critical chunks and those that
// say how its colours render. Anything else, a vendor's segment or a private chunk, goes: it could
// hold anything. So do JPEG extension segments (JPGn) and whatever follows the image's end; a
// hierarchical JPEG, which no decoder takes, is refused. EXIF's orientation is read before EXIF
// goes, so that the frame can still be turned upright.
//
// It checks structure, not pixels: every segment and chunk within the file, PNG's chunk CRCs, a
// frame header before the image data, an end marker, dimensions and scan counts within limits.
// Corrupt compressed data is found when the frame is decoded.

#include "util/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgectl {

enum class ImageFormat { jpeg, png };

std::string_view to_string(ImageFormat format);

/// What an image's header declares.
struct ImageInfo {
    ImageFormat format = ImageFormat::jpeg;
    std::uint32_t width = 0, height = 0;
    int channels = 0;   ///< JPEG: components (1 gray, 3 colour, 4 CMYK or YCCK); PNG: samples per pixel
    int bit_depth = 0;  ///< bits per sample (a PNG palette's: bits per index)
    bool palette = false, alpha = false;
    bool progressive = false;  ///< a progressive JPEG, or an interlaced PNG
    int orientation = 1;       ///< EXIF orientation, 1 to 8 (1, upright, when none is given)
};

/// What an image may declare before it is refused.
struct ImageLimits {
    std::uint64_t max_pixels = 100'000'000;  ///< width × height
    std::uint64_t max_bytes = std::uint64_t(64) << 20;
    int max_scans = 500;  ///< a JPEG's scans: a progressive image can ask its decoder for thousands
};

struct ScrubbedImage {
    std::string bytes;  ///< the image without its identifying metadata
    ImageInfo info;
    std::vector<std::string> removed;  ///< the kinds dropped, each once, in file order: "EXIF", "PNG tEXt chunk", ...
};

/// The image format of `bytes`, by their first bytes, or why they are not an image edgectl takes.
Result<ImageFormat> sniff_image(std::string_view bytes);

/// Whether the first bytes are those of an image format this knows, taken or not (JPEG, PNG; GIF,
/// BMP, TIFF, WebP, HEIC and AVIF, which sniff_image() refuses by name).
bool is_image_magic(std::string_view first_bytes);

/// `bytes` checked and scrubbed; with keep_metadata (a PII policy that keeps it), checked the same
/// way and kept exactly as they are. A failure says why the image is refused.
Result<ScrubbedImage> scrub_image(std::string_view bytes, const ImageLimits& limits = {}, bool keep_metadata = false);

/// CRC-32 as PNG chunks carry it (ISO 3309, as zlib computes it).
std::uint32_t crc32(std::string_view bytes, std::uint32_t crc = 0);

}  // namespace edgectl
