#pragma once
// Real JPEG and PNG files for tests, encoded with the same libraries edgectl decodes with.

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <spng.h>
#include <string>
#include <turbojpeg.h>
#include <vector>

namespace edgectl::test {

// A colour gradient: red across, green down, blue constant, so that orientation shows.
inline std::vector<std::uint8_t> gradient(int width, int height, int channels) {
    std::vector<std::uint8_t> p;
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            std::uint8_t rgb[3] = {std::uint8_t(x * 255 / (width - 1)), std::uint8_t(y * 255 / (height - 1)), 96};
            if (channels == 1) p.push_back(rgb[0]);
            if (channels == 3) p.insert(p.end(), rgb, rgb + 3);
            if (channels == 4) {  // CMYK, inverted as Adobe writes it: 255 is no ink
                p.insert(p.end(), rgb, rgb + 3);
                p.push_back(255);
            }
        }
    return p;
}

// A real JPEG of those pixels (TurboJPEG, quality 95).
inline std::string jpeg_of(const std::vector<std::uint8_t>& pixels, int width, int height, int format) {
    std::unique_ptr<void, int (*)(tjhandle)> tj(tjInitCompress(), tjDestroy);
    unsigned char* out = nullptr;
    unsigned long size = 0;
    int subsampling = format == TJPF_GRAY ? TJSAMP_GRAY : TJSAMP_444;
    REQUIRE(tjCompress2(tj.get(), pixels.data(), width, 0, height, format, &out, &size, subsampling, 95, 0) == 0);
    std::string bytes(reinterpret_cast<char*>(out), size);
    tjFree(out);
    return bytes;
}

inline std::string rgb_jpeg(int width, int height) {
    return jpeg_of(gradient(width, height, 3), width, height, TJPF_RGB);
}

// A real PNG (libspng) of 8- or 16-bit samples in the given colour type.
inline std::string png_of(const std::vector<std::uint8_t>& samples, std::uint32_t width, std::uint32_t height,
                          std::uint8_t colour, std::uint8_t depth, const std::vector<std::uint8_t>& palette = {}) {
    std::unique_ptr<spng_ctx, void (*)(spng_ctx*)> ctx(spng_ctx_new(SPNG_CTX_ENCODER), spng_ctx_free);
    spng_set_option(ctx.get(), SPNG_ENCODE_TO_BUFFER, 1);
    spng_ihdr ihdr{width, height, depth, colour, 0, 0, 0};
    spng_set_ihdr(ctx.get(), &ihdr);
    if (!palette.empty()) {
        spng_plte plte{};
        plte.n_entries = std::uint32_t(palette.size() / 3);
        for (std::uint32_t i = 0; i < plte.n_entries; ++i)
            plte.entries[i] = {palette[3 * i], palette[3 * i + 1], palette[3 * i + 2], 0};
        spng_set_plte(ctx.get(), &plte);
    }
    REQUIRE(spng_encode_image(ctx.get(), samples.data(), samples.size(), SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE) == 0);
    std::size_t size = 0;
    int err = 0;
    void* out = spng_get_png_buffer(ctx.get(), &size, &err);
    REQUIRE(out);
    std::string bytes(static_cast<char*>(out), size);
    std::free(out);
    return bytes;
}

}  // namespace edgectl::test
