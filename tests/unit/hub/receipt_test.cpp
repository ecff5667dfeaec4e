#include "hub/receipt.hpp"

#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

namespace {

Receipt sample() {
    Receipt r;
    r.hub = "cloud";
    r.hub_key = "0123456789ABCDEF";
    r.site = "north";
    r.serial = 7;
    r.issued_at = "2026-12-01T00:00:00Z";
    r.landed = {{1, 3, {std::string(64, 'a'), std::string(64, 'b'), std::string(64, 'c')}},
                {5, 5, {std::string(64, 'e')}}};
    r.missing = {{4, 4}};
    r.incomplete_groups = {{"north-000005", 2, {1}}};
    r.refused = {{"north-000009.tar.zst", 9, std::string(64, 'f'), "corrupt", "bad", "2026-12-01T00:00:00Z"}};
    return r;
}

// The sample receipt's document with one change made by edit.
template <typename Edit> std::string edited(Edit edit) {
    Json j = to_json(sample());
    edit(j);
    return j.dump();
}

}  // namespace

TEST_CASE("receipt: what the hub writes, the site reads back", "[hub]") {
    Receipt back = parse_receipt(format_receipt(sample()), "r");
    CHECK(format_receipt(back) == format_receipt(sample()));
    CHECK(*back.tagmanifest(2) == std::string(64, 'b'));
    CHECK(*back.tagmanifest(5) == std::string(64, 'e'));
    CHECK(back.tagmanifest(4) == nullptr);
    CHECK(back.refused.at(0).seq == 9);
}

TEST_CASE("receipt: anything malformed is refused", "[hub]") {
    auto refused = [](const std::string& text) { CHECK_THROWS_AS(parse_receipt(text, "r"), VerifyError); };
    refused("not json");
    refused("[]");
    refused(edited([](Json& j) { j["format"] = "edgectl-receipt/2"; }));
    refused(edited([](Json& j) { j.erase("site"); }));
    refused(edited([](Json& j) { j["serial"] = -1; }));
    refused(edited([](Json& j) { j["serial"] = "7"; }));
    refused(edited([](Json& j) { j["landed"][0]["tagmanifests"].erase(0); }));    // one digest short
    refused(edited([](Json& j) { j["landed"][0]["tagmanifests"][0] = "xyz"; }));  // not a SHA-256
    refused(edited([](Json& j) { j["landed"][1]["first"] = 2; }));                // overlapping ranges
    refused(edited([](Json& j) { j["landed"][0]["first"] = 0; }));                // no sequence 0
    refused(edited([](Json& j) { j["landed"][0]["last"] = 0; }));                 // last below first
    refused(edited([](Json& j) { j["missing"] = Json::array({{{"first", 4}, {"last", 3}}}); }));
    refused(edited([](Json& j) { j["refused"][0]["reason"] = 3; }));
    refused(edited([](Json& j) { j["incomplete_groups"][0].erase("volumes"); }));
}
