#pragma once
// Ed25519 signatures in minisign's formats, so that Debian's `minisign` tool can make and check
// what edgectl checks and makes. Keys: public "Ed"+key id+key; secret "Ed", KDF ("Sc" scrypt or
// none), "B2" checksum, salt, limits, then key id + secret key + BLAKE2b checksum (XORed with the
// scrypt stream when encrypted). Signatures: "ED" (Ed25519 over BLAKE2b-512 of the message) or
// legacy "Ed" (over the message), plus a global signature over signature || trusted comment.

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace edgectl::minisign {

using KeyId = std::array<std::uint8_t, 8>;

/// The key id as minisign prints it: 16 uppercase hex digits, little-endian.
std::string key_id_hex(const KeyId& id);

struct PublicKey {
    KeyId key_id{};
    std::array<std::uint8_t, 32> key{};
};

struct SecretKey {
    KeyId key_id{};
    std::array<std::uint8_t, 64> key{};  ///< libsodium's Ed25519 secret key (seed || public key)
    PublicKey public_key() const;
};

struct Signature {
    bool prehashed = true;
    KeyId key_id{};
    std::array<std::uint8_t, 64> signature{};
    std::string trusted_comment;
    std::array<std::uint8_t, 64> global_signature{};
};

/// A new random key pair.
SecretKey generate();

/// Parses a public key file (two lines) or a bare base64 key. Throws Error naming `where`.
PublicKey parse_public_key(std::string_view text, std::string_view where);
/// Parses a secret key file; an encrypted one needs the password. Throws Error naming `where`.
SecretKey parse_secret_key(std::string_view text, std::string_view where, const std::optional<std::string>& password);
/// True when the secret key file is password-protected (scrypt).
bool secret_key_is_encrypted(std::string_view text, std::string_view where);
/// Parses a .minisig file. Throws VerifyError naming `where`.
Signature parse_signature(std::string_view text, std::string_view where);

std::string format_public_key(const PublicKey& key);
/// An unencrypted secret key file (minisign -W style).
std::string format_secret_key(const SecretKey& key);

/// Reads a public key file (at most 4 KiB). Throws Error naming it.
PublicKey read_public_key(const std::filesystem::path& path);
/// Reads a secret key file (at most 4 KiB); an encrypted one needs the password.
SecretKey read_secret_key(const std::filesystem::path& path, const std::optional<std::string>& password);
/// Writes a key pair, each file atomically and durably (points '<point>:...'): the secret key,
/// owner-only, before the public key, so that a run killed between them leaves a secret key the
/// pair can be finished from. With only_public the secret key file is there already.
void write_key_pair(const std::filesystem::path& secret, const std::filesystem::path& public_key, const SecretKey& key,
                    std::string_view point, bool only_public = false);

/// Signs message (pre-hashed "ED"); returns the .minisig file text.
std::string sign(const SecretKey& key, std::string_view message, std::string_view trusted_comment,
                 std::string_view untrusted_comment = "signature from edgectl secret key");

/// BLAKE2b-512 of a file, streamed: what a pre-hashed ("ED") signature signs.
std::array<std::uint8_t, 64> prehash_file(const std::string& path);

/// The same, fed piece by piece (e.g. beside other digests of the same bytes in one read).
class Prehash {
  public:
    Prehash();
    ~Prehash();
    Prehash(const Prehash&) = delete;
    Prehash& operator=(const Prehash&) = delete;
    void update(const void* data, std::size_t size);
    /// The digest; call once.
    std::array<std::uint8_t, 64> finish();

  private:
    struct State;
    std::unique_ptr<State> state_;
};

/// Signs a BLAKE2b-512 digest computed elsewhere (e.g. by prehash_file); returns the .minisig text.
std::string sign_prehashed(const SecretKey& key, const std::array<std::uint8_t, 64>& digest,
                           std::string_view trusted_comment,
                           std::string_view untrusted_comment = "signature from edgectl secret key");

/// Checks a pre-hashed signature against a digest (see prehash_file). Throws VerifyError.
void verify_prehashed(const PublicKey& key, const Signature& sig, const std::array<std::uint8_t, 64>& digest,
                      std::string_view where);

/// Checks both the signature over message and the global signature over the trusted comment.
/// Throws VerifyError naming `where` on any mismatch.
void verify(const PublicKey& key, const Signature& sig, std::string_view message, std::string_view where);

}  // namespace edgectl::minisign
