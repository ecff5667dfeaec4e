#include "image/scrub.hpp"

#include <algorithm>
#include <array>

namespace edgectl {
namespace {

constexpr std::string_view png_signature("\x89PNG\r\n\x1a\n", 8);

std::uint32_t be16(std::string_view b, std::size_t at) {
    return std::uint32_t(static_cast<unsigned char>(b[at])) << 8 | static_cast<unsigned char>(b[at + 1]);
}
std::uint32_t be32(std::string_view b, std::size_t at) { return be16(b, at) << 16 | be16(b, at + 2); }

std::string hex_byte(unsigned value) {
    const char* digits = "0123456789ABCDEF";
    return {digits[(value >> 4) & 15], digits[value & 15]};
}

Failure too_large(const ImageInfo& info, const ImageLimits& limits) {
    return fail("declares " + std::to_string(info.width) + "×" + std::to_string(info.height) +
                " pixels, over the limit of " + std::to_string(limits.max_pixels));
}

bool within(const ImageInfo& info, const ImageLimits& limits) {
    return std::uint64_t(info.width) * info.height <= limits.max_pixels;
}

// The orientation (tag 0x0112) in EXIF's first directory, from a TIFF structure ("II*\0" or
// "MM\0*"); 1 when it is absent or makes no sense.
int exif_orientation(std::string_view tiff) {
    if (tiff.size() < 8) return 1;
    bool little = tiff.substr(0, 4) == std::string_view("II*\0", 4);
    if (!little && tiff.substr(0, 4) != std::string_view("MM\0*", 4)) return 1;
    auto u16 = [&](std::size_t at) {
        std::uint32_t v = be16(tiff, at);
        return little ? ((v & 0xFF) << 8 | v >> 8) : v;
    };
    auto u32 = [&](std::size_t at) { return little ? (u16(at + 2) << 16 | u16(at)) : (u16(at) << 16 | u16(at + 2)); };
    std::uint64_t ifd = u32(4);
    if (ifd + 2 > tiff.size()) return 1;
    std::uint32_t entries = u16(ifd);
    for (std::uint32_t i = 0; i < entries; ++i) {
        std::uint64_t at = ifd + 2 + std::uint64_t(i) * 12;
        if (at + 12 > tiff.size()) return 1;
        if (u16(at) != 0x0112) continue;
        std::uint32_t value = u16(at + 8);
        bool shape = u16(at + 2) == 3 && u32(at + 4) == 1;  // one SHORT
        return shape && value >= 1 && value <= 8 ? int(value) : 1;
    }
    return 1;
}

// What a JPEG APPn or COM segment is, by its marker and its first bytes; kept says whether decoding
// needs it.
struct SegmentKind {
    std::string name;
    bool kept = false;
};

SegmentKind jpeg_segment_kind(unsigned marker, std::string_view body) {
    auto starts = [&](std::string_view tag) { return body.substr(0, tag.size()) == tag; };
    if (marker == 0xFE) return {"comment", false};
    if (marker == 0xE0) {
        // JFIF: 14 bytes, then a thumbnail of exactly the size it declares; anything else could
        // carry other bytes, and goes.
        bool jfif = starts(std::string_view("JFIF\0", 5)) && body.size() >= 14 &&
                    body.size() == 14 + 3 * std::size_t(static_cast<unsigned char>(body[12])) *
                                            static_cast<unsigned char>(body[13]);
        return jfif ? SegmentKind{"JFIF", true} : SegmentKind{"APP0", false};
    }
    if (marker == 0xE1)
        return {starts(std::string_view("Exif\0", 5)) ? "EXIF"
                : starts("http://ns.adobe.com/xap/")  ? "XMP"
                                                      : "APP1",
                false};
    if (marker == 0xE2)
        return starts(std::string_view("ICC_PROFILE\0", 12)) ? SegmentKind{"ICC profile", true}
                                                             : SegmentKind{"APP2", false};
    if (marker == 0xED) return {"IPTC", false};
    if (marker == 0xEE)  // Adobe's 12 bytes say how CMYK and YCCK are coded
        return starts("Adobe") && body.size() == 12 ? SegmentKind{"Adobe", true} : SegmentKind{"APP14", false};
    return {"APP" + std::to_string(marker - 0xE0), false};
}

// Records what was dropped, each kind once (a hostile file can hold millions of empty segments).
void note_removed(std::vector<std::string>& removed, std::string kind) {
    if (std::find(removed.begin(), removed.end(), kind) == removed.end()) removed.push_back(std::move(kind));
}

bool is_frame_header(unsigned m) { return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC; }

Result<ScrubbedImage> scrub_jpeg(std::string_view b, const ImageLimits& limits) {
    ScrubbedImage out;
    out.info.format = ImageFormat::jpeg;
    out.bytes.reserve(b.size());
    out.bytes.append(b.substr(0, 2));  // SOI
    bool frame = false;
    int scans = 0;
    std::size_t at = 2;
    for (;;) {
        // A marker: 0xFF, any number of 0xFF fill bytes, then its code.
        if (at >= b.size()) return fail("truncated: it ends before its end-of-image marker");
        if (static_cast<unsigned char>(b[at]) != 0xFF)
            return fail("corrupt: byte " + std::to_string(at) + " should start a marker");
        while (at < b.size() && static_cast<unsigned char>(b[at]) == 0xFF)
            ++at;
        if (at >= b.size()) return fail("truncated: it ends before its end-of-image marker");
        unsigned marker = static_cast<unsigned char>(b[at++]);
        if (marker == 0xD9) {  // EOI
            if (!scans) return fail("corrupt: it ends before any image data");
            out.bytes.append("\xFF\xD9", 2);
            if (at < b.size()) note_removed(out.removed, "data after the end of the image");
            break;
        }
        if (marker == 0x00 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01)
            return fail("corrupt: unexpected marker FF" + hex_byte(marker) + " at byte " + std::to_string(at - 2));
        if (at + 2 > b.size()) return fail("truncated: it ends inside a segment");
        std::size_t length = be16(b, at);
        if (length < 2)
            return fail("corrupt: a segment of length " + std::to_string(length) + " at byte " + std::to_string(at));
        if (at + length > b.size()) return fail("truncated: it ends inside a segment");
        std::string_view body = b.substr(at + 2, length - 2);
        std::string_view segment = b.substr(at - 2, length + 2);  // from the marker's 0xFF
        at += length;
        if ((marker >= 0xE0 && marker <= 0xEF) || marker == 0xFE) {
            SegmentKind kind = jpeg_segment_kind(marker, body);
            if (kind.name == "EXIF" && out.info.orientation == 1 && body.size() > 6)
                out.info.orientation = exif_orientation(body.substr(6));
            if (kind.kept) {
                out.bytes.append(segment);
            } else {
                note_removed(out.removed, kind.name);
            }
            continue;
        }
        if (marker >= 0xF0 && marker <= 0xFD) {  // JPGn: reserved for extensions no decoder reads
            note_removed(out.removed, "JPEG extension segment");
            continue;
        }
        if (marker == 0xDE || marker == 0xDF) return fail("a hierarchical JPEG, which decoders do not take");
        out.bytes.append(segment);
        if (is_frame_header(marker)) {
            if (frame) return fail("corrupt: more than one frame header");
            if (body.size() < 6) return fail("corrupt: a frame header too short");
            frame = true;
            out.info.bit_depth = static_cast<unsigned char>(body[0]);
            out.info.height = be16(body, 1);
            out.info.width = be16(body, 3);
            out.info.channels = static_cast<unsigned char>(body[5]);
            out.info.progressive = marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE;
            if (out.info.width == 0 || out.info.height == 0)
                return fail("declares a size of " + std::to_string(out.info.width) + "×" +
                            std::to_string(out.info.height) + " pixels");
            if (!within(out.info, limits)) return too_large(out.info, limits);
            continue;
        }
        if (marker != 0xDA) continue;
        // A scan: its header, then entropy-coded data up to the next marker that is neither a
        // stuffed 0xFF00 nor a restart marker.
        if (!frame) return fail("corrupt: image data before the frame header");
        if (++scans > limits.max_scans)
            return fail("has more than " + std::to_string(limits.max_scans) +
                        " scans, beyond what a decoder is asked to run");
        std::size_t data = at;
        for (;;) {
            if (at + 1 >= b.size()) return fail("truncated: it ends inside its image data");
            if (static_cast<unsigned char>(b[at]) != 0xFF) {
                ++at;
                continue;
            }
            unsigned next = static_cast<unsigned char>(b[at + 1]);
            if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
                at += 2;
                continue;
            }
            if (next == 0xFF) {  // fill before a marker
                ++at;
                continue;
            }
            break;
        }
        out.bytes.append(b.substr(data, at - data));
    }
    return out;
}

// PNG chunks that decoding and rendering need; any other ancillary chunk goes.
// Those of a fixed size must have it: a longer one could carry other bytes.
enum class ChunkVerdict { kept, wrong_size, unknown };

ChunkVerdict kept_chunk(std::string_view type, std::size_t size) {
    struct Kept {
        std::string_view type;
        std::size_t min, max;
    };
    static constexpr std::array<Kept, 12> kept = {{{"IHDR", 13, 13},
                                                   {"PLTE", 3, 768},
                                                   {"IDAT", 0, SIZE_MAX},
                                                   {"IEND", 0, 0},
                                                   {"tRNS", 1, 256},
                                                   {"gAMA", 4, 4},
                                                   {"cHRM", 32, 32},
                                                   {"sRGB", 1, 1},
                                                   {"iCCP", 3, SIZE_MAX},
                                                   {"sBIT", 1, 4},
                                                   {"bKGD", 1, 6},
                                                   {"pHYs", 9, 9}}};
    for (const auto& k : kept)
        if (k.type == type) return size >= k.min && size <= k.max ? ChunkVerdict::kept : ChunkVerdict::wrong_size;
    return ChunkVerdict::unknown;
}

Result<void> png_header(std::string_view ihdr, ImageInfo& info) {
    if (ihdr.size() != 13)
        return fail("corrupt: its header chunk is " + std::to_string(ihdr.size()) + " bytes, not 13");
    info.width = be32(ihdr, 0);
    info.height = be32(ihdr, 4);
    info.bit_depth = static_cast<unsigned char>(ihdr[8]);
    unsigned colour = static_cast<unsigned char>(ihdr[9]);
    if (info.width == 0 || info.height == 0 || info.width > 0x7FFFFFFFu || info.height > 0x7FFFFFFFu)
        return fail("declares a size of " + std::to_string(info.width) + "×" + std::to_string(info.height) + " pixels");
    auto depth_in = [&](std::initializer_list<int> depths) {
        for (int d : depths)
            if (d == info.bit_depth) return true;
        return false;
    };
    bool valid = false;
    switch (colour) {
    case 0: info.channels = 1, valid = depth_in({1, 2, 4, 8, 16}); break;
    case 2: info.channels = 3, valid = depth_in({8, 16}); break;
    case 3: info.channels = 1, info.palette = true, valid = depth_in({1, 2, 4, 8}); break;
    case 4: info.channels = 2, info.alpha = true, valid = depth_in({8, 16}); break;
    case 6: info.channels = 4, info.alpha = true, valid = depth_in({8, 16}); break;
    default: break;
    }
    if (!valid)
        return fail("corrupt: colour type " + std::to_string(colour) + " with " + std::to_string(info.bit_depth) +
                    "-bit samples");
    if (ihdr[10] != 0 || ihdr[11] != 0 || static_cast<unsigned char>(ihdr[12]) > 1)
        return fail("corrupt: unknown compression, filter or interlace method");
    info.progressive = ihdr[12] == 1;
    return {};
}

Result<ScrubbedImage> scrub_png(std::string_view b, const ImageLimits& limits) {
    ScrubbedImage out;
    out.info.format = ImageFormat::png;
    out.bytes.reserve(b.size());
    out.bytes.append(png_signature);
    std::size_t at = png_signature.size();
    bool header = false, palette = false, data = false;
    for (;;) {
        if (at + 12 > b.size()) return fail("truncated: it ends before its IEND chunk");
        std::uint32_t length = be32(b, at);
        std::string_view type = b.substr(at + 4, 4);
        if (length > 0x7FFFFFFFu || at + 12 + std::uint64_t(length) > b.size())
            return fail("truncated: it ends inside its chunk " + std::string(type));
        for (char c : type)
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
                return fail("corrupt: a chunk type that is not 4 letters");
        std::string_view chunk = b.substr(at, 12 + std::size_t(length));
        std::string_view body = b.substr(at + 8, length);
        if (crc32(b.substr(at + 4, 4 + std::size_t(length))) != be32(b, at + 8 + length))
            return fail("corrupt: the CRC of its " + std::string(type) + " chunk does not match");
        at += chunk.size();
        if (!header && type != "IHDR") return fail("corrupt: its first chunk is " + std::string(type) + ", not IHDR");
        if (type == "IHDR") {
            if (header) return fail("corrupt: more than one IHDR chunk");
            header = true;
            if (auto ok = png_header(body, out.info); !ok) return fail(ok.error());
            if (!within(out.info, limits)) return too_large(out.info, limits);
        }
        palette = palette || type == "PLTE";
        if (type == "IDAT") data = true;
        if (type == "eXIf" && out.info.orientation == 1) out.info.orientation = exif_orientation(body);
        bool critical = type[0] >= 'A' && type[0] <= 'Z';
        ChunkVerdict verdict = kept_chunk(type, body.size());
        if (verdict == ChunkVerdict::kept) {
            out.bytes.append(chunk);
        } else if (critical && verdict == ChunkVerdict::wrong_size) {
            return fail("corrupt: its " + std::string(type) + " chunk is " + std::to_string(body.size()) + " bytes");
        } else if (critical) {
            return fail("has a critical chunk " + std::string(type) + " that PNG decoders do not know");
        } else {
            note_removed(out.removed, "PNG " + std::string(type) + " chunk");
        }
        if (type == "IEND") break;
    }
    if (!data) return fail("corrupt: it has no image data (IDAT)");
    if (out.info.palette && !palette) return fail("corrupt: a palette image without its palette (PLTE)");
    if (at < b.size()) note_removed(out.removed, "data after the end of the image");
    return out;
}

}  // namespace

