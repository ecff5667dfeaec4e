// Scrubbing runs on every string of every record, so it is written for speed.
//
// The presets are specified by regular expressions but run by hand-written scanners, one pass each
// after a cheap pre-test (no '@': no e-mail). Each scanner gives what std::regex_replace gives with
// its pattern, byte for byte: leftmost match, greedy quantifiers that backtrack. The comment above
// each scanner says why its pattern leaves no other choice than the one it makes;
// tests/unit/policy_test.cpp compares them on generated strings.
//
// A policy's own patterns, and presets whose replacement has a '$' format, run on RE2, whose time is
// linear in the text and which does not recurse. libstdc++'s backtracking std::regex, used before,
// took seconds on one 20 kB string for a pattern as plain as "[a-z]+@x" (quadratic), exponential
// time for "(a+)+b", and overflowed the stack on "(a|b)*c" over a 30 kB string: a crash that every
// rerun of the cron job would repeat on the same record.
//
// Keyed hashes reuse one HMAC context and cache recent values, behind a mutex.

#include "ingest/policy.hpp"

#include "util/error.hpp"
#include "util/json_schema.hpp"
#include "util/sha256.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <re2/re2.h>

#include <array>
#include <cctype>
#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>

namespace edgectl {

namespace embedded {
extern const std::string_view policy_schema_json;
}

namespace {

struct PresetSpec {
    std::string_view name;
    Preset preset;
    const char* pattern;
    const char* replacement;
};

// In the order of enum Preset.
constexpr PresetSpec preset_specs[] = {
    {"email", Preset::email, R"([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})", "[email]"},
    // At least 9 digits, at most two separators between them: a date (8 digits) or a time is
    // not a phone number.
    {"phone", Preset::phone, R"(\+?\(?[0-9](?:[ ().-]{0,2}[0-9]){8,14})", "[phone]"},
    {"ipv4", Preset::ipv4, R"(\b[0-9]{1,3}(\.[0-9]{1,3}){3}\b)", "[ip]"},
};

const PresetSpec& spec(Preset preset) { return preset_specs[static_cast<std::size_t>(preset)]; }

const PresetSpec& spec(std::string_view name) {
    for (const auto& preset : preset_specs)
        if (preset.name == name) return preset;
    throw Error("no redaction preset '" + std::string(name) + "'", Exit::usage);  // the schema lists them
}

// The keyed-hash cache: values up to 256 bytes, 4096 of them (under 2 MB). A full cache starts over.
constexpr std::size_t max_cached_hashes = 4096;
constexpr std::size_t max_cached_text = 256;

// The presets' character classes, by byte. A byte of a multi-byte UTF-8 character is in none of
// them, as for std::regex, whose \w (for \b) is [A-Za-z0-9_] in the "C" locale edgectl runs in.
enum CharClass : unsigned {
    digit_char = 1,       // [0-9]
    letter_char = 2,      // [A-Za-z]
    label_char = 4,       // [A-Za-z0-9-]: an e-mail domain's labels
    local_char = 8,       // [A-Za-z0-9._%+-]: an e-mail's local part
    word_char = 16,       // \w
    separator_char = 32,  // [ ().-]: between a phone number's digits
};

constexpr auto char_classes = [] {
    std::array<std::uint8_t, 256> classes{};
    auto add = [&classes](std::string_view chars, unsigned cls) {
        for (char c : chars) {
            auto& entry = classes[static_cast<unsigned char>(c)];
            entry = static_cast<std::uint8_t>(entry | cls);
        }
    };
    add("0123456789", digit_char | label_char | local_char | word_char);
    add("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", letter_char | label_char | local_char | word_char);
    add("-", label_char | local_char);
    add("._%+", local_char);
    add("_", word_char);
    add(" ().-", separator_char);
    return classes;
}();

bool is(char c, unsigned cls) { return (char_classes[static_cast<unsigned char>(c)] & cls) != 0; }

// The end of the run of cls characters that starts at i.
std::size_t skip(std::string_view s, std::size_t i, unsigned cls) {
    while (i < s.size() && is(s[i], cls))
        ++i;
    return i;
}

constexpr auto npos = std::string_view::npos;

// [A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}
// '@' is in no other class and '.' in no label, so giving characters back never helps a run: the
// local part is every local character before an '@' (from `from` on: the leftmost start), and each
// label is whole. The greedy group takes every ".label", then gives them back one at a time until
// the rest, '.' and two letters, matches: the match ends in the last label other than the first
// that starts with two letters, right after its leading letters.
std::size_t find_email(std::string_view s, std::size_t from, std::size_t& end) {
    for (std::size_t at = s.find('@', from); at != npos; at = s.find('@', at + 1)) {
        std::size_t start = at;
        while (start > from && is(s[start - 1], local_char))
            --start;
        std::size_t i = skip(s, at + 1, label_char);
        if (start == at || i == at + 1) continue;
        std::size_t match_end = 0;
        for (; i + 1 < s.size() && s[i] == '.' && is(s[i + 1], label_char); i = skip(s, i + 1, label_char))
            if (std::size_t letters = skip(s, i + 1, letter_char); letters >= i + 3) match_end = letters;
        if (match_end != 0) {
            end = match_end;
            return start;
        }
    }
    return npos;
}

// \+?\(?[0-9](?:[ ().-]{0,2}[0-9]){8,14}
// Leaving out a '+' or '(' that is there never helps (a digit must follow). Separators are not
// digits, so each repetition takes a whole run of separators (two at most) and the digit after it:
// the repetitions are forced, and the greedy {8,14} takes as many as there are, up to 14.
std::size_t find_phone(std::string_view s, std::size_t from, std::size_t& end) {
    for (std::size_t at = from; at < s.size();) {
        std::size_t i = at;
        if (s[i] == '+') ++i;
        if (i < s.size() && s[i] == '(') ++i;
        if (i == s.size() || !is(s[i], digit_char)) {
            ++at;
            continue;
        }
        int repetitions = 0;
        for (++i; repetitions < 14; ++repetitions) {
            std::size_t digit = i;
            while (digit < s.size() && digit - i < 3 && is(s[digit], separator_char))
                ++digit;
            if (digit - i > 2 || digit == s.size() || !is(s[digit], digit_char)) break;
            i = digit + 1;
        }
        if (repetitions >= 8) {
            end = i;
            return at;
        }
        at = i;  // a start inside this chain would follow it to the same break, with fewer digits
    }
    return npos;
}

// \b[0-9]{1,3}(\.[0-9]{1,3}){3}\b
// Fewer digits than a run has leave a digit next, where neither '.' nor \b matches: each number is a
// whole run of one to three digits. \b looks at the byte before the start, as std::regex_replace
// does after its first match (match_prev_avail).
std::size_t find_ipv4(std::string_view s, std::size_t from, std::size_t& end) {
    for (std::size_t at = from; at < s.size(); ++at) {
        if (!is(s[at], digit_char) || (at > 0 && is(s[at - 1], word_char))) continue;
        std::size_t i = at;
        for (int number = 0; number < 4; ++number) {
            if (number > 0 && (i == s.size() || s[i++] != '.')) break;
            std::size_t digits = i;
            while (digits < s.size() && digits - i < 4 && is(s[digits], digit_char))
                ++digits;
            if (digits == i || digits - i > 3) break;
            i = digits;
            if (number == 3 && (i == s.size() || !is(s[i], word_char))) {
                end = i;
                return at;
            }
        }
    }
    return npos;
}

// As std::regex_replace with a literal replacement: each search starts where the last match ended
// (no preset matches the empty string). A Finder returns the start of the leftmost match at or after
// `from`, or npos, and sets `end`.
using Finder = std::size_t (*)(std::string_view s, std::size_t from, std::size_t& end);

bool replace_all(std::string& text, std::string_view replacement, Finder find) {
    std::size_t end = 0;
    std::size_t at = find(text, 0, end);
    if (at == npos) return false;
    std::string out;
    out.reserve(text.size());
    std::size_t copied = 0;
    while (at != npos) {
        out.append(text, copied, at - copied).append(replacement);
        copied = end;
        at = find(text, copied, end);
    }
    out.append(text, copied);
    text = std::move(out);
    return true;
}

bool has_digits(std::string_view s, int count) {
    for (char c : s)
        if (is(c, digit_char) && --count == 0) return true;
    return false;
}

}  // namespace

std::string_view preset_pattern(Preset preset) { return spec(preset).pattern; }

bool replace_preset(Preset preset, std::string& text, std::string_view replacement) {
    switch (preset) {
    case Preset::email: return text.find('@') != npos && replace_all(text, replacement, find_email);
    case Preset::phone: return has_digits(text, 9) && replace_all(text, replacement, find_phone);
    case Preset::ipv4: return text.find('.') != npos && replace_all(text, replacement, find_ipv4);
    }
    return false;
}

// keyed_hash's state. The HMAC context is keyed once; EVP_MAC_init without a key starts the next
// message under the same key (OpenSSL 3.0.3 and later; the unit tests check the hashes against HMAC
// test vectors), without the one-shot HMAC()'s fetch, allocations and key setup: 3x faster. Recent
// results are cached: the same operator e-mail recurs on many records.
class Policy::Hasher {
  public:
    explicit Hasher(const std::string& secret) {
        std::unique_ptr<EVP_MAC, void (*)(EVP_MAC*)> hmac(EVP_MAC_fetch(nullptr, "HMAC", nullptr), EVP_MAC_free);
        char digest[] = "SHA256";
        const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                     OSSL_PARAM_construct_end()};
        if (hmac) ctx_.reset(EVP_MAC_CTX_new(hmac.get()));
        if (!ctx_ ||
            EVP_MAC_init(ctx_.get(), reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), params) != 1)
            throw Error("cannot initialise HMAC-SHA-256 (OpenSSL)");
    }

    std::string hash(std::string_view text) {
        std::lock_guard lock(mutex_);
        if (auto hit = cache_.find(text); hit != cache_.end()) return hit->second;
        std::string out = compute(text);
        if (text.size() <= max_cached_text) {
            if (cache_.size() >= max_cached_hashes) cache_.clear();
            cache_.emplace(text, out);
        }
        return out;
    }

  private:
    std::string compute(std::string_view text) {
        std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
        std::size_t len = 0;
        if (EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) != 1 ||
            EVP_MAC_update(ctx_.get(), reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1 ||
            EVP_MAC_final(ctx_.get(), mac.data(), &len, mac.size()) != 1)
            throw Error("HMAC-SHA-256 failed (OpenSSL)");
        static constexpr char hex[] = "0123456789abcdef";
        std::string out = "hmac-sha256:";
        for (std::size_t i = 0; i < len; ++i) {
            out.push_back(hex[mac[i] >> 4]);
            out.push_back(hex[mac[i] & 0xf]);
        }
        return out;
    }

    struct Free {
        void operator()(EVP_MAC_CTX* ctx) const noexcept { EVP_MAC_CTX_free(ctx); }
    };
    // Looks a string_view up without making a std::string of it.
    struct TextHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };

    std::mutex mutex_;
    std::unique_ptr<EVP_MAC_CTX, Free> ctx_;
    std::unordered_map<std::string, std::string, TextHash, std::equal_to<>> cache_;
};

