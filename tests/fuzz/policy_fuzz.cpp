// libFuzzer target for the PII policy (ingest --policy FILE). Policy::parse may refuse with Error
// (bad JSON, schema violation, bad regular expression), never with another exception nor a crash.
// A policy it accepts is applied once to a small record, to run each action and redaction; its own
// patterns run on RE2, in time linear in the text whatever the pattern.

#include "ingest/policy.hpp"
#include "util/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace {

const edgectl::Json& sample_record() {
    static const edgectl::Json record = edgectl::Json::parse(
        R"({"operator_email": "a.b@ex.org", "operator_phone": "+41791234567", "badge_id": 7,
            "notes": ["ip 10.0.0.1", {"x": "PAT-123456"}, null, true, 2.5], "": "", "k": "é€𝄞"})");
    return record;
}

bool is_hex_digest(const std::string& s) {
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        auto policy = edgectl::Policy::parse(text, "policy.json", "fuzz-secret");
        if (!is_hex_digest(policy.digest())) __builtin_trap();
        edgectl::Json record = sample_record();
        policy.apply(record);
        if (!record.is_object()) __builtin_trap();
    } catch (const edgectl::Error&) {
        // refused, with a reason
    }
    return 0;
}
