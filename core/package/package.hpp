#pragma once
// Model packages (docs/model-packages.md): a .tar.zst holding model.json, model.pt, golden.ndjson, SHA256SUMS
// (and SHA256SUMS.minisig once signing lands). pack_model builds one; verify_package proves one
// intact and answering correctly on this machine without installing it; import_model does the same
// and then installs it atomically.

#include "model/spec.hpp"
#include "package/trust.hpp"
#include "store/store.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace edgectl {

struct PackOptions {
    fs::path model;     ///< TorchScript file
    fs::path spec;      ///< model.json
    fs::path golden;    ///< golden.ndjson
    fs::path output;    ///< the package to write
    fs::path sign_key;  ///< minisign secret key to sign SHA256SUMS with; empty: unsigned
};

/// Builds a package; refuses (VerifyError) a spec that fails its schema or a model that does not
/// reproduce its own golden vectors, so a bad package is never made.
void pack_model(const PackOptions& options);

/// One check of a package and its outcome, for `verify --json`.
struct PackageCheck {
    std::string name;
    bool ok = true;
    std::string detail;  ///< what passed, or why it failed
};

struct VerifiedPackage {
    ModelSpec spec;
    std::map<std::string, std::string> files;  ///< entry name -> bytes
    std::string digest;                        ///< SHA-256 of SHA256SUMS: the package's identity
    std::optional<std::string> signer;
    std::size_t golden_vectors = 0;
};

/// Runs every check of a package in order, appending each outcome to `trail`; throws VerifyError
/// naming the entry and the cause at the first that fails. Nothing is written to disk. Without
/// run_model, the TorchScript is neither loaded nor run (its golden vectors unchecked): loading
/// deserialises the package's bytes, which only an authenticated signature makes safe.
VerifiedPackage verify_package(const fs::path& path, const SignaturePolicy& policy, std::vector<PackageCheck>& trail,
                               bool run_model);
VerifiedPackage verify_package(const fs::path& path, const SignaturePolicy& policy);

struct ImportOptions {
    fs::path package;
    bool activate = false;
    bool allow_unsigned = false;   ///< accept a package without a signature (warned)
    bool allow_downgrade = false;  ///< accept a version older than the active one
};

struct ImportResult {
    std::string name, version, digest;
    std::size_t golden_vectors = 0;
    bool activated = false;
    bool unchanged = false;  ///< this exact package was already installed
};

/// Verifies and installs a package under models/<name>/<version>/; nothing becomes visible unless
/// every check passed.
ImportResult import_model(Store& store, const StoreLock& lock, const ImportOptions& options);

Json to_json(const std::vector<PackageCheck>& checks);

}  // namespace edgectl
