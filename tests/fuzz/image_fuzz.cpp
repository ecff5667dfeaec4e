// libFuzzer target for camera frames (image/scrub). scrub_image may refuse any input, with a
// reason, but never crash nor read outside it. What it accepts comes out no larger, declares the
// same header when it is scrubbed again, and is already clean: scrubbing is idempotent, so a frame
// ingested twice is stored under one digest.

#include "image/scrub.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    auto first = edgectl::scrub_image(bytes);
    if (!first) {
        if (first.error().empty()) __builtin_trap();  // a refusal always says why
        return 0;
    }
    if (first->bytes.size() > size) __builtin_trap();
    auto second = edgectl::scrub_image(first->bytes);
    if (!second || second->bytes != first->bytes || !second->removed.empty()) __builtin_trap();
    if (second->info.width != first->info.width || second->info.height != first->info.height ||
        second->info.channels != first->info.channels || second->info.format != first->info.format)
        __builtin_trap();
    auto kept = edgectl::scrub_image(bytes, {}, true);
    if (!kept || kept->bytes != bytes) __builtin_trap();
    return 0;
}
