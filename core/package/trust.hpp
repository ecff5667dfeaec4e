#pragma once
// Who may sign model packages: key pairs (edgectl keygen, minisign-compatible), the store's trust
// list (trust/<name>.pub), and the check of a package's SHA256SUMS.minisig against it.

#include "store/store.hpp"
#include "util/minisign.hpp"
#include "util/ndjson.hpp"

#include <optional>
#include <string>
#include <vector>

namespace edgectl {

struct KeygenResult {
    fs::path public_key, secret_key;
    std::string key_id;
    bool completed = false;  ///< the secret key was there already: only its public key was written
};

/// Writes PREFIX.pub and PREFIX.key (unencrypted, mode 0600); refuses to overwrite either.
KeygenResult keygen(const fs::path& prefix);

/// Reads a secret key file; a password-protected one takes its password from $EDGECTL_KEY_PASSWORD.
minisign::SecretKey load_secret_key(const fs::path& path);

/// What a trusted key may sign: model packages (trust/), or the receipts of a hub (trust/hubs/).
/// A key is trusted for one role only: a package signer's key never vouches for a receipt.
enum class TrustRole { packages, hubs };

struct TrustedKey {
    std::string name;
    std::string key_id;  ///< as minisign prints it
    minisign::PublicKey key;
};

/// The keys in the store's trust list for role, by name.
std::vector<TrustedKey> trusted_keys(const Store& store, TrustRole role = TrustRole::packages);
/// Adds a public key under name (default: its key id). Refuses a name or key already present in
/// either role.
TrustedKey trust_add(const Store& store, const StoreLock& lock, const fs::path& public_key_file, std::string name,
                     TrustRole role = TrustRole::packages);
/// Removes the key with this name or key id; throws Error if there is none.
TrustedKey trust_remove(const Store& store, const StoreLock& lock, const std::string& name_or_id,
                        TrustRole role = TrustRole::packages);

/// How a package's signature is judged.
struct SignaturePolicy {
    std::vector<TrustedKey> trusted;
    bool allow_unsigned = false;  ///< import even without a signature (warned)
    bool require_trusted = true;  ///< false: verify only (no store), report the key id
};

/// Checks the signature of `sums` (the SHA256SUMS bytes). Returns "<name> (<key id>)" of the
/// trusted signer, nullopt for an unsigned package that the policy allows. Throws VerifyError.
std::optional<std::string> check_package_signature(const std::optional<std::string>& minisig, const std::string& sums,
                                                   const SignaturePolicy& policy, const std::string& where);

Json to_json(const std::vector<TrustedKey>& keys);

}  // namespace edgectl
