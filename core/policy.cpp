#include "policy.hpp"

#include "error.hpp"
#include "json_schema.hpp"
#include "sha256.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace edgectl {

namespace embedded {
extern const std::string_view policy_schema_json;
}

namespace {

const std::map<std::string, std::pair<std::string, std::string>>& presets() {
    static const std::map<std::string, std::pair<std::string, std::string>> all = {
        {"email", {R"([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})", "[email]"}},
        // At least 9 digits, at most two separators between them: a date (8 digits) or a time is
        // not a phone number.
        {"phone", {R"(\+?\(?[0-9](?:[ ().-]{0,2}[0-9]){8,14})", "[phone]"}},
        {"ipv4", {R"(\b[0-9]{1,3}(\.[0-9]{1,3}){3}\b)", "[ip]"}}};
    return all;
}

// std::regex recurses per character: very long strings are replaced whole rather than scanned.
constexpr std::size_t max_redacted_string = 64 * 1024;

} // namespace

Policy Policy::parse(std::string_view text, std::string_view where, std::string secret) {
    std::string name(where);
    std::string why;
    auto doc = parse_json_object(text, why);
    if (!doc) throw Error("policy '" + name + "': " + why, Exit::usage);
    if (std::string problem = schema_problem(embedded::policy_schema_json, *doc); !problem.empty())
        throw Error("policy '" + name + "' does not match the policy schema " + problem, Exit::usage);
    Policy p;
    p.secret_ = std::move(secret);
    p.allowlist_ = doc->value("mode", std::string("denylist")) == "allowlist";
    const Json fields = doc->value("fields", Json::object());  // items() must not outlive its object
    for (const auto& [field, spec] : fields.items())
        p.fields_[field] = {spec["action"].get<std::string>(), spec.value("keep_last", 4)};
    for (const auto& r : doc->value("redact", Json::array())) {
        std::string pattern, replacement;
        if (r.contains("preset")) std::tie(pattern, replacement) = presets().at(r["preset"].get<std::string>());
        else pattern = r["pattern"].get<std::string>();
        replacement = r.value("replacement", replacement.empty() ? std::string("[redacted]") : replacement);
        try {
            p.redactions_.push_back({std::regex(pattern, std::regex::ECMAScript | std::regex::optimize), replacement});
        } catch (const std::regex_error&) {
            throw Error("policy '" + name + "': '" + pattern + "' is not a valid regular expression", Exit::usage);
        }
    }
    p.digest_ = sha256_hex(doc->dump());
    return p;
}

Policy Policy::load(const fs::path& path, std::string secret) {
    return parse(read_file(path, 1 << 20), path.string(), std::move(secret));
}

std::string Policy::keyed_hash(std::string_view text) const {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), secret_.data(), int(secret_.size()), reinterpret_cast<const unsigned char*>(text.data()),
              text.size(), mac, &len))
        throw Error("HMAC-SHA-256 failed (OpenSSL)");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "hmac-sha256:";
    for (unsigned int i = 0; i < len; ++i) {
        out.push_back(hex[mac[i] >> 4]);
        out.push_back(hex[mac[i] & 0xf]);
    }
    return out;
}

std::string Policy::redact_string(const std::string& text) const {
    if (redactions_.empty()) return text;
    if (text.size() > max_redacted_string) return "[redacted: too long to scan]";
    std::string out = text;
    for (const auto& r : redactions_) out = std::regex_replace(out, r.pattern, r.replacement);
    return out;
}

void Policy::redact(Json& value) const {
    if (value.is_string()) value = redact_string(value.get_ref<const std::string&>());
    else if (value.is_structured())
        for (auto& child : value) redact(child);
}

void Policy::apply(Json& record) const {
    for (auto it = record.begin(); it != record.end();) {
        auto rule = fields_.find(it.key());
        std::string action = rule != fields_.end() ? rule->second.action : (allowlist_ ? "drop" : "keep");
        if (action == "drop") {
            it = record.erase(it);
            continue;
        }
        Json& v = it.value();
        if (action == "hash") {
            if (!v.is_null()) v = keyed_hash(v.is_string() ? v.get_ref<const std::string&>() : v.dump());
        } else if (action == "mask") {
            if (!v.is_null()) {
                std::string text = v.is_string() ? v.get<std::string>() : v.dump();
                // Count in UTF-8 code points, so a multi-byte character is kept or masked whole.
                std::size_t cut = text.size(), kept = 0, masked = 0;
                while (cut > 0 && kept < std::size_t(rule->second.keep_last)) {
                    --cut;
                    if ((static_cast<unsigned char>(text[cut]) & 0xC0) != 0x80) ++kept;
                }
                for (std::size_t i = 0; i < cut; ++i) masked += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
                v = std::string(masked, '*') + text.substr(cut);
            }
        } else {
            redact(v);  // keep and redact
        }
        ++it;
    }
}

} // namespace edgectl
