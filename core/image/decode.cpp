#include "image/decode.hpp"

#include <memory>
#include <spng.h>
#include <turbojpeg.h>

namespace edgectl {
namespace {

std::uint8_t luma(unsigned r, unsigned g, unsigned b) {
    return std::uint8_t((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
}

bool too_many_pixels(std::uint64_t width, std::uint64_t height, const ImageLimits& limits) {
    return width * height > limits.max_pixels;
}

Failure over_limit(std::uint64_t width, std::uint64_t height, const ImageLimits& limits) {
    return fail("declares " + std::to_string(width) + "×" + std::to_string(height) + " pixels, over the limit of " +
                std::to_string(limits.max_pixels));
}

// The smallest DCT scale at which the frame, once upright, still covers twice the target.
tjscalingfactor jpeg_scale(int width, int height, bool swapped, const DecodeSpec& spec) {
    tjscalingfactor best{1, 1};
    if (spec.target_width == 0 || spec.target_height == 0) return best;
    std::uint64_t need_w = 2 * std::uint64_t(swapped ? spec.target_height : spec.target_width);
    std::uint64_t need_h = 2 * std::uint64_t(swapped ? spec.target_width : spec.target_height);
    int n = 0;
    tjscalingfactor* factors = tjGetScalingFactors(&n);
    for (int i = 0; factors && i < n; ++i) {
        tjscalingfactor f = factors[i];
        if (f.num > f.denom) continue;  // never enlarge
        std::uint64_t w = std::uint64_t(TJSCALED(width, f)), h = std::uint64_t(TJSCALED(height, f));
        if (w >= need_w && h >= need_h &&
            w * h < std::uint64_t(TJSCALED(width, best)) * std::uint64_t(TJSCALED(height, best)))
            best = f;
    }
    return best;
}

Result<Pixels> decode_jpeg(std::string_view bytes, bool swapped, const DecodeSpec& spec, const ImageLimits& limits) {
    std::unique_ptr<void, int (*)(tjhandle)> tj(tjInitDecompress(), tjDestroy);
    if (!tj) return fail("cannot start a JPEG decoder");
    auto data = reinterpret_cast<const unsigned char*>(bytes.data());
    int width = 0, height = 0, subsampling = 0, colourspace = 0;
    if (tjDecompressHeader3(tj.get(), data, bytes.size(), &width, &height, &subsampling, &colourspace) != 0)
        return fail("corrupt: " + std::string(tjGetErrorStr2(tj.get())));
    if (too_many_pixels(std::uint64_t(width), std::uint64_t(height), limits))
        return over_limit(std::uint64_t(width), std::uint64_t(height), limits);
    bool cmyk = colourspace == TJCS_CMYK || colourspace == TJCS_YCCK;
    if (cmyk && !spec.accept_cmyk) return fail("a CMYK JPEG, which this model does not take");
    if (!spec.accept_gray && (colourspace == TJCS_GRAY) != (spec.channels == 1))
        return fail(colourspace == TJCS_GRAY ? "a gray JPEG, which this colour model does not take"
                                             : "a colour JPEG, which this gray model does not take");
    tjscalingfactor scale = jpeg_scale(width, height, swapped, spec);
    Pixels out;
    out.width = std::uint32_t(TJSCALED(width, scale));
    out.height = std::uint32_t(TJSCALED(height, scale));
    int format = cmyk ? TJPF_CMYK : spec.channels == 1 ? TJPF_GRAY : TJPF_RGB;
    out.channels = tjPixelSize[format];
    out.data.resize(std::size_t(out.width) * out.height * std::size_t(out.channels));
    int flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS;
    if (tjDecompress2(tj.get(), data, bytes.size(), out.data.data(), int(out.width), 0, int(out.height), format,
                      flags) != 0)
        return fail("corrupt: " + std::string(tjGetErrorStr2(tj.get())));
    if (!cmyk) return out;
    // Adobe writes CMYK inverted (0 is full ink): each colour is its ink times the black.
    Pixels rgb{out.width, out.height, spec.channels, {}};
    rgb.data.reserve(std::size_t(out.width) * out.height * std::size_t(spec.channels));
    for (std::size_t i = 0; i + 3 < out.data.size(); i += 4) {
        unsigned k = out.data[i + 3];
        unsigned r = out.data[i] * k / 255, g = out.data[i + 1] * k / 255, b = out.data[i + 2] * k / 255;
        if (spec.channels == 1) {
            rgb.data.push_back(luma(r, g, b));
        } else {
            rgb.data.push_back(std::uint8_t(r));
            rgb.data.push_back(std::uint8_t(g));
            rgb.data.push_back(std::uint8_t(b));
        }
    }
    return rgb;
}

Result<Pixels> decode_png(std::string_view bytes, const DecodeSpec& spec, const ImageLimits& limits) {
    std::unique_ptr<spng_ctx, void (*)(spng_ctx*)> ctx(spng_ctx_new(0), spng_ctx_free);
    if (!ctx) return fail("cannot start a PNG decoder");
    auto why = [](int err) { return fail("corrupt: " + std::string(spng_strerror(err))); };
    spng_set_image_limits(ctx.get(), 1u << 24, 1u << 24);
    spng_set_chunk_limits(ctx.get(), std::size_t(limits.max_bytes), std::size_t(limits.max_bytes));
    if (int err = spng_set_png_buffer(ctx.get(), bytes.data(), bytes.size())) return why(err);
    spng_ihdr ihdr{};
    if (int err = spng_get_ihdr(ctx.get(), &ihdr)) return why(err);
    if (too_many_pixels(ihdr.width, ihdr.height, limits)) return over_limit(ihdr.width, ihdr.height, limits);
    if (ihdr.bit_depth == 16 && !spec.accept_16bit) return fail("a 16-bit PNG, which this model does not take");
    bool gray = ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE || ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE_ALPHA;
    if (!spec.accept_gray && gray != (spec.channels == 1))
        return fail(gray ? "a gray PNG, which this colour model does not take"
                         : "a colour PNG, which this gray model does not take");
    // A non-interlaced PNG is decoded a row at a time into the output: the peak is the output and
    // one RGBA row, not a whole RGBA copy beside it (for a 100 MP frame, 300 MB rather than 700).
    const bool by_row = ihdr.interlace_method == SPNG_INTERLACE_NONE;
    std::size_t size = 0;
    if (int err = spng_decoded_image_size(ctx.get(), SPNG_FMT_RGBA8, &size)) return why(err);
    std::vector<std::uint8_t> rgba(by_row ? std::size_t(ihdr.width) * 4 : size);
    int flags = SPNG_DECODE_TRNS | (by_row ? SPNG_DECODE_PROGRESSIVE : 0);
    if (int err = spng_decode_image(ctx.get(), by_row ? nullptr : rgba.data(), by_row ? 0 : rgba.size(), SPNG_FMT_RGBA8,
                                    flags))
        return why(err);
    spng_trns trns{};
    bool alpha = ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE_ALPHA ||
                 ihdr.color_type == SPNG_COLOR_TYPE_TRUECOLOR_ALPHA || spng_get_trns(ctx.get(), &trns) == 0;
    if (alpha && spec.alpha == DecodeSpec::Alpha::refuse)
        return fail("has transparency, which this model does not take");
    bool composite = alpha && spec.alpha == DecodeSpec::Alpha::composite;
    Pixels out{ihdr.width, ihdr.height, spec.channels, {}};
    out.data.reserve(std::size_t(ihdr.width) * ihdr.height * std::size_t(spec.channels));
    auto append = [&](const std::uint8_t* px, std::size_t bytes_of_rgba) {
        for (std::size_t i = 0; i + 3 < bytes_of_rgba; i += 4) {
            unsigned c[3] = {px[i], px[i + 1], px[i + 2]};
            if (composite)
                for (auto& v : c)
                    v = (v * px[i + 3] + unsigned(spec.background) * (255u - px[i + 3]) + 127) / 255;
            if (spec.channels == 1) {
                out.data.push_back(luma(c[0], c[1], c[2]));
            } else {
                for (unsigned v : c)
                    out.data.push_back(std::uint8_t(v));
            }
        }
    };
    if (!by_row) {
        append(rgba.data(), rgba.size());
        return out;
    }
    // spng_decode_row answers SPNG_EOI for the last row, which it has decoded.
    for (std::uint32_t row = 0; row < ihdr.height; ++row) {
        int err = spng_decode_row(ctx.get(), rgba.data(), rgba.size());
        if (err != 0 && !(err == SPNG_EOI && row + 1 == ihdr.height)) return why(err);
        append(rgba.data(), rgba.size());
    }
    return out;
}

}  // namespace

Pixels orient(const Pixels& in, int orientation) {
    if (orientation < 2 || orientation > 8) return in;
    bool swap = orientation >= 5;
    Pixels out{swap ? in.height : in.width, swap ? in.width : in.height, in.channels, {}};
    out.data.resize(in.data.size());
    const std::uint32_t w = in.width, h = in.height;
    for (std::uint32_t dy = 0; dy < out.height; ++dy)
        for (std::uint32_t dx = 0; dx < out.width; ++dx) {
            std::uint32_t sx = dx, sy = dy;
            switch (orientation) {
            case 2: sx = w - 1 - dx; break;
            case 3: sx = w - 1 - dx, sy = h - 1 - dy; break;
            case 4: sy = h - 1 - dy; break;
            case 5: sx = dy, sy = dx; break;
            case 6: sx = dy, sy = h - 1 - dx; break;
            case 7: sx = w - 1 - dy, sy = h - 1 - dx; break;
            default: sx = w - 1 - dy, sy = dx; break;  // 8
            }
            for (int c = 0; c < in.channels; ++c)
                out.data[(std::size_t(dy) * out.width + dx) * std::size_t(in.channels) + std::size_t(c)] =
                    in.at(sx, sy, c);
        }
    return out;
}

Result<Pixels> decode_image(std::string_view bytes, int orientation, const DecodeSpec& spec,
                            const ImageLimits& limits) {
    if (spec.channels != 1 && spec.channels != 3) return fail("a model takes 1 or 3 channels");
    auto format = sniff_image(bytes);
    if (!format) return fail(format.error());
    int upright = spec.apply_orientation ? orientation : 1;
    auto pixels =
        *format == ImageFormat::jpeg ? decode_jpeg(bytes, upright >= 5, spec, limits) : decode_png(bytes, spec, limits);
    if (!pixels || upright == 1) return pixels;
    return orient(*pixels, upright);
}

}  // namespace edgectl
