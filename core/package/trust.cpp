#include "package/trust.hpp"

#include "util/error.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <cstdlib>

namespace edgectl {
namespace {

bool is_valid_key_name(std::string_view name) { return is_valid_site_id(name); }

fs::path role_dir(const Store& store, TrustRole role) {
    return role == TrustRole::hubs ? store.trust_dir() / "hubs" : store.trust_dir();
}

}  // namespace

KeygenResult keygen(const fs::path& prefix) {
    KeygenResult r{prefix.string() + ".pub", prefix.string() + ".key", {}};
    if (fs::exists(r.public_key)) throw Error(quote(r.public_key) + " already exists; refusing to overwrite a key");
    // The secret key is written first. One without its public key is what a run killed between the
    // two leaves: the pair is finished from it (minisign's secret key holds the public one).
    std::optional<minisign::SecretKey> key;
    if (fs::exists(r.secret_key)) {
        std::string text = read_file(r.secret_key, 4096);
        if (minisign::secret_key_is_encrypted(text, r.secret_key.string()))
            throw Error(quote(r.secret_key) + " already exists; refusing to overwrite a key");
        key = minisign::parse_secret_key(text, r.secret_key.string(), std::nullopt);
        r.completed = true;
    } else {
        key = minisign::generate();
    }
    r.key_id = minisign::key_id_hex(key->key_id);
    minisign::write_key_pair(r.secret_key, r.public_key, *key, "keygen", r.completed);
    return r;
}

minisign::SecretKey load_secret_key(const fs::path& path) {
    std::optional<std::string> password;
    if (const char* env = std::getenv("EDGECTL_KEY_PASSWORD")) password = env;
    return minisign::read_secret_key(path, password);
}

std::vector<TrustedKey> trusted_keys(const Store& store, TrustRole role) {
    std::vector<TrustedKey> keys;
    std::error_code ec;
    if (!fs::is_directory(role_dir(store, role), ec)) return keys;
    for (const auto& entry : fs::directory_iterator(role_dir(store, role))) {
        if (entry.path().extension() != ".pub" || !entry.is_regular_file()) continue;
        std::string name = entry.path().stem().string();
        auto key = minisign::read_public_key(entry.path());
        keys.push_back({name, minisign::key_id_hex(key.key_id), key});
    }
    std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return keys;
}

TrustedKey trust_add(const Store& store, const StoreLock& lock, const fs::path& file, std::string name,
                     TrustRole role) {
    lock.require("trust");
    auto key = minisign::read_public_key(file);
    std::string id = minisign::key_id_hex(key.key_id);
    if (name.empty()) name = id;
    require(is_valid_key_name(name),
            "trust name " + quote(name) + " is not valid: use letters, digits, '.', '_' or '-'", Exit::usage);
    for (TrustRole r : {TrustRole::packages, TrustRole::hubs})
        for (const auto& k : trusted_keys(store, r)) {
            if (k.name == name && r == role) throw Error("a trusted key named " + quote(name) + " exists already");
            if (k.key_id == id) throw Error("key " + id + " is trusted already, as " + quote(k.name));
        }
    make_dir(role_dir(store, role), 0700, "trust.add");
    write_file_atomic(role_dir(store, role) / (name + ".pub"), minisign::format_public_key(key), 0600, "trust.add");
    return {name, id, key};
}

TrustedKey trust_remove(const Store& store, const StoreLock& lock, const std::string& name_or_id, TrustRole role) {
    lock.require("trust");
    for (const auto& k : trusted_keys(store, role)) {
        if (k.name != name_or_id && k.key_id != name_or_id) continue;
        remove_durably(role_dir(store, role) / (k.name + ".pub"), "trust.remove");
        return k;
    }
    throw Error("no trusted key named " + quote(name_or_id) + " (see 'edgectl trust list')");
}

std::optional<std::string> check_package_signature(const std::optional<std::string>& minisig, const std::string& sums,
                                                   const SignaturePolicy& policy, const std::string& where) {
    if (!minisig) {
        if (policy.allow_unsigned || !policy.require_trusted) {
            if (policy.require_trusted)
                log::warning(quote(where) + " is not signed; importing it because of --allow-unsigned");
            return std::nullopt;
        }
        throw VerifyError("'" + where +
                          "' is not signed (no SHA256SUMS.minisig); refusing it without --allow-unsigned");
    }
    auto sig = minisign::parse_signature(*minisig, where + ": SHA256SUMS.minisig");
    std::string id = minisign::key_id_hex(sig.key_id);
    for (const auto& k : policy.trusted) {
        if (k.key.key_id != sig.key_id) continue;
        minisign::verify(k.key, sig, sums, where + ": SHA256SUMS.minisig");
        return k.name + " (" + id + ")";
    }
    if (!policy.require_trusted) return "key " + id + " (not checked: no store, so no trust list)";
    throw VerifyError(quote(where) + " is signed by key " + id + ", which is not trusted (see 'edgectl trust add')");
}

Json to_json(const std::vector<TrustedKey>& keys) {
    Json out = Json::array();
    for (const auto& k : keys)
        out.push_back({{"name", k.name}, {"key_id", k.key_id}});
    return out;
}

}  // namespace edgectl
