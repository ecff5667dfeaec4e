// libFuzzer target for ingest's reading side under a PII policy: RecordReader, the code ingest runs
// on its reading thread (byte order mark, LF/CRLF/CR line ends, the CSV header, NDJSON objects,
// scrubbing, formatting), over whatever a device drops into the inbox. The first input byte picks
// the format (bit 0: CSV or NDJSON), one of four fixed policies (bits 1-2: none, presets with field
// rules, an allowlist, RE2 patterns) and, in one case of four (bits 3-4), a resumed file whose
// first two records were committed before. The rest of the input is the file.
//
// Besides never crashing, hanging or reading out of bounds, what it hands the store must be what
// the store expects, and what a policy removes must stay removed: every kept row is JSON of the
// right shape; column names are unique; nothing a redaction matches is left in a kept key, string
// or column name, nor in a quarantine reason; a hashed field is null or a keyed hash; a masked one
// shows at most its last characters; a dropped (or, in an allowlist, unnamed) field never appears;
// under a policy, a quarantined record's text is withheld.

#include "ingest/policy.hpp"
#include "ingest/reader.hpp"
#include "util/error.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace {

using edgectl::Json;
using edgectl::Preset;

// The input as an anonymous in-memory file, read from its start.
edgectl::File memory_file(std::string_view bytes) {
    int fd = ::memfd_create("fuzz-inbox", MFD_CLOEXEC);
    if (fd < 0) throw std::runtime_error("memfd_create failed");
    edgectl::File file(fd, "fuzz-inbox");
    file.write_all(bytes);
    file.rewind();
    return file;
}

// A fixed policy, and the same policy said plainly for the checks: what each named field gets, and
// which redactions must leave nothing behind.
struct Setup {
    std::optional<edgectl::Policy> policy;
    bool allowlist = false;
    std::map<std::string, std::string> actions;  // field -> keep, drop, hash, mask
    std::map<std::string, int> keep_last;        // mask fields
    std::vector<Preset> presets;                 // their matches must be gone
    bool patient_ids = false;                    // "PAT-" and six digits must be gone
};

Setup make_setup(const char* json, bool allowlist, std::map<std::string, std::string> actions,
                 std::map<std::string, int> keep_last, std::vector<Preset> presets, bool patient_ids) {
    Setup s;
    if (json) s.policy.emplace(edgectl::Policy::parse(json, "fuzz-policy.json", "fuzz-site-secret"));
    s.allowlist = allowlist;
    s.actions = std::move(actions);
    s.keep_last = std::move(keep_last);
    s.presets = std::move(presets);
    s.patient_ids = patient_ids;
    return s;
}

const std::vector<Setup>& setups() {
    static const std::vector<Setup> all = [] {
        std::vector<Setup> v;
        v.push_back(make_setup(nullptr, false, {}, {}, {}, false));
        v.push_back(make_setup(
            R"({"schema_version": 1,
                "fields": {"operator_email": {"action": "hash"}, "badge_id": {"action": "hash"},
                           "operator_phone": {"action": "mask", "keep_last": 4},
                           "operator_name": {"action": "drop"}, "ssn": {"action": "drop"},
                           "notes": {"action": "redact"}},
                "redact": [{"preset": "email"}, {"preset": "phone"}, {"preset": "ipv4"}]})",
            false,
            {{"operator_email", "hash"},
             {"badge_id", "hash"},
             {"operator_phone", "mask"},
             {"operator_name", "drop"},
             {"ssn", "drop"},
             {"notes", "keep"}},
            {{"operator_phone", 4}}, {Preset::email, Preset::phone, Preset::ipv4}, false));
        v.push_back(make_setup(
            R"({"schema_version": 1, "mode": "allowlist",
                "fields": {"sample_id": {"action": "keep"}, "notes": {"action": "redact"},
                           "operator_email": {"action": "hash"},
                           "operator_phone": {"action": "mask", "keep_last": 3},
                           "alcohol": {"action": "keep"}, "proline": {"action": "keep"},
                           "contacts": {"action": "keep"}},
                "redact": [{"preset": "email"}]})",
            true,
            {{"sample_id", "keep"},
             {"notes", "keep"},
             {"operator_email", "hash"},
             {"operator_phone", "mask"},
             {"alcohol", "keep"},
             {"proline", "keep"},
             {"contacts", "keep"}},
            {{"operator_phone", 3}}, {Preset::email}, false));
        // The e-mail preset with a '$' replacement runs on RE2, as the patterns do; it runs first,
        // so that no later replacement can join the pieces of an address.
        v.push_back(make_setup(
            R"({"schema_version": 1,
                "fields": {"operator_email": {"action": "drop"}, "patient": {"action": "hash"},
                           "operator_phone": {"action": "mask", "keep_last": 2}},
                "redact": [{"preset": "email", "replacement": "[email$1]"},
                           {"pattern": "PAT-[0-9]{6}", "replacement": "[patient]"},
                           {"pattern": "(?i)(badge)[ #:]*[0-9]{3,}", "replacement": "$1 [redacted]"}]})",
            false, {{"operator_email", "drop"}, {"patient", "hash"}, {"operator_phone", "mask"}},
            {{"operator_phone", 2}}, {Preset::email}, true));
        return v;
    }();
    return all;
}

