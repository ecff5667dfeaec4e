#pragma once
// PII scrubbing at ingest (--policy FILE): per field drop, keyed hash (HMAC-SHA-256 with the site
// secret), mask, regex redaction inside strings, and an allowlist mode. A record is scrubbed before
// anything of it is written to the store.

#include "util/fs.hpp"
#include "util/ndjson.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace edgectl {

/// The built-in redactions (a policy's "preset"). Each is specified by a regular expression, but
/// run by a hand-written scanner: regular expressions were the largest item of ingest's profile.
enum class Preset { email, phone, ipv4 };

/// The preset's regular expression: what replace_preset must agree with (the unit tests compare
/// them under std::regex and RE2), and what runs, as a policy's own patterns do, when a replacement
/// has a '$' format.
std::string_view preset_pattern(Preset preset);

/// Replaces each match of the preset in text by replacement, taken literally (no '$' formats):
/// byte for byte what std::regex_replace(text, std::regex(preset_pattern(preset)), replacement)
/// gives. Linear time; returns false, leaving text alone, when nothing matched.
bool replace_preset(Preset preset, std::string& text, std::string_view replacement);

/// `wanted`, or if taken(wanted), the first of wanted_2, wanted_3... that is not: a redacted field
/// name that collides with another keeps its value apart instead of overwriting it.
std::string unique_field_name(const std::string& wanted, const std::function<bool(const std::string&)>& taken);

/// A parsed policy. It may be shared between threads: keyed_hash's cache is behind a mutex.
class Policy {
  public:
    /// Parses and validates a policy (schemas/policy.schema.json); `secret` keys the hashes.
    /// Throws Error (exit 2) naming `where` and the first problem.
    static Policy parse(std::string_view text, std::string_view where, const std::string& secret);
    static Policy load(const fs::path& path, const std::string& secret);

    /// Scrubs a record in place: each field by its rule, then the redactions inside every string
    /// that is kept and inside every object key, at any depth (a key can be personal data too:
    /// {"contacts": {"bob@x.example": 1}}).
    void apply(Json& record) const;

    /// SHA-256 of the policy's canonical JSON: recorded with every item it scrubbed.
    const std::string& digest() const { return digest_; }

    /// HMAC-SHA-256 of text with the site secret, as "hmac-sha256:<hex>". Values up to 256 bytes are
    /// cached (4096 of them at most): the same operator e-mail recurs on many records.
    std::string keyed_hash(std::string_view text) const;

    /// What the policy does with one field, for scrubbing a CSV file column by column. keep also
    /// means: strings (and CSV cells that look like numbers) go through the redactions; verbatim
    /// means they do not.
    enum class Action { keep, drop, hash, mask, verbatim };
    struct Rule {
        Action action = Action::keep;
        int keep_last = 4;  ///< mask
    };
    Rule rule_for(std::string_view field) const;
    /// text with every UTF-8 character but the last keep_last replaced by '*'.
    static std::string masked(std::string_view text, int keep_last);
    /// text with every redaction applied (also what a CSV header name becomes).
    std::string redact_string(const std::string& text) const;
    /// Whether the policy has redactions at all.
    bool redacts() const { return !redactions_.empty(); }
    /// Whether camera frames keep their metadata (EXIF, XMP, IPTC, comments, PNG text): only when
    /// the policy says "images": {"metadata": "keep"}.
    bool keeps_image_metadata() const { return keep_image_metadata_; }

  private:
    Policy() = default;  // parse() makes the hasher: a Policy without one could not hash

    struct Field {
        std::string action;
        int keep_last = 4;
    };
    struct Redaction {
        std::optional<Preset> preset;  ///< run by its scanner; otherwise `pattern` runs
        std::shared_ptr<const re2::RE2> pattern;
        std::string replacement;  ///< literal for a preset; RE2's rewrite string (\0, \1 …) for a pattern
    };
    /// keyed_hash's HMAC context and cache; shared by copies of the Policy (same secret).
    class Hasher;

    static Redaction make_redaction(const Json& item, const std::string& where);
    void redact(Json& value) const;
    void redact_keys(Json& object) const;
    void redact_in_place(std::string& text) const;

    bool allowlist_ = false;
    bool keep_image_metadata_ = false;
    std::map<std::string, Field> fields_;
    std::vector<Redaction> redactions_;
    std::shared_ptr<Hasher> hasher_;
    std::string digest_;
};

}  // namespace edgectl