Policy Policy::parse(std::string_view text, std::string_view where, const std::string& secret) {
    std::string name(where);
    Json doc = parse_json_object(text).or_throw("policy " + quote(name), Exit::usage);
    if (auto problem = schema_problem(embedded::policy_schema_json, doc))
        throw Error("policy '" + name + "' does not match the policy schema " + *problem, Exit::usage);
    Policy p;
    p.hasher_ = std::make_shared<Hasher>(secret);
    p.allowlist_ = doc.value("mode", std::string("denylist")) == "allowlist";
    p.keep_image_metadata_ = doc.value("images", Json::object()).value("metadata", std::string("drop")) == "keep";
    const Json fields = doc.value("fields", Json::object());  // items() must not outlive its object
    for (const auto& [field, spec] : fields.items())
        p.fields_[field] = {spec["action"].get<std::string>(), spec.value("keep_last", 4)};
    for (const auto& r : doc.value("redact", Json::array()))
        p.redactions_.push_back(make_redaction(r, name));
    p.digest_ = sha256_hex(doc.dump());
    return p;
}

Policy Policy::load(const fs::path& path, const std::string& secret) {
    return parse(read_file(path, 1 << 20), path.string(), secret);
}

namespace {

// A replacement as policies write it (the formats std::regex_replace read: $& or $0 the match, $1 …
// $99 a group, $$ a dollar) as RE2's rewrite string (\0, \1 … \9, \\). Throws for what RE2
// cannot do: $` and $' (the text before and after the match) and groups past 9.
std::string rewrite_string(std::string_view replacement, const std::string& where) {
    std::string out;
    for (std::size_t i = 0; i < replacement.size(); ++i) {
        char c = replacement[i];
        if (c == '\\') {
            out += "\\\\";
            continue;
        }
        if (c != '$' || i + 1 == replacement.size()) {
            out += c;
            continue;
        }
        char next = replacement[i + 1];
        if (next == '$') {
            out += '$';
            ++i;
        } else if (next == '&') {
            out += "\\0";
            ++i;
        } else if (next >= '0' && next <= '9') {
            // $n or $nn, as libstdc++'s std::regex read them before ($0 and $00 the whole match).
            int group = next - '0';
            ++i;
            if (i + 1 < replacement.size() && std::isdigit(static_cast<unsigned char>(replacement[i + 1])))
                group = group * 10 + (replacement[++i] - '0');
            if (group > 9)
                throw Error("policy '" + where + "': replacement '" + std::string(replacement) +
                                "' refers to a group past $9; at most 9 groups can be used",
                            Exit::usage);
            out += '\\';
            out += char('0' + group);
        } else if (next == '`' || next == '\'') {
            throw Error("policy '" + where + "': replacement '" + std::string(replacement) + "' uses $" + next +
                            " (the text around the match), which edgectl does not support",
                        Exit::usage);
        } else {
            out += '$';  // a '$' that starts no format is itself, as in ECMAScript
        }
    }
    return out;
}

}  // namespace

