#pragma once
// Files with the durability edgectl promises: every write that must survive a crash goes through
// AtomicFile (temporary name, fsync, rename, fsync of the directory), so a reader sees the old
// file or the complete new one, never a torn one.

#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>

namespace edgectl {

namespace fs = std::filesystem;

/// An owned file descriptor. Move-only; closes on destruction.
class File {
public:
    File() = default;
    explicit File(int fd, fs::path path) : fd_(fd), path_(std::move(path)) {}
    File(File&& other) noexcept : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}
    File& operator=(File&& other) noexcept;
    File(const File&) = delete;
    File& operator=(const File&) = delete;
    ~File();

    static File open_read(const fs::path& path);
    /// Creates a new file (fails if it exists) with exactly the given mode, whatever the umask.
    static File create_new(const fs::path& path, mode_t mode);

    int fd() const noexcept { return fd_; }
    const fs::path& path() const noexcept { return path_; }
    /// Reads up to size bytes; 0 at end of file.
    std::size_t read_some(void* buf, std::size_t size);
    void write_all(std::string_view bytes);
    void sync();
    /// Closes and reports a failed close (a deferred write error) as an Error.
    void close();

private:
    int fd_ = -1;
    fs::path path_;
};

/// fsync a directory so that a rename or creation inside it survives power loss.
void fsync_dir(const fs::path& dir);

/// Reads a whole file that must not exceed max_bytes; throws Error naming it otherwise.
std::string read_file(const fs::path& path, std::size_t max_bytes = 64u << 20);

/// Writes to '<dir>/.<name>.tmp-<pid>', then commit() fsyncs and renames it over the final path
/// and fsyncs the directory. Destroyed uncommitted, it removes the temporary file.
class AtomicFile {
public:
    AtomicFile(fs::path final_path, mode_t mode);
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    ~AtomicFile();

    void write(std::string_view bytes) { file_.write_all(bytes); }
    File& file() { return file_; }
    const fs::path& temp_path() const { return temp_; }
    void commit();

private:
    fs::path final_;
    fs::path temp_;
    File file_;
    bool committed_ = false;
};

/// Writes content to path atomically (AtomicFile) with the given mode.
void write_file_atomic(const fs::path& path, std::string_view content, mode_t mode = 0644);

/// Creates a directory with mode (and fsyncs its parent); an existing directory is fine.
void make_dir(const fs::path& dir, mode_t mode);

/// A uniquely named directory under parent, removed with its contents on destruction unless
/// release() was called.
class TempDir {
public:
    TempDir(const fs::path& parent, std::string_view prefix);
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();
    const fs::path& path() const { return path_; }
    void release() { released_ = true; }

private:
    fs::path path_;
    bool released_ = false;
};

/// Current time as ISO-8601 UTC with seconds, e.g. 2026-11-22T08:15:00Z.
std::string now_utc();

} // namespace edgectl