std::string_view to_string(ImageFormat format) { return format == ImageFormat::png ? "png" : "jpeg"; }

std::uint32_t crc32(std::string_view bytes, std::uint32_t crc) {
    static const std::array<std::uint32_t, 256> table = [] {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t n = 0; n < 256; ++n) {
            std::uint32_t c = n;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }();
    crc = ~crc;
    for (char ch : bytes)
        crc = table[(crc ^ static_cast<unsigned char>(ch)) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

namespace {

// The image format the first bytes are of, by name, taken or not; empty when none.
std::string_view magic_of(std::string_view b) {
    auto starts = [&](std::string_view magic) { return b.substr(0, magic.size()) == magic; };
    if (starts("\xFF\xD8\xFF")) return "JPEG";
    if (starts(png_signature)) return "PNG";
    if (starts("GIF87a") || starts("GIF89a")) return "a GIF image";
    if (starts("BM") && b.size() >= 14 && b.substr(6, 4) == std::string_view("\0\0\0\0", 4)) return "a BMP image";
    if (starts(std::string_view("II*\0", 4)) || starts(std::string_view("MM\0*", 4))) return "a TIFF image";
    if (starts("RIFF") && b.size() >= 12 && b.substr(8, 4) == "WEBP") return "a WebP image";
    if (b.size() >= 12 && b.substr(4, 4) == "ftyp") return "an ISO media file (HEIC, AVIF or video)";
    return {};
}

}  // namespace

bool is_image_magic(std::string_view first_bytes) { return !magic_of(first_bytes).empty(); }

Result<ImageFormat> sniff_image(std::string_view b) {
    if (b.empty()) return fail("an empty file");
    std::string_view magic = magic_of(b);
    if (magic == "JPEG") return ImageFormat::jpeg;
    if (magic == "PNG") return ImageFormat::png;
    if (!magic.empty()) return fail(std::string(magic) + ": only JPEG and PNG frames are taken");
    return fail("not a JPEG or PNG image (its first bytes are neither's)");
}

Result<ScrubbedImage> scrub_image(std::string_view bytes, const ImageLimits& limits, bool keep_metadata) {
    if (bytes.size() > limits.max_bytes)
        return fail("is " + std::to_string(bytes.size()) + " bytes, over the limit of " +
                    std::to_string(limits.max_bytes));
    auto format = sniff_image(bytes);
    if (!format) return fail(format.error());
    auto image = *format == ImageFormat::jpeg ? scrub_jpeg(bytes, limits) : scrub_png(bytes, limits);
    if (image && keep_metadata) {  // checked the same way, kept as it came
        image->bytes.assign(bytes);
        image->removed.clear();
    }
    return image;
}

}  // namespace edgectl