Policy::Redaction Policy::make_redaction(const Json& item, const std::string& where) {
    Redaction r;
    std::string pattern, replacement = "[redacted]";
    if (item.contains("preset")) {
        const PresetSpec& preset = spec(item["preset"].get<std::string>());
        r.preset = preset.preset;
        pattern = preset.pattern;
        replacement = preset.replacement;
    } else {
        pattern = item["pattern"].get<std::string>();
    }
    r.replacement = item.value("replacement", replacement);
    // '$&', '$1'... in a replacement are formats, which the scanners do not implement: such a
    // preset runs on RE2, as a pattern does.
    if (r.replacement.find('$') != std::string::npos) r.preset.reset();
    if (r.preset) return r;
    RE2::Options options;
    options.set_log_errors(false);
    auto compiled = std::make_shared<const RE2>(pattern, options);
    if (!compiled->ok())
        throw Error("policy '" + where + "': '" + pattern + "' is not a valid regular expression: " +
                        compiled->error() + " (RE2 syntax: no lookaround, no backreferences)",
                    Exit::usage);
    r.replacement = rewrite_string(r.replacement, where);
    if (std::string why; !compiled->CheckRewriteString(r.replacement, &why))
        throw Error("policy '" + where + "': replacement for '" + pattern + "': " + why, Exit::usage);
    r.pattern = std::move(compiled);
    return r;
}

