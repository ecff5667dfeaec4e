#include "util/minisign.hpp"

#include "util/error.hpp"
#include "util/fs.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace edgectl::minisign {
namespace {

constexpr std::string_view untrusted_prefix = "untrusted comment: ";
constexpr std::string_view trusted_prefix = "trusted comment: ";
constexpr std::size_t keynum_sk_bytes = 8 + 64 + 32;  // key id, secret key, checksum

void init_sodium() {
    static const bool ok = sodium_init() >= 0;
    if (!ok) throw Error("cannot initialise libsodium");
}

std::string to_base64(const std::vector<std::uint8_t>& bytes) {
    std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
    out.resize(std::strlen(out.c_str()));
    return out;
}

std::optional<std::vector<std::uint8_t>> from_base64(std::string_view text, std::size_t max) {
    std::vector<std::uint8_t> out(max);
    std::size_t len = 0;
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return std::nullopt;
    out.resize(len);
    return out;
}

// Splits text into lines (without line ends), at most `limit` of them.
std::vector<std::string_view> lines(std::string_view text, std::size_t limit) {
    std::vector<std::string_view> out;
    while (!text.empty() && out.size() < limit) {
        auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        out.push_back(line);
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 1);
    }
    return out;
}

// The base64 payload line of a key file: the line after the untrusted comment, or a bare line.
std::string_view payload_line(std::string_view text) {
    auto l = lines(text, 2);
    if (!l.empty() && l[0].starts_with(untrusted_prefix)) return l.size() > 1 ? l[1] : std::string_view();
    return l.empty() ? std::string_view() : l[0];
}

template <std::size_t N>
void copy_out(std::array<std::uint8_t, N>& to, const std::vector<std::uint8_t>& from, std::size_t at) {
    std::memcpy(to.data(), from.data() + at, N);
}

std::array<std::uint8_t, 32> secret_checksum(const SecretKey& k) {
    std::array<std::uint8_t, 32> chk{};
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, chk.size());
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>("Ed"), 2);
    crypto_generichash_update(&st, k.key_id.data(), k.key_id.size());
    crypto_generichash_update(&st, k.key.data(), k.key.size());
    crypto_generichash_final(&st, chk.data(), chk.size());
    return chk;
}

std::uint64_t load_le64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

void store_le64(std::uint8_t* p, std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
        p[i] = std::uint8_t(v >> (8 * i));
}

}  // namespace

std::string key_id_hex(const KeyId& id) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (int i = 7; i >= 0; --i) {
        out.push_back(hex[id[std::size_t(i)] >> 4]);
        out.push_back(hex[id[std::size_t(i)] & 0xf]);
    }
    return out;
}

PublicKey SecretKey::public_key() const {
    PublicKey p;
    p.key_id = key_id;
    crypto_sign_ed25519_sk_to_pk(p.key.data(), key.data());
    return p;
}

SecretKey generate() {
    init_sodium();
    SecretKey k;
    std::array<std::uint8_t, 32> pk{};
    crypto_sign_keypair(pk.data(), k.key.data());
    randombytes_buf(k.key_id.data(), k.key_id.size());
    return k;
}

PublicKey parse_public_key(std::string_view text, std::string_view where) {
    auto raw = from_base64(payload_line(text), 64);
    if (!raw || raw->size() != 42 || std::memcmp(raw->data(), "Ed", 2) != 0)
        throw Error(quote(std::string(where)) + " is not a minisign public key");
    PublicKey k;
    copy_out(k.key_id, *raw, 2);
    copy_out(k.key, *raw, 10);
    return k;
}

bool secret_key_is_encrypted(std::string_view text, std::string_view where) {
    auto raw = from_base64(payload_line(text), 256);
    if (!raw || raw->size() != 158) throw Error(quote(std::string(where)) + " is not a minisign secret key");
    return std::memcmp(raw->data() + 2, "Sc", 2) == 0;
}

// minisign's scrypt settings for new keys (crypto_pwhash_scryptsalsa208sha256's "sensitive" limits).
constexpr std::uint64_t max_scrypt_opslimit = std::uint64_t(1) << 25;
constexpr std::uint64_t max_scrypt_memlimit = std::uint64_t(1) << 30;

