// libFuzzer target for camera frames: image/scrub, then image/decode of what it accepts.
// scrub_image may refuse any input, with a reason, but never crash nor read outside it. What it
// accepts comes out no larger, declares the same header when it is scrubbed again, and is already
// clean: scrubbing is idempotent, so a frame ingested twice is stored under one digest. The
// scrubbed frame is then decoded (TurboJPEG, libspng) as a model would take it, within small
// limits: a result or a reason, never a crash, and pixels of the size the decoder reported.

#include "image/decode.hpp"
#include "image/scrub.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    edgectl::ImageLimits limits;
    limits.max_pixels = 1 << 20;  // the fuzzer's memory, not the product's default
    auto first = edgectl::scrub_image(bytes, limits);
    if (!first) {
        if (first.error().empty()) __builtin_trap();  // a refusal always says why
        return 0;
    }
    if (first->bytes.size() > size) __builtin_trap();
    auto second = edgectl::scrub_image(first->bytes, limits);
    if (!second || second->bytes != first->bytes || !second->removed.empty()) __builtin_trap();
    if (second->info.width != first->info.width || second->info.height != first->info.height ||
        second->info.channels != first->info.channels || second->info.format != first->info.format)
        __builtin_trap();
    auto kept = edgectl::scrub_image(bytes, limits, true);
    if (!kept || kept->bytes != bytes) __builtin_trap();

    edgectl::DecodeSpec spec;
    spec.channels = (size & 1) ? 1 : 3;
    spec.alpha = (size & 2) ? edgectl::DecodeSpec::Alpha::composite : edgectl::DecodeSpec::Alpha::drop;
    spec.target_width = spec.target_height = (size & 4) ? 16 : 0;
    auto pixels = edgectl::decode_image(first->bytes, first->info.orientation, spec, limits);
    if (pixels) {
        if (pixels->channels != spec.channels) __builtin_trap();
        if (pixels->data.size() != std::size_t(pixels->width) * pixels->height * std::size_t(pixels->channels))
            __builtin_trap();
    } else if (pixels.error().empty()) {
        __builtin_trap();
    }
    return 0;
}