std::string Policy::keyed_hash(std::string_view text) const { return hasher_->hash(text); }

std::string Policy::redact_string(const std::string& text) const {
    std::string out = text;
    redact_in_place(out);
    return out;
}

void Policy::redact_in_place(std::string& text) const {
    for (const auto& r : redactions_) {
        if (r.preset)
            replace_preset(*r.preset, text, r.replacement);
        else
            RE2::GlobalReplace(&text, *r.pattern, r.replacement);
    }
}

std::string unique_field_name(const std::string& wanted, const std::function<bool(const std::string&)>& taken) {
    if (!taken(wanted)) return wanted;
    for (int n = 2;; ++n)
        if (std::string name = wanted + "_" + std::to_string(n); !taken(name)) return name;
}

void Policy::redact(Json& value) const {
    if (value.is_string()) {
        redact_in_place(value.get_ref<std::string&>());
    } else if (value.is_structured()) {
        for (auto& child : value)
            redact(child);
        if (value.is_object()) redact_keys(value);
    }
}

// Renames the keys a redaction changes. Keys it leaves alone keep their names; a changed one that
// collides gets a suffix (unique_field_name), so no value is lost.
void Policy::redact_keys(Json& object) const {
    if (redactions_.empty()) return;
    std::vector<std::pair<std::string, std::string>> renames;  // old key, redacted
    for (const auto& [key, value] : object.items())
        if (std::string redacted = redact_string(key); redacted != key) renames.emplace_back(key, std::move(redacted));
    if (renames.empty()) return;
    std::vector<std::pair<std::string, Json>> moved;
    for (const auto& [key, redacted] : renames) {
        moved.emplace_back(redacted, std::move(object[key]));
        object.erase(key);
    }
    for (auto& [wanted, value] : moved)
        object[unique_field_name(wanted, [&](const std::string& k) { return object.contains(k); })] = std::move(value);
}

