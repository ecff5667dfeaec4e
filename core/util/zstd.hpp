#pragma once
// zstd streams: a compressor that writes as it is fed and counts what it produced, one-shot frames,
// and a compressed file read back in chunks. A zstd stream may be any number of frames one after
// another; every decoder (the zstd tool, libarchive, libzstd's streaming API) reads them as one.

#include "util/fs.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct ZSTD_CCtx_s;

namespace edgectl {

class ZstdWriter {
  public:
    /// Compresses at `level` into `out` (which it owns) as one frame; with no file, it only counts
    /// the compressed bytes.
    ZstdWriter(std::optional<File> out, int level);
    ZstdWriter(ZstdWriter&&) noexcept;
    ZstdWriter& operator=(ZstdWriter&&) noexcept;
    ~ZstdWriter();

    /// Caps the window (2^log bytes): what a decoder must hold. Call before writing.
    void limit_window(int log);
    void write(std::string_view bytes);
    /// Makes everything written so far decodable from the output (zstd ends its current block).
    void flush();
    /// Ends the frame, writes the rest out and closes the file; with a point, flushes the file to
    /// disk first ('<point>:fsync').
    void finish(std::string_view sync_point = {});
    /// Frees the compressor's memory; nothing can be written after.
    void release();

    std::uint64_t bytes_in() const { return in_; }
    /// Compressed bytes produced so far; exact once flushed.
    std::uint64_t bytes_out() const { return out_bytes_; }

  private:
    void run(std::string_view bytes, int directive);
    void drain();
    struct Free {
        void operator()(ZSTD_CCtx_s* c) const noexcept;
    };
    std::unique_ptr<ZSTD_CCtx_s, Free> cctx_;
    std::optional<File> out_;
    std::vector<char> buf_;
    std::size_t used_ = 0;
    std::uint64_t in_ = 0, out_bytes_ = 0;
};

/// bytes as one zstd frame at level.
std::string zstd_frame(std::string_view bytes, int level);

/// Decompresses the zstd stream in `path`, handing each `chunk` bytes of it to `each` (the last
/// piece may be shorter). The stream may stop at a flush inside a frame (a file being written):
/// it is read up to there. For edgectl's own files only; it does not check that a frame ended.
void read_zstd_chunks(const fs::path& path, std::size_t chunk, const std::function<void(std::string_view)>& each);

}  // namespace edgectl
