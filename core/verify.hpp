#pragma once
// `edgectl verify PATH`: tells an export archive from a model package by its first entry and runs
// the matching checks, streaming, without installing or unpacking anything.

#include "ndjson.hpp"
#include "fs.hpp"
#include "trust.hpp"

#include <optional>

#include <string>
#include <vector>

namespace edgectl {

struct VerifyOutcome {
    fs::path path;
    std::string kind;                   ///< export-bag, model-package, or unknown
    std::vector<std::string> problems;  ///< empty when it verified
    Json detail;                        ///< the kind's own report
    bool ok() const { return problems.empty(); }
};

/// Verifies one archive or package. Package signatures are judged against `trusted` when given
/// (a store's trust list), else only reported.
VerifyOutcome verify_artifact(const fs::path& path, const std::optional<std::vector<TrustedKey>>& trusted);

} // namespace edgectl
