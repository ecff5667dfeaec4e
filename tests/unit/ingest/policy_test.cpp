#include "ingest/policy.hpp"

#include "util/error.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <regex>

using namespace edgectl;

namespace {
Policy presets() {
    return Policy::parse(
        R"({"schema_version": 1, "redact": [{"preset": "email"}, {"preset": "phone"}, {"preset": "ipv4"}]})", "p",
        "secret");
}
std::regex preset_regex(Preset preset) { return std::regex(std::string(preset_pattern(preset))); }
// A policy that runs `pattern` as a pattern of its own (on RE2).
Policy with_pattern(std::string_view pattern, std::string_view replacement = "[redacted]") {
    return Policy::parse(R"({"schema_version": 1, "redact": [{"pattern": )" + Json(pattern).dump() +
                             R"(, "replacement": )" + Json(replacement).dump() + "}]}",
                         "p.json", "secret");
}
// The one value of a record {"t": text} once scrubbed (its key may be redacted too).
std::string scrub(const Policy& p, const std::string& text) {
    Json j = {{"t", text}};
    p.apply(j);
    return j.begin().value();
}
}  // namespace

TEST_CASE("policy: presets redact addresses and phone numbers, not dates, times or measurements") {
    Policy p = presets();
    CHECK(scrub(p, "mail ana.b+x@lab.example.org now") == "mail [email] now");
    CHECK(scrub(p, "call +44 7700 900123 or (555) 010-9999") == "call [phone] or [phone]");
    CHECK(scrub(p, "host 10.0.0.17 down") == "host [ip] down");
    CHECK(scrub(p, "taken 2026-11-20T06:00:00Z") == "taken 2026-11-20T06:00:00Z");
    CHECK(scrub(p, "pH 7.25, 13.1 g/l, batch 4411") == "pH 7.25, 13.1 g/l, batch 4411");
}

TEST_CASE("policy: hash, mask, drop, allowlist") {
    Policy p = Policy::parse(
        R"({"schema_version": 1, "fields": {"e": {"action": "hash"}, "m": {"action": "mask", "keep_last": 2},
                                  "d": {"action": "drop"}}})",
        "p", "secret");
    Json j = {{"e", "a@b.c"}, {"m", "héllo"}, {"d", 1}, {"k", "keep"}};
    p.apply(j);
    CHECK(j["e"] == p.keyed_hash("a@b.c"));
    CHECK(j["e"] != Policy::parse(R"({"schema_version": 1})", "p", "other secret").keyed_hash("a@b.c"));
    CHECK(j["m"] == "***lo");
    CHECK_FALSE(j.contains("d"));
    CHECK(j["k"] == "keep");
    Policy allow =
        Policy::parse(R"({"schema_version": 1, "mode": "allowlist", "fields": {"k": {"action": "keep"}}})", "p", "s");
    Json a = {{"k", 1}, {"x", 2}};
    allow.apply(a);
    CHECK(a == Json({{"k", 1}}));
    CHECK_THROWS_AS(Policy::parse(R"({"schema_version": 1, "redact": [{"pattern": "("}]})", "p", "s"), Error);
}

namespace {

constexpr Preset all_presets[] = {Preset::email, Preset::phone, Preset::ipv4};

// Strings made to exercise the presets' edge cases: runs of 8, 9, 15, 16 digits, near-miss e-mails,
// phone numbers and addresses, matches next to each other, multi-byte UTF-8. Deterministic: the
// engine's output is fixed by the standard, and only % is applied to it.
class Generator {
  public:
    std::string next() {
        std::string s;
        for (std::size_t tokens = 1 + pick(12); tokens > 0; --tokens)
            s += token();
        return s;
    }

  private:
    std::size_t pick(std::size_t n) { return rng_() % n; }
    char one_of(std::string_view chars) { return chars[pick(chars.size())]; }
    std::string run(std::string_view chars, std::size_t min, std::size_t max) {
        std::string s;
        for (std::size_t n = min + pick(max - min + 1); n > 0; --n)
            s += one_of(chars);
        return s;
    }

