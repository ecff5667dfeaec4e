#pragma once
// `edgectl verify PATH`: tells an export archive from a model package by its first entry and runs
// the matching checks, streaming, without installing or unpacking anything.

#include "ndjson.hpp"
#include "fs.hpp"

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

VerifyOutcome verify_artifact(const fs::path& path);

} // namespace edgectl
