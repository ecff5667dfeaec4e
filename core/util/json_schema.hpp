#pragma once
// JSON Schema validation (valijson) of documents against the schemas compiled in from schemas/.

#include "util/ndjson.hpp"

#include <string>
#include <string_view>

namespace edgectl {

/// Validates doc against the JSON Schema text; returns the first problem as "at /path: why", or an
/// empty string when the document is valid.
std::string schema_problem(std::string_view schema_text, const Json& doc);

}  // namespace edgectl
