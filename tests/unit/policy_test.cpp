#include "policy.hpp"

#include "error.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

namespace {
Policy presets() {
    return Policy::parse(R"({"schema_version": 1, "redact": [{"preset": "email"}, {"preset": "phone"}, {"preset": "ipv4"}]})",
                         "p", "secret");
}
std::string scrub(const Policy& p, const std::string& text) {
    Json j = {{"t", text}};
    p.apply(j);
    return j["t"];
}
} // namespace

TEST_CASE("policy: presets redact addresses and phone numbers, not dates, times or measurements") {
    Policy p = presets();
    CHECK(scrub(p, "mail ana.b+x@lab.example.org now") == "mail [email] now");
    CHECK(scrub(p, "call +44 7700 900123 or (555) 010-9999") == "call [phone] or [phone]");
    CHECK(scrub(p, "host 10.0.0.17 down") == "host [ip] down");
    CHECK(scrub(p, "taken 2026-11-20T06:00:00Z") == "taken 2026-11-20T06:00:00Z");
    CHECK(scrub(p, "pH 7.25, 13.1 g/l, batch 4411") == "pH 7.25, 13.1 g/l, batch 4411");
}

TEST_CASE("policy: hash, mask, drop, allowlist") {
    Policy p = Policy::parse(R"({"schema_version": 1, "fields": {"e": {"action": "hash"}, "m": {"action": "mask", "keep_last": 2},
                                  "d": {"action": "drop"}}})", "p", "secret");
    Json j = {{"e", "a@b.c"}, {"m", "héllo"}, {"d", 1}, {"k", "keep"}};
    p.apply(j);
    CHECK(j["e"] == p.keyed_hash("a@b.c"));
    CHECK(j["e"] != Policy::parse(R"({"schema_version": 1})", "p", "other secret").keyed_hash("a@b.c"));
    CHECK(j["m"] == "***lo");
    CHECK_FALSE(j.contains("d"));
    CHECK(j["k"] == "keep");
    Policy allow = Policy::parse(R"({"schema_version": 1, "mode": "allowlist", "fields": {"k": {"action": "keep"}}})", "p", "s");
    Json a = {{"k", 1}, {"x", 2}};
    allow.apply(a);
    CHECK(a == Json({{"k", 1}}));
    CHECK_THROWS_AS(Policy::parse(R"({"schema_version": 1, "redact": [{"pattern": "("}]})", "p", "s"), Error);
}