std::string action_of(const Setup& s, const std::string& field) {
    auto it = s.actions.find(field);
    if (it != s.actions.end()) return it->second;
    return s.allowlist ? "drop" : "keep";
}

// True when text still holds what one of the setup's redactions replaces.
bool leaks(const Setup& s, const std::string& text) {
    for (Preset preset : s.presets) {
        std::string copy = text;
        if (edgectl::replace_preset(preset, copy, "x")) return true;
    }
    if (s.patient_ids) {
        for (std::size_t at = text.find("PAT-"); at != std::string::npos; at = text.find("PAT-", at + 1)) {
            std::size_t digits = 0;
            while (digits < 6 && at + 4 + digits < text.size() && text[at + 4 + digits] >= '0' &&
                   text[at + 4 + digits] <= '9')
                ++digits;
            if (digits == 6) return true;
        }
    }
    return false;
}

// Every key and string at any depth, checked for leftovers.
bool leaks_anywhere(const Setup& s, const Json& value) {
    if (value.is_string()) return leaks(s, value.get_ref<const std::string&>());
    if (value.is_object()) {
        for (const auto& [key, child] : value.items())
            if (leaks(s, key) || leaks_anywhere(s, child)) return true;
    } else if (value.is_array()) {
        for (const auto& child : value)
            if (leaks_anywhere(s, child)) return true;
    }
    return false;
}

