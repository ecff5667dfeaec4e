#pragma once
// `edgectl verify PATH`: tells an export archive from a model package by its first entry and runs
// the matching checks, streaming, without installing or unpacking anything.

#include "package/trust.hpp"
#include "util/fs.hpp"
#include "util/ndjson.hpp"

#include <optional>

#include <string>
#include <vector>

namespace edgectl {

/// What an archive turned out to be.
enum class ArtifactKind { export_bag, model_package, unknown };

/// The spelling in output and --json: "export-bag", "model-package", "unknown".
std::string_view to_string(ArtifactKind kind);

struct VerifyOutcome {
    fs::path path;
    ArtifactKind kind = ArtifactKind::unknown;
    std::vector<std::string> problems;  ///< empty when it verified
    Json detail;                        ///< the kind's own report
    bool ok() const { return problems.empty(); }
};

/// What a verification is checked against: the trust list for package signatures and the site's
/// public key for export signatures; an absent one means that signature is only reported.
struct VerifyKeys {
    std::optional<std::vector<TrustedKey>> trusted;
    std::optional<minisign::PublicKey> site_key;
    bool require_signature = false;  ///< an export without a .minisig fails (the key was given explicitly)
    bool run_model = false;          ///< run a package's model even when no trust list vouched for it
};

/// Verifies one archive or package. A package's model is run (loaded, its golden vectors checked)
/// only when its signature was checked against a trust list, or when keys.run_model says so.
/// Problems are reported, not thrown, so that every path is verified.
VerifyOutcome verify_artifact(const fs::path& path, const VerifyKeys& keys);

}  // namespace edgectl
