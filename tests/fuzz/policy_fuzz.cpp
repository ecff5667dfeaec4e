// libFuzzer target for the PII policy (ingest --policy FILE). Policy::parse may refuse with Error
// (bad JSON, schema violation, bad regular expression), never with another exception nor a crash.
// A policy it accepts is applied once to a small record with short strings, to run each action and
// redaction, unless it has patterns of its own: std::regex runs those by backtracking, and a pattern
// with stacked quantifiers ("(a|b)**********", which ECMAScript rejects but libstdc++ accepts) takes
// time exponential in their number even on a ten-byte string. Policy::parse accepts such patterns;
// that is reported, and EDGECTL_FUZZ_APPLY_PATTERNS=1 applies them anyway.

#include "error.hpp"
#include "policy.hpp"

#include <cstdint>
#include <cstdlib>
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

// True when the (valid) policy text has a redaction with a "pattern" rather than a "preset".
bool has_own_patterns(std::string_view text) {
    std::string why;
    auto doc = edgectl::parse_json(text, why);
    if (!doc || !doc->contains("redact")) return false;
    for (const auto& item : (*doc)["redact"])
        if (item.contains("pattern")) return true;
    return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        auto policy = edgectl::Policy::parse(text, "policy.json", "fuzz-secret");
        if (!is_hex_digest(policy.digest())) __builtin_trap();
        static const bool apply_patterns = std::getenv("EDGECTL_FUZZ_APPLY_PATTERNS") != nullptr;
        if (has_own_patterns(text) && !apply_patterns) return 0;
        edgectl::Json record = sample_record();
        policy.apply(record);
        if (!record.is_object()) __builtin_trap();
    } catch (const edgectl::Error&) {
        // refused, with a reason
    }
    return 0;
}
