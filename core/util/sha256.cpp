#include "util/sha256.hpp"

#include "util/error.hpp"
#include "util/fs.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>

namespace edgectl {

void Sha256::Free::operator()(evp_md_ctx_st* ctx) const noexcept { EVP_MD_CTX_free(ctx); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
        throw Error("cannot initialise SHA-256 (OpenSSL)");
}

void Sha256::update(const void* data, std::size_t size) {
    if (EVP_DigestUpdate(ctx_.get(), data, size) != 1) throw Error("SHA-256 update failed (OpenSSL)");
}

std::string Sha256::finish() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), md.data(), &len) != 1) throw Error("SHA-256 final failed (OpenSSL)");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(std::size_t(len) * 2);
    for (unsigned int i = 0; i < len; ++i) {
        out.push_back(hex[md[i] >> 4]);
        out.push_back(hex[md[i] & 0xf]);
    }
    return out;
}

std::string sha256_hex(std::string_view bytes) {
    Sha256 h;
    h.update(bytes);
    return h.finish();
}

std::string sha256_file(const std::filesystem::path& path) {
    Sha256 h;
    File file = File::open_read(path);
    std::array<char, 1 << 16> buf{};
    while (std::size_t n = file.read_some(buf.data(), buf.size()))
        h.update(buf.data(), n);
    return h.finish();
}

namespace {
constexpr char hex_digits[] = "0123456789abcdef";
}

std::string random_hex(std::size_t bytes) {
    std::string raw(bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), int(raw.size())) != 1)
        throw Error("cannot draw random bytes (OpenSSL)");
    std::string out;
    for (unsigned char b : raw) {
        out.push_back(hex_digits[b >> 4]);
        out.push_back(hex_digits[b & 0xf]);
    }
    return out;
}

bool is_sha256_hex(std::string_view text) {
    if (text.size() != 64) return false;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

}  // namespace edgectl