SecretKey parse_secret_key(std::string_view text, std::string_view where, const std::optional<std::string>& password) {
    init_sodium();
    std::string name(where);
    auto raw = from_base64(payload_line(text), 256);
    // sig alg (2), kdf alg (2), checksum alg (2), salt (32), opslimit (8), memlimit (8), keynum_sk (104)
    if (!raw || raw->size() != 158 || std::memcmp(raw->data(), "Ed", 2) != 0 ||
        std::memcmp(raw->data() + 4, "B2", 2) != 0)
        throw Error(quote(name) + " is not a minisign secret key");
    std::uint8_t* block = raw->data() + 54;
    if (std::memcmp(raw->data() + 2, "Sc", 2) == 0) {
        if (!password) throw Error("secret key " + quote(name) + " is password-protected: set EDGECTL_KEY_PASSWORD");
        std::vector<std::uint8_t> stream(keynum_sk_bytes);
        std::uint64_t ops = load_le64(raw->data() + 38), mem = load_le64(raw->data() + 46);
        // The key file chooses scrypt's cost, and libsodium honours any: a crafted key could make
        // signing run for days or take gigabytes. Nothing above minisign's own settings (its
        // defaults are these maxima) is tried.
        if (ops > max_scrypt_opslimit || mem > max_scrypt_memlimit)
            throw Error("secret key " + quote(name) + " asks for key derivation costs above minisign's (opslimit " +
                        std::to_string(ops) + ", memlimit " + std::to_string(mem) + "); refusing to derive it");
        if (crypto_pwhash_scryptsalsa208sha256(stream.data(), stream.size(), password->data(), password->size(),
                                               raw->data() + 6, ops, std::size_t(mem)) != 0)
            throw Error("cannot derive the key of " + quote(name) + " (out of memory?)");
        for (std::size_t i = 0; i < keynum_sk_bytes; ++i)
            block[i] ^= stream[i];
    } else if (raw->at(2) != 0 || raw->at(3) != 0) {
        throw Error("secret key " + quote(name) + " uses an unknown key derivation");
    }
    SecretKey k;
    std::memcpy(k.key_id.data(), block, 8);
    std::memcpy(k.key.data(), block + 8, 64);
    auto chk = secret_checksum(k);
    // minisign -W (no password) leaves the checksum zero, and checks it only when decrypting.
    bool unchecked =
        raw->at(2) == 0 && std::all_of(block + 72, block + 72 + chk.size(), [](std::uint8_t b) { return b == 0; });
    if (!unchecked && sodium_memcmp(chk.data(), block + 72, chk.size()) != 0)
        throw Error("secret key " + quote(name) + " does not check out (wrong password, or a damaged key)");
    sodium_memzero(raw->data(), raw->size());
    return k;
}

Signature parse_signature(std::string_view text, std::string_view where) {
    std::string name(where);
    auto l = lines(text, 4);
    if (l.size() < 4 || !l[0].starts_with(untrusted_prefix) || !l[2].starts_with(trusted_prefix))
        throw VerifyError(quote(name) + " is not a minisign signature file");
    auto sig = from_base64(l[1], 128);
    auto global = from_base64(l[3], 128);
    if (!sig || sig->size() != 74 || !global || global->size() != 64)
        throw VerifyError(quote(name) + " is not a minisign signature file");
    Signature s;
    if (std::memcmp(sig->data(), "ED", 2) == 0)
        s.prehashed = true;
    else if (std::memcmp(sig->data(), "Ed", 2) == 0)
        s.prehashed = false;
    else
        throw VerifyError(quote(name) + " uses an unknown signature algorithm");
    copy_out(s.key_id, *sig, 2);
    copy_out(s.signature, *sig, 10);
    s.trusted_comment = std::string(l[2].substr(trusted_prefix.size()));
    copy_out(s.global_signature, *global, 0);
    return s;
}

std::string format_public_key(const PublicKey& k) {
    std::vector<std::uint8_t> raw = {'E', 'd'};
    raw.insert(raw.end(), k.key_id.begin(), k.key_id.end());
    raw.insert(raw.end(), k.key.begin(), k.key.end());
    return std::string(untrusted_prefix) + "minisign public key " + key_id_hex(k.key_id) + "\n" + to_base64(raw) + "\n";
}

std::string format_secret_key(const SecretKey& k) {
    std::vector<std::uint8_t> raw(158, 0);
    std::memcpy(raw.data(), "Ed", 2);  // kdf "\0\0": not encrypted
    std::memcpy(raw.data() + 4, "B2", 2);
    store_le64(raw.data() + 38, 0);
    store_le64(raw.data() + 46, 0);
    std::memcpy(raw.data() + 54, k.key_id.data(), 8);
    std::memcpy(raw.data() + 62, k.key.data(), 64);
    auto chk = secret_checksum(k);
    std::memcpy(raw.data() + 126, chk.data(), 32);
    std::string out = std::string(untrusted_prefix) + "minisign secret key (unencrypted) " + key_id_hex(k.key_id) +
                      "\n" + to_base64(raw) + "\n";
    sodium_memzero(raw.data(), raw.size());
    return out;
}

struct Prehash::State {
    crypto_generichash_state st;
};

Prehash::Prehash() : state_(std::make_unique<State>()) {
    init_sodium();
    crypto_generichash_init(&state_->st, nullptr, 0, 64);
}

Prehash::~Prehash() = default;

void Prehash::update(const void* data, std::size_t size) {
    crypto_generichash_update(&state_->st, static_cast<const unsigned char*>(data), size);
}

