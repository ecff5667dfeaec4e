#pragma once
// tar.zst reading and writing over libarchive. The reader treats every byte as hostile: only zstd-
// compressed tar is accepted, entry names must be clean relative paths, only regular files and
// directories pass, and sizes and counts are bounded. The writer produces deterministic ustar/pax
// entries (fixed owner, mode and time) and reports the last flush's error on close.

#include "fs.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

struct archive;

namespace edgectl {

struct ArchiveLimits {
    std::size_t max_entries = 100000;
    std::uint64_t max_entry_bytes = std::uint64_t(4) << 30;
    std::uint64_t max_total_bytes = std::uint64_t(64) << 30;
};

/// Why a tar entry name is unsafe to honour ("" when it is a clean relative path).
std::string unsafe_entry_name(std::string_view name);

class ArchiveReader {
public:
    struct Entry {
        std::string name;          ///< without a trailing '/' for directories
        bool directory = false;
        std::uint64_t size = 0;
    };

    /// Opens a .tar.zst for streaming. `what` names it in messages.
    ArchiveReader(const fs::path& path, ArchiveLimits limits = {});
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

private:
    [[noreturn]] void fail(const std::string& what);
    struct Free {
        void operator()(archive* a) const noexcept;
    };
    std::unique_ptr<archive, Free> a_;
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

} // namespace edgectl