bool is_keyed_hash(const Json& v) {
    if (v.is_null()) return true;
    if (!v.is_string()) return false;
    const std::string& s = v.get_ref<const std::string&>();
    if (s.size() != 12 + 64 || !s.starts_with("hmac-sha256:")) return false;
    for (char c : std::string_view(s).substr(12))
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

// null, or '*'s then at most keep_last characters (UTF-8 code points) of the value.
bool is_masked(const Json& v, int keep_last) {
    if (v.is_null()) return true;
    if (!v.is_string()) return false;
    const std::string& s = v.get_ref<const std::string&>();
    std::size_t kept = 0;
    for (std::size_t i = s.find_first_not_of('*'); i < s.size(); ++i)
        kept += (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    return kept <= std::size_t(keep_last);
}

// One field of a kept record by its rule.
void check_field(const Setup& s, const std::string& rule, int keep_last, const Json& value) {
    if (rule == "drop") __builtin_trap();                                  // a dropped field was written
    if (rule == "hash" && !is_keyed_hash(value)) __builtin_trap();         // a hashed field is not a hash
    if (rule == "mask" && !is_masked(value, keep_last)) __builtin_trap();  // a masked field shows too much
    if (rule != "hash" && leaks_anywhere(s, value)) __builtin_trap();      // a redaction left its match
}

// The header as the plain checks see it: its fields, read again from the same bytes.
std::vector<std::string> header_fields(std::string_view bytes) {
    edgectl::File file = memory_file(bytes);
    edgectl::CsvReader reader(file);
    edgectl::CsvRecord header;
    if (!reader.next(header)) return {};
    return header.fields;
}

struct Expected {
    std::vector<std::string> rules;  // of each kept column, in order
    std::vector<int> keep_last;
};

// CSV: the header became the columns; checks them and returns what each kept column's rule is.
Expected check_columns(const Setup& s, const std::string& columns, std::string_view bytes) {
    Json names = Json::parse(columns, nullptr, false);
    if (!names.is_array()) __builtin_trap();  // columns() is not a JSON array
    std::set<std::string> seen;
    for (const auto& name : names) {
        if (!name.is_string()) __builtin_trap();                              // a column name is not a string
        if (!seen.insert(name.get<std::string>()).second) __builtin_trap();   // two columns of one name
        if (s.policy && leaks(s, name.get<std::string>())) __builtin_trap();  // a name kept personal data
    }
    Expected out;
    std::vector<std::string> kept_names;
    for (const auto& field : header_fields(bytes)) {
        std::string rule = action_of(s, field);
        if (!s.policy) rule = "keep";
        if (rule == "drop") {
            if (seen.count(field)) __builtin_trap();  // a dropped column kept its place
            continue;
        }
        kept_names.push_back(field);
        out.rules.push_back(rule);
        out.keep_last.push_back(s.keep_last.count(field) ? s.keep_last.at(field) : 0);
    }
    if (names.size() != out.rules.size()) __builtin_trap();  // kept columns miscounted
    // Without a policy every name is written as it is; under one, the fields it names (which hold
    // no personal data) are.
    for (std::size_t i = 0; i < kept_names.size(); ++i)
        if ((!s.policy || s.actions.count(kept_names[i])) && names[i] != kept_names[i]) __builtin_trap();
    return out;
}

void check_csv_row(const Setup& s, const Expected& columns, const Json& row) {
    if (!row.is_array() || row.size() != columns.rules.size()) __builtin_trap();  // row and columns disagree
    for (std::size_t i = 0; i < row.size(); ++i) {
        if (!s.policy) continue;
        check_field(s, columns.rules[i], columns.keep_last[i], row[i]);
    }
}

void check_ndjson_row(const Setup& s, const Json& row) {
    if (!row.is_object()) __builtin_trap();  // an NDJSON payload is not an object
    if (!s.policy) return;
    for (const auto& [key, value] : row.items()) {
        if (leaks(s, key)) __builtin_trap();  // a key kept personal data
        int keep_last = s.keep_last.count(key) ? s.keep_last.at(key) : 0;
        check_field(s, action_of(s, key), keep_last, value);
    }
}

void ingest_file(const Setup& s, bool csv, std::size_t done, std::string_view bytes) {
    edgectl::RecordReader reader(memory_file(bytes), csv ? edgectl::RecordFormat::csv : edgectl::RecordFormat::ndjson,
                                 s.policy ? &*s.policy : nullptr, done);
    Expected columns;
    if (csv) {
        if (auto bad = reader.read_header()) {
            // Ingest stores the reason as the file's quarantine row (its raw text withheld under a
            // policy): the reason must not carry what the policy removes (a repeated column name
            // quoted in it did, a fuzzing find).
            if (s.policy && leaks(s, bad->why)) __builtin_trap();
            return;
        }
        if (!reader.columns().empty())  // an empty file has no header, and no columns
            columns = check_columns(s, reader.columns(), bytes);
    } else if (!reader.columns().empty()) {
        __builtin_trap();  // NDJSON has no columns
    }
    edgectl::RowBatch batch;
    std::size_t last_ordinal = done, last_line = 0;
    while (reader.fill(batch)) {
        for (std::size_t i = 0; i < batch.size; ++i) {
            const edgectl::Row& row = batch.rows[i];
            if (row.ordinal <= last_ordinal || row.line <= last_line) __builtin_trap();  // ordinals, lines go back
            last_ordinal = row.ordinal;
            last_line = row.line;
            if (row.quarantined) {
                if (row.text.empty()) __builtin_trap();                                // no reason given
                if (s.policy && !row.raw.empty()) __builtin_trap();                    // raw text under a policy
                if (row.raw.size() > edgectl::CsvReader::raw_limit) __builtin_trap();  // raw text unbounded
                if (s.policy && leaks(s, row.text)) __builtin_trap();                  // the reason leaks
                continue;
            }
            Json payload = Json::parse(row.text, nullptr, false);
            if (payload.is_discarded()) __builtin_trap();  // the payload is not JSON
            if (csv)
                check_csv_row(s, columns, payload);
            else
                check_ndjson_row(s, payload);
        }
    }
    if (batch.size != 0) __builtin_trap();  // fill said false but handed rows
    // Every record counted; the last handed out is the last one read.
    if (reader.records() > done ? last_ordinal != reader.records() : last_ordinal != done) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    unsigned pick = data[0];
    bool csv = (pick & 1) == 0;
    const Setup& setup = setups()[(pick >> 1) & 3];
    std::size_t done = (pick & 0x18) == 0x18 ? 2 : 0;
    try {
        ingest_file(setup, csv, done, {reinterpret_cast<const char*>(data) + 1, size - 1});
    } catch (const std::exception& e) {
        // On ingest's reading thread an exception ends the whole run: a record must be a row or a
        // reason, never an exception.
        std::fprintf(stderr, "RecordReader threw: %s\n", e.what());
        __builtin_trap();
    }
    return 0;
}