    std::string token() {
        static constexpr std::string_view digits = "0123456789", letters = "abcxyzQZ";
        static constexpr std::size_t digit_runs[] = {1, 2, 3, 4, 7, 8, 9, 10, 14, 15, 16, 17, 24, 30};
        switch (pick(9)) {
        case 0: return run("aZ09_.-+@()% ,:/\t", 1, 4);
        case 1: return {one_of("@.-+( )"), one_of("@.-+( )")};
        case 2: return std::string(utf8_[pick(std::size(utf8_))]);
        case 3: {
            std::size_t length = digit_runs[pick(std::size(digit_runs))];
            return run(digits, length, length + 1);
        }
        case 4: return email(letters, digits);
        case 5:
        case 6: return phone(digits);
        default: return ipv4(digits);
        }
    }

    std::string email(std::string_view letters, std::string_view digits) {
        std::string s = run("ab.x_%+-9", 0, 5) + (pick(8) ? "@" : "");
        for (std::size_t labels = pick(4); labels > 0; --labels) {
            s += pick(2) ? run(letters, 1, 4) : run("ab-9", 0, 3);
            if (pick(3)) s += pick(6) ? "." : "..";
        }
        s += pick(2) ? run(letters, 0, 4) : run(letters, 1, 2) + one_of(digits);
        if (pick(4) == 0) s += one_of("-9._@");
        return s;
    }

    std::string phone(std::string_view digits) {
        std::string s = pick(3) ? "" : "+";
        if (pick(3) == 0) s += '(';
        for (std::size_t groups = 1 + pick(8); groups > 0; --groups) {
            s += run(digits, 1, 4);
            s += run(" ().-", 0, pick(5) ? 2 : 3);
        }
        return s;
    }

    std::string ipv4(std::string_view digits) {
        static constexpr std::string_view before[] = {"a", "_", "9", ".", "-", "\u00e9"};
        std::string s = pick(4) ? "" : std::string(before[pick(std::size(before))]);
        for (std::size_t numbers = 3 + pick(3); numbers > 0; --numbers) {
            s += run(digits, 1, pick(6) ? 3 : 4);
            if (numbers > 1) s += pick(10) ? "." : "..";
        }
        if (pick(3) == 0) s += one_of("a_9.- ");
        return s;
    }

    std::mt19937 rng_{20261122};
    static constexpr std::string_view utf8_[] = {"\u00e9", "\u20ac", "\U0001F600", "\u0661", "\xff"};
};

// Each preset with its default replacement, as std::regex_replace would apply them one after another.
std::string via_regex(std::string text) {
    const std::pair<Preset, const char*> chain[] = {
        {Preset::email, "[email]"}, {Preset::phone, "[phone]"}, {Preset::ipv4, "[ip]"}};
    for (const auto& [preset, replacement] : chain)
        text = std::regex_replace(text, preset_regex(preset), replacement);
    return text;
}

}  // namespace

TEST_CASE("policy: each preset scanner gives what std::regex_replace and RE2 give, on generated strings") {
    constexpr int strings = 20000;
    const std::regex regexes[] = {preset_regex(Preset::email), preset_regex(Preset::phone), preset_regex(Preset::ipv4)};
    // The same patterns as a policy's own, which run on RE2 (as a preset does with a '$' format).
    const Policy on_re2[] = {with_pattern(preset_pattern(Preset::email), "<R>"),
                             with_pattern(preset_pattern(Preset::phone), "<R>"),
                             with_pattern(preset_pattern(Preset::ipv4), "<R>")};
    Policy p = presets();
    Generator generator;
    int compared = 0, changed = 0, mismatches = 0;
    for (int n = 0; n < strings && mismatches < 10; ++n) {
        const std::string text = generator.next();
        INFO("input '" << text << "'");
        for (Preset preset : all_presets) {
            std::string want = std::regex_replace(text, regexes[static_cast<int>(preset)], "<R>");
            std::string got = text;
            bool replaced = replace_preset(preset, got, "<R>");
            std::string by_re2 = scrub(on_re2[static_cast<int>(preset)], text);
            ++compared;
            changed += want != text;
            if (got != want || replaced != (got != text) || by_re2 != want) {
                ++mismatches;
                INFO("preset " << static_cast<int>(preset));
                CHECK(got == want);
                CHECK(replaced == (got != text));
                CHECK(by_re2 == want);
            }
        }
        if (n % 10 == 0 && scrub(p, text) != via_regex(text)) {  // the three in a row, as a policy runs them
            ++mismatches;
            CHECK(scrub(p, text) == via_regex(text));
        }
    }
    CHECK(compared == 3 * strings);
    CHECK(changed > compared / 4);  // the generator makes matches, not only near misses
}

