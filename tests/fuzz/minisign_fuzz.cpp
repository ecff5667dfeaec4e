// libFuzzer target for the minisign parsers: trusted public keys, secret keys (plain, or scrypt-
// encrypted and opened with a password), and .minisig files, which come with every package and
// export archive and are verified here against a fixed key. The first input byte picks the parser.
// Refusals (Error, VerifyError) are fine; crashes, other exceptions, and a parse that does not
// survive a round trip through the matching format_* function are not.
//
// The scrypt limits of an encrypted key are read from the key file, and parse_secret_key passes them
// to libsodium as they are: derivation costs about opslimit (unbounded) in time, and memory that grows
// with it whatever memlimit says. So a password is only tried on keys whose opslimit is at most 2^17
// (a few MiB, milliseconds); set EDGECTL_FUZZ_ANY_SCRYPT=1 to try it on every key. Until the core
// bounds these limits, that is a known denial of service, reported, not something to rediscover.

#include "util/error.hpp"
#include "util/minisign.hpp"

#include <sodium.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace {

namespace ms = edgectl::minisign;

// A throwaway key pair made with `minisign -G -W` for fuzzing: its secret key is a seed in the corpus.
constexpr std::string_view fixed_public_key = "untrusted comment: minisign public key F18AE57616AD477C\n"
                                              "RWR8R60WduWK8Tj27p4Fwp+3n03BBvAgfd8XN7zTojQDlnsRYnsOB1E9\n";
// The password of the corpus's encrypted keys (made cheap: opslimit 32768, memlimit 16 MiB).
const std::string fuzz_password = "fuzz-password";
constexpr std::uint64_t max_fuzzed_opslimit = std::uint64_t(1) << 17;

// The scrypt opslimit of an encrypted secret key file, read as parse_secret_key reads it (the payload
// is the line after an untrusted comment, or the first line); nullopt when the key is not one.
std::optional<std::uint64_t> scrypt_opslimit(std::string_view text) {
    auto line_end = [](std::string_view t) { return t.substr(0, t.find('\n')); };
    std::string_view line = line_end(text);
    if (line.starts_with("untrusted comment: ")) {
        auto next = text.find('\n');
        line = next == std::string_view::npos ? std::string_view() : line_end(text.substr(next + 1));
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    unsigned char raw[256];
    std::size_t len = 0;
    if (sodium_base642bin(raw, sizeof raw, line.data(), line.size(), nullptr, &len, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        len != 158 || std::memcmp(raw + 2, "Sc", 2) != 0)
        return std::nullopt;
    std::uint64_t ops = 0;
    for (int i = 7; i >= 0; --i)
        ops = (ops << 8) | raw[38 + i];
    return ops;
}

void public_key(std::string_view text) {
    ms::PublicKey key = ms::parse_public_key(text, "key.pub");
    ms::PublicKey again = ms::parse_public_key(ms::format_public_key(key), "again.pub");
    if (again.key_id != key.key_id || again.key != key.key) __builtin_trap();
}

void secret_key(std::string_view text, bool with_password) {
    std::optional<std::string> password;
    if (with_password) {
        auto ops = scrypt_opslimit(text);
        static const bool any_scrypt = std::getenv("EDGECTL_FUZZ_ANY_SCRYPT") != nullptr;
        if (ops && *ops > max_fuzzed_opslimit && !any_scrypt) return;  // see the top of the file
        password = fuzz_password;
    }
    bool encrypted = false;
    try {
        encrypted = ms::secret_key_is_encrypted(text, "key");
    } catch (const edgectl::Error&) {}
    ms::SecretKey key = ms::parse_secret_key(text, "key", password);
    if (encrypted && !password) __builtin_trap();  // opened without its password
    ms::SecretKey again = ms::parse_secret_key(ms::format_secret_key(key), "again", std::nullopt);
    if (again.key_id != key.key_id || again.key != key.key) __builtin_trap();
}

// The input is a .minisig, then optionally a NUL byte and the message it signs.
void signature(std::string_view text) {
    static const ms::PublicKey key = ms::parse_public_key(fixed_public_key, "fixed.pub");
    std::string_view message;
    if (auto nul = text.find('\0'); nul != std::string_view::npos) {
        message = text.substr(nul + 1);
        text = text.substr(0, nul);
    }
    ms::Signature sig = ms::parse_signature(text, "sig.minisig");
    if (sig.trusted_comment.find('\n') != std::string::npos) __builtin_trap();
    bool verified = true;
    try {
        ms::verify(key, sig, message, "sig.minisig");
    } catch (const edgectl::VerifyError&) { verified = false; }
    if (verified && sig.key_id != key.key_id) __builtin_trap();
    if (!sig.prehashed) return;
    // Both ways of checking a pre-hashed signature must agree.
    std::array<std::uint8_t, 64> digest{};
    crypto_generichash(digest.data(), digest.size(), reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), nullptr, 0);
    bool verified_prehashed = true;
    try {
        ms::verify_prehashed(key, sig, digest, "sig.minisig");
    } catch (const edgectl::VerifyError&) { verified_prehashed = false; }
    if (verified != verified_prehashed) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        switch (data[0] % 4) {
        case 0: public_key(text); break;
        case 1: secret_key(text, false); break;
        case 2: secret_key(text, true); break;
        case 3: signature(text); break;
        }
    } catch (const edgectl::Error&) {
        // refused, with a reason
    }
    return 0;
}
