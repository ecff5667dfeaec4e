#pragma once
// PII scrubbing at ingest (--policy FILE): per field drop, keyed hash (HMAC-SHA-256 with the site
// secret), mask, regex redaction inside strings, and an allowlist mode. A record is scrubbed before
// anything of it is written to the store.

#include "ndjson.hpp"
#include "fs.hpp"

#include <map>
#include <regex>
#include <string>
#include <vector>

namespace edgectl {

class Policy {
public:
    /// Parses and validates a policy (schemas/policy.schema.json); `secret` keys the hashes.
    /// Throws Error (exit 2) naming `where` and the first problem.
    static Policy parse(std::string_view text, std::string_view where, std::string secret);
    static Policy load(const fs::path& path, std::string secret);

    /// Scrubs a record in place.
    void apply(Json& record) const;

    /// SHA-256 of the policy's canonical JSON: recorded with every item it scrubbed.
    const std::string& digest() const { return digest_; }

    /// HMAC-SHA-256 of text with the site secret, as "hmac-sha256:<hex>".
    std::string keyed_hash(std::string_view text) const;

private:
    struct Field {
        std::string action;
        int keep_last = 4;
    };
    struct Redaction {
        std::regex pattern;
        std::string replacement;
    };
    void redact(Json& value) const;
    std::string redact_string(const std::string& text) const;

    bool allowlist_ = false;
    std::map<std::string, Field> fields_;
    std::vector<Redaction> redactions_;
    std::string secret_;
    std::string digest_;
};

} // namespace edgectl
