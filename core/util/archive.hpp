#pragma once
// tar.zst reading and writing over libarchive. The reader treats every byte as hostile: only zstd-
// compressed tar is accepted, entry names must be clean relative paths, only regular files and
// directories pass, and sizes and counts are bounded. The writer produces deterministic ustar/pax
// entries (fixed owner, mode and time) and reports the last flush's error on close.

#include "util/fs.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct archive;

namespace edgectl {

/// The most any archive edgectl reads may unpack to. Export plans its volumes within it, so that
/// every archive it writes is one its own verify accepts.
inline constexpr std::uint64_t max_unpacked_bytes = std::uint64_t(64) << 30;

struct ArchiveLimits {
    std::size_t max_entries = 100000;
    std::uint64_t max_entry_bytes = std::uint64_t(4) << 30;
    std::uint64_t max_total_bytes = max_unpacked_bytes;
};

/// The most an archive of `compressed` bytes may unpack to: what reading a hostile one (a zstd
/// stream of zeros) may cost at most. edgectl's own archives unpack to at most ~130 times their
/// size (a backlog of identical records, measured); 1000 times, or 64 MiB for a small one, leaves
/// room for those and still stops a bomb after a second's work instead of after 64 GiB.
std::uint64_t unpacked_limit(std::uint64_t compressed);

/// Sees every byte read from an archive file, in order, each once: digests of exactly the bytes
/// that were checked, from the same read.
using ByteTap = std::function<void(const char* data, std::size_t size)>;

/// Why a tar entry name is unsafe to honour ("" when it is a clean relative path).
std::string unsafe_entry_name(std::string_view name);

class ArchiveReader {
  public:
    struct Entry {
        std::string name;  ///< without a trailing '/' for directories
        bool directory = false;
        std::uint64_t size = 0;
    };

    /// Opens a .tar.zst for streaming.
    ArchiveReader(const fs::path& path, ArchiveLimits limits = {});
    /// Streams a .tar.zst from an open file, from its current offset; every byte read goes
    /// through tap. The file must outlive the reader.
    ArchiveReader(File& file, ArchiveLimits limits, ByteTap tap);
    ~ArchiveReader();
    ArchiveReader(const ArchiveReader&) = delete;
    ArchiveReader& operator=(const ArchiveReader&) = delete;

    /// Advances to the next entry; false at the end. Throws VerifyError for a corrupt stream, a
    /// hostile entry (unsafe name, link, device, FIFO) or a limit exceeded.
    bool next(Entry& entry);
    /// Reads the current entry's data; 0 at its end. Throws VerifyError when the stream is corrupt
    /// or the entry holds more than its header said.
    std::size_t read(void* buf, std::size_t size);
    /// Reads the whole current entry, which must not exceed max_bytes.
    std::string read_all(std::size_t max_bytes);
    /// Once next() returned false: reads the file to its end, past what the archive format needed
    /// (zstd and tar padding, or bytes appended), through the tap, so that it has seen the whole
    /// file. Returns how many bytes that was.
    std::uint64_t drain();

  private:
    void open();
    [[noreturn]] void fail(const std::string& what);
    static ssize_t read_callback(archive* a, void* self, const void** buffer);  // libarchive's
    struct Free {
        void operator()(archive* a) const noexcept;
    };
    std::unique_ptr<archive, Free> a_;
    std::optional<File> owned_;
    File* file_ = nullptr;
    ByteTap tap_;
    std::vector<char> buffer_;
    fs::path path_;
    ArchiveLimits limits_;
    std::string current_;
    std::uint64_t current_left_ = 0;
    std::size_t entries_ = 0;
    std::uint64_t total_ = 0;
};

class ArchiveWriter {
  public:
    /// Writes tar (pax restricted) compressed with zstd at `level` to an open file descriptor.
    ArchiveWriter(File& out, int level, std::int64_t mtime);
    ~ArchiveWriter();
    ArchiveWriter(const ArchiveWriter&) = delete;
    ArchiveWriter& operator=(const ArchiveWriter&) = delete;

    void add_directory(const std::string& name);
    void add_file(const std::string& name, std::string_view content);
    /// Streams a file from disk into the archive under name.
    void add_file_from(const std::string& name, const fs::path& source);
    /// Finishes the archive; throws Error (e.g. disk full) if the final flush fails.
    void close();

  private:
    void header(const std::string& name, std::uint64_t size, bool directory);
    void write(const void* data, std::size_t size);
    [[noreturn]] void fail(const std::string& what);
    struct Free {
        void operator()(archive* a) const noexcept;
    };
    std::unique_ptr<archive, Free> a_;
    fs::path path_;
    std::int64_t mtime_;
    bool closed_ = false;
};

/// Writes a tar.zst as a series of zstd frames, so that an entry's content can be compressed
/// before the archive is written (its size, which its tar header needs first, known by then) and
/// go in as it is: no second compression. Headers are ustar with the same fixed owner and modes as
/// ArchiveWriter's; the entries' own bytes, between their frames, form one tar stream, which any
/// zstd decoder reads as one.
class FramedArchiveWriter {
  public:
    FramedArchiveWriter(File& out, int level, std::int64_t mtime);

    void add_directory(const std::string& name);
    void add_file(const std::string& name, std::string_view content);
    /// Adds a file of `size` bytes whose content is the zstd stream in `frames` (whole frames,
    /// decompressing to exactly `size` bytes), copied into the archive as it is.
    void add_compressed(const std::string& name, std::uint64_t size, const fs::path& frames);
    /// Ends the tar stream.
    void close();

  private:
    void header(const std::string& name, std::uint64_t size, bool directory);
    void pad(std::uint64_t size);
    void flush_frame();
    File& out_;
    int level_;
    std::int64_t mtime_;
    std::string pending_;  ///< tar bytes for the next frame
};

/// The 512-byte ustar header of an entry (fixed owner 0:0, mode 0755 or 0644). Throws Error for a
/// name ustar cannot hold.
std::string ustar_header(const std::string& name, std::uint64_t size, bool directory, std::int64_t mtime);

}  // namespace edgectl