TEST_CASE("policy: presets at their edges") {
    const std::pair<std::string, std::string> cases[] = {
        {"8 digits 12345678, 9 digits 123456789", "8 digits 12345678, 9 digits [phone]"},
        {"123456789012345|1234567890123456", "[phone]|[phone]6"},
        {"123456789012345678901234", "[phone][phone]"},
        {"+(44) 7700-900123", "[phone]"},
        {"++1 234 567 890", "+[phone]"},
        {"1 2   3 4 5 6 7 8 9 0", "1 2   3 4 5 6 7 8 9 0"},
        {"a@b.cc.d1 x@host.c0m y@a.b.example.com9", "[email].d1 x@host.c0m [email]9"},
        {"a@b@c.org a.b@c..de", "a@[email] a.b@c..de"},
        {"1.2.3.4.5", "[ip].5"},
        {"1234.1.2.3.4", "1234.[ip]"},
        {"a1.2.3.4 1.2.3.4_ \u00e91.2.3.4", "a1.2.3.4 1.2.3.4_ \u00e9[ip]"},
    };
    Policy p = presets();
    for (const auto& [text, want] : cases) {
        INFO(text);
        CHECK(scrub(p, text) == want);
        CHECK(via_regex(text) == want);
    }
    // A '$' format in a replacement is not for the scanners: such a preset runs on RE2.
    Policy formats =
        Policy::parse(R"({"schema_version": 1, "redact": [{"preset": "email", "replacement": "<$&>"}]})", "p", "s");
    CHECK(scrub(formats, "mail a@b.org now") == "mail <a@b.org> now");
    // However long a string, it is scanned: one of a megabyte keeps its text and loses its address.
    std::string long_text(1 << 20, 'a');
    CHECK(scrub(p, long_text + " a@b.org") == long_text + " [email]");
}

TEST_CASE("policy: keyed hashes are HMAC-SHA-256, cached or not") {
    // RFC 4231 test case 2, and values from `openssl dgst -sha256 -hmac Jefe`.
    Policy p = Policy::parse(R"({"schema_version": 1})", "p", "Jefe");
    const std::string rfc = "hmac-sha256:5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    const std::string short_text = "hmac-sha256:bf494394e7b22cce6c09e2dc44b44790664ef5b33f277b87befc8b0ce1e1dd29";
    const std::string long_text = "hmac-sha256:ef2e210fe188570596359a75527792bcadb7c0414ff8aa2ee3401ee15116dd7e";
    CHECK(p.keyed_hash("what do ya want for nothing?") == rfc);
    CHECK(p.keyed_hash("a@b.c") == short_text);
    CHECK(p.keyed_hash("what do ya want for nothing?") == rfc);  // from the cache
    for (int i = 0; i < 10000; ++i)
        p.keyed_hash("operator" + std::to_string(i) + "@example.org");  // fills it, twice
    CHECK(p.keyed_hash(std::string(300, 'x')) == long_text);            // too long to cache
    CHECK(p.keyed_hash(std::string(300, 'x')) == long_text);
    CHECK(p.keyed_hash("a@b.c") == short_text);
    Policy copy = p;  // shares the cache; the secret is the same
    CHECK(copy.keyed_hash("what do ya want for nothing?") == rfc);
    CHECK(Policy::parse(R"({"schema_version": 1})", "p", "").keyed_hash("what do ya want for nothing?") ==
          "hmac-sha256:76d9e7194e7dbc3aa00bbe8ffb9f6fcb5a932170f971f948bb2ab61607d2b9d6");
}

TEST_CASE("policy: a pattern RE2 cannot run is refused with its reason, at load") {
    // Stacked quantifiers (libstdc++'s std::regex accepted them and then took exponential time on
    // every string), lookaround and backreferences (which need backtracking).
    for (std::string bad :
         {"(Y)***********", "a**", "a+*", "a{2}*", "a*{2}", "a??+", "x*?*", "(?=x)y", "(a)\\1", "a{1001}", "("})
        CHECK_THROWS_WITH(with_pattern(bad), Catch::Contains("is not a valid regular expression"));
    for (std::string good :
         {"a*?", "a+?b", "a{2,3}?", "\\*\\*", "[*+?]+", "\\bPAT-[0-9]{6}\\b", "(a|b)*c", "(?i)secret"})
        CHECK_NOTHROW(with_pattern(good));
}