std::array<std::uint8_t, 64> Prehash::finish() {
    std::array<std::uint8_t, 64> digest{};
    crypto_generichash_final(&state_->st, digest.data(), digest.size());
    return digest;
}

std::array<std::uint8_t, 64> prehash_file(const std::string& path) {
    File file = File::open_read(path);
    Prehash hash;
    std::vector<unsigned char> buf(1 << 16);
    while (std::size_t n = file.read_some(buf.data(), buf.size()))
        hash.update(buf.data(), n);
    return hash.finish();
}

std::string sign(const SecretKey& k, std::string_view message, std::string_view trusted_comment,
                 std::string_view untrusted_comment) {
    init_sodium();
    std::array<std::uint8_t, 64> digest{};
    crypto_generichash(digest.data(), digest.size(), reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), nullptr, 0);
    return sign_prehashed(k, digest, trusted_comment, untrusted_comment);
}

std::string sign_prehashed(const SecretKey& k, const std::array<std::uint8_t, 64>& digest,
                           std::string_view trusted_comment, std::string_view untrusted_comment) {
    init_sodium();
    if (trusted_comment.find('\n') != std::string_view::npos || untrusted_comment.find('\n') != std::string_view::npos)
        throw Error("a signature comment cannot hold a line break");
    std::vector<std::uint8_t> sig = {'E', 'D'};
    sig.insert(sig.end(), k.key_id.begin(), k.key_id.end());
    sig.resize(74);
    crypto_sign_detached(sig.data() + 10, nullptr, digest.data(), digest.size(), k.key.data());
    std::vector<std::uint8_t> global_input(sig.begin() + 10, sig.end());
    global_input.insert(global_input.end(), trusted_comment.begin(), trusted_comment.end());
    std::vector<std::uint8_t> global(64);
    crypto_sign_detached(global.data(), nullptr, global_input.data(), global_input.size(), k.key.data());
    return std::string(untrusted_prefix) + std::string(untrusted_comment) + "\n" + to_base64(sig) + "\n" +
           std::string(trusted_prefix) + std::string(trusted_comment) + "\n" + to_base64(global) + "\n";
}

namespace {

// Checks the key id, the signature over the signed bytes, and the global signature.
void verify_signed(const PublicKey& k, const Signature& s, const unsigned char* signed_bytes, std::size_t signed_size,
                   const std::string& name) {
    if (s.key_id != k.key_id)
        throw VerifyError(quote(name) + " is signed by key " + key_id_hex(s.key_id) + ", not by key " +
                          key_id_hex(k.key_id));
    if (crypto_sign_verify_detached(s.signature.data(), signed_bytes, signed_size, k.key.data()) != 0)
        throw VerifyError(quote(name) + ": signature verification failed");
    std::vector<std::uint8_t> global_input(s.signature.begin(), s.signature.end());
    global_input.insert(global_input.end(), s.trusted_comment.begin(), s.trusted_comment.end());
    if (crypto_sign_verify_detached(s.global_signature.data(), global_input.data(), global_input.size(),
                                    k.key.data()) != 0)
        throw VerifyError(quote(name) + ": the trusted comment's signature does not verify");
}

}  // namespace

void verify(const PublicKey& k, const Signature& s, std::string_view message, std::string_view where) {
    init_sodium();
    std::array<std::uint8_t, 64> digest{};
    const unsigned char* signed_bytes = reinterpret_cast<const unsigned char*>(message.data());
    std::size_t signed_size = message.size();
    if (s.prehashed) {
        crypto_generichash(digest.data(), digest.size(), signed_bytes, signed_size, nullptr, 0);
        signed_bytes = digest.data();
        signed_size = digest.size();
    }
    verify_signed(k, s, signed_bytes, signed_size, std::string(where));
}

void verify_prehashed(const PublicKey& k, const Signature& s, const std::array<std::uint8_t, 64>& digest,
                      std::string_view where) {
    init_sodium();
    if (!s.prehashed)
        throw VerifyError("'" + std::string(where) +
                          "' is a legacy (not pre-hashed) signature; expected a pre-hashed one");
    verify_signed(k, s, digest.data(), digest.size(), std::string(where));
}

PublicKey read_public_key(const fs::path& path) { return parse_public_key(read_file(path, 4096), path.string()); }

SecretKey read_secret_key(const fs::path& path, const std::optional<std::string>& password) {
    return parse_secret_key(read_file(path, 4096), path.string(), password);
}

void write_key_pair(const fs::path& secret, const fs::path& public_key, const SecretKey& key, std::string_view point,
                    bool only_public) {
    if (!only_public) write_file_atomic(secret, format_secret_key(key), 0600, std::string(point));
    write_file_atomic(public_key, format_public_key(key.public_key()), 0644, std::string(point));
}

}  // namespace edgectl::minisign