Policy::Rule Policy::rule_for(std::string_view field) const {
    auto rule = fields_.find(std::string(field));
    if (rule == fields_.end()) return {allowlist_ ? Action::drop : Action::keep, 0};
    const std::string& action = rule->second.action;
    Action a = action == "drop"       ? Action::drop
               : action == "hash"     ? Action::hash
               : action == "mask"     ? Action::mask
               : action == "verbatim" ? Action::verbatim
                                      : Action::keep;
    return {a, rule->second.keep_last};
}

std::string Policy::masked(std::string_view text, int keep_last) {
    // Count in UTF-8 code points, so a multi-byte character is kept or masked whole.
    std::size_t cut = text.size(), kept = 0, masked = 0;
    while (cut > 0 && kept < std::size_t(keep_last)) {
        --cut;
        if ((static_cast<unsigned char>(text[cut]) & 0xC0) != 0x80) ++kept;
    }
    for (std::size_t i = 0; i < cut; ++i)
        masked += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    return std::string(masked, '*') + std::string(text.substr(cut));
}

void Policy::apply(Json& record) const {
    for (auto it = record.begin(); it != record.end();) {
        Rule rule = rule_for(it.key());
        if (rule.action == Action::drop) {
            it = record.erase(it);
            continue;
        }
        Json& v = it.value();
        if (rule.action == Action::hash) {
            if (!v.is_null()) v = keyed_hash(v.is_string() ? v.get_ref<const std::string&>() : v.dump());
        } else if (rule.action == Action::mask) {
            if (!v.is_null()) v = masked(v.is_string() ? v.get_ref<const std::string&>() : v.dump(), rule.keep_last);
        } else if (rule.action != Action::verbatim) {
            redact(v);  // keep and redact
        }
        ++it;
    }
    redact_keys(record);
}

}  // namespace edgectl
