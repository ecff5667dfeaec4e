#pragma once
// SHA-256 through OpenSSL's libcrypto, which uses the CPU's SHA instructions (about 7x coreutils).

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace edgectl {

/// Incremental SHA-256. finish() may be called once.
class Sha256 {
  public:
    Sha256();
    void update(const void* data, std::size_t size);
    void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
    /// The digest as 64 lowercase hex digits.
    std::string finish();

  private:
    struct Free {
        void operator()(evp_md_ctx_st* ctx) const noexcept;
    };
    std::unique_ptr<evp_md_ctx_st, Free> ctx_;
};

/// SHA-256 of bytes, as lowercase hex.
std::string sha256_hex(std::string_view bytes);

/// SHA-256 of a file's contents, streamed; throws Error naming the file if it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

/// `bytes` random bytes from OpenSSL's CSPRNG, as lowercase hex.
std::string random_hex(std::size_t bytes);

/// True for exactly 64 lowercase hex digits.
bool is_sha256_hex(std::string_view text);

}  // namespace edgectl
