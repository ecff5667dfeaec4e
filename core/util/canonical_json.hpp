#pragma once
// Stored JSON text rewritten as nlohmann writes it, without building the value.
//
// Export writes each stored payload and probability list as dump_json(Json::parse(text)): compact,
// keys in std::map order, numbers in nlohmann's own shortest form. Building the value to get there
// was the largest part of turning rows into NDJSON. These functions stream the text instead, for
// the shapes edgectl stores, and give up (returning false, with nothing appended) on anything they
// do not prove equal to that reference: keys out of order or repeated, \u escapes, nesting deeper
// than max_json_depth, numbers out of double's range, invalid text. The caller then parses.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgectl {

/// Appends dump_json(Json::parse(text)) to out; false, out unchanged, when it cannot.
bool append_canonical_json(std::string& out, std::string_view text);

/// For a JSON array: each element as append_canonical_json writes it, appended to storage, and
/// where each one is in it ({offset, size}). False, storage unchanged, when it cannot.
bool canonical_json_elements(std::string_view text, std::string& storage,
                             std::vector<std::pair<std::size_t, std::size_t>>& elements);

/// Appends a double as dump_json(Json(value)) writes it ("null" if it is not finite).
void append_json_double(std::string& out, double value);

}  // namespace edgectl