TEST_CASE("policy: a policy's own patterns take linear time, even those that crashed or hung std::regex") {
    // With std::regex, the first overflowed the stack on 30 kB of text, the second took seconds on
    // 20 kB (quadratic) and the third exponential time on a few dozen characters: an ingest crashed
    // or hung, and every rerun would again, on the same record.
    const std::string a(200'000, 'a');
    CHECK(scrub(with_pattern("(a|b)*c"), a) == a);
    CHECK(scrub(with_pattern("(a|b)*c"), "x" + a + "c") == "x[redacted]");
    CHECK(scrub(with_pattern("[a-z]+@x"), a) == a);
    CHECK(scrub(with_pattern("[a-z]+@x"), a + "@x!") == "[redacted]!");
    CHECK(scrub(with_pattern("(a+)+b"), std::string(5000, 'a')) == std::string(5000, 'a'));
    CHECK(scrub(with_pattern("(?i)secret"), "a SeCrEt b") == "a [redacted] b");
}

TEST_CASE("policy: replacements keep ECMAScript's formats, on RE2") {
    Policy p = with_pattern("(\\w+)@(\\w+)\\.org", "$2 at $1 ($&) $$5 \\ $x");
    CHECK(scrub(p, "to ann@acme.org.") == "to acme at ann (ann@acme.org) $5 \\ $x.");
    CHECK(scrub(with_pattern("x*", "-"), "abc") == "-a-b-c-");  // empty matches, as std::regex_replace
    // $0 and two-digit groups, as std::regex_replace read them.
    CHECK(scrub(with_pattern("a+", "[$0]"), "xaay") == "x[aa]y");
    CHECK(scrub(with_pattern("(a)", "[$01|$00]"), "xay") == "x[a|a]y");
    CHECK(scrub(with_pattern("a", "$"), "xay") == "x$y");
    CHECK_THROWS_WITH(with_pattern("a", "$`"), Catch::Contains("the text around the match"));
    CHECK_THROWS_WITH(with_pattern("a", "$'"), Catch::Contains("the text around the match"));
    CHECK_THROWS_WITH(with_pattern("(a)", "$12"), Catch::Contains("past $9"));
    CHECK_THROWS_WITH(with_pattern("a", "$1"), Catch::Contains("replacement for 'a'"));
}

TEST_CASE("policy: keys are redacted at every depth; a collision keeps both values") {
    Policy p = presets();
    Json j = Json::parse(R"({"id": 1, "contacts": {"bob@x.example": 1, "ann@y.example": 2, "[email]": 3},
                             "list": [{"10.0.0.1": "up"}]})");
    p.apply(j);
    CHECK(j == Json::parse(R"({"id": 1, "contacts": {"[email]": 3, "[email]_2": 2, "[email]_3": 1},
                               "list": [{"[ip]": "up"}]})"));
    // Rules are looked up by the original name; the name kept is redacted.
    Policy hashed = Policy::parse(R"({"schema_version": 1, "fields": {"bob@x.example": {"action": "hash"}},
                                      "redact": [{"preset": "email"}]})",
                                  "p", "secret");
    Json k = {{"bob@x.example", "v"}};
    hashed.apply(k);
    CHECK(k == Json{{"[email]", hashed.keyed_hash("v")}});
    CHECK(unique_field_name("a", [](const std::string& n) { return n == "a" || n == "a_2"; }) == "a_3");
}

TEST_CASE("policy: camera frames lose their metadata unless the policy says keep") {
    CHECK_FALSE(Policy::parse(R"({"schema_version": 1})", "p", "secret").keeps_image_metadata());
    CHECK_FALSE(Policy::parse(R"({"schema_version": 1, "images": {"metadata": "drop"}})", "p", "secret")
                    .keeps_image_metadata());
    Policy keep = Policy::parse(R"({"schema_version": 1, "images": {"metadata": "keep"}})", "p", "secret");
    CHECK(keep.keeps_image_metadata());
    CHECK(keep.digest() != Policy::parse(R"({"schema_version": 1})", "p", "secret").digest());
    CHECK_THROWS_AS(Policy::parse(R"({"schema_version": 1, "images": {"metadata": "some"}})", "p", "secret"), Error);
    CHECK_THROWS_AS(Policy::parse(R"({"schema_version": 1, "images": {"exif": "keep"}})", "p", "secret"), Error);
}
