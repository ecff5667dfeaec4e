#pragma once
// JSON Schema validation (valijson) of documents against the schemas compiled in from schemas/.

#include "util/ndjson.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace edgectl {

/// Validates doc against the JSON Schema text: the first problem, as "at /path: why", or none when
/// the document is valid.
std::optional<std::string> schema_problem(std::string_view schema_text, const Json& doc);

}  // namespace edgectl
