#pragma once
// Files with the durability edgectl promises: every write that must survive a crash goes through
// AtomicFile (temporary name, fsync, rename, fsync of the directory), so a reader sees the old
// file or the complete new one, never a torn one. Every operation here that changes what a
// directory durably holds takes the name of its durability point (crash.hpp): '<step>', to which
// the operation is appended ('export.sidecar' -> 'export.sidecar:rename').

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
    /// Opens a file for reading that must be a regular file (not a FIFO, a device or a directory,
    /// which could block a read or never end): for input that may be hostile.
    static File open_regular(const fs::path& path);
    /// Opens a file for reading and writing; it must exist.
    static File open_read_write(const fs::path& path);
    /// Creates a new file (fails if it exists) with exactly the given mode, whatever the umask;
    /// open for writing, and with read_back also for reading (verify what was written through the
    /// same descriptor).
    static File create_new(const fs::path& path, mode_t mode, bool read_back = false);
    /// Moves the offset back to the start, to read what was written.
    void rewind();

    int fd() const noexcept { return fd_; }
    const fs::path& path() const noexcept { return path_; }
    /// The file's size now (fstat).
    std::uint64_t size() const;
    /// What identifies this file on this machine: its device and inode.
    std::pair<dev_t, ino_t> id() const;
    /// Reads up to size bytes; 0 at end of file.
    std::size_t read_some(void* buf, std::size_t size);
    void write_all(std::string_view bytes);
    /// fsync, at durability point '<point>:fsync'.
    void sync(std::string_view point);
    /// Closes and reports a failed close (a deferred write error) as an Error.
    void close();

  private:
    int fd_ = -1;
    fs::path path_;
};

/// The device and inode of the file `path` names now (following links), or {0, 0} if none.
std::pair<dev_t, ino_t> file_id(const fs::path& path);

/// fsync a directory so that a rename, creation or removal inside it survives power loss
/// (durability point '<point>:fsync-dir').
void fsync_dir(const fs::path& dir, std::string_view point);

/// syncfs(2) of the filesystem `on` lies on: every file and directory written on it so far,
/// data and names, reaches the disk in one call (durability point '<point>:syncfs'). For many
/// files made durable together, where an fsync of each and of each directory would cost a disk
/// flush apiece.
void sync_filesystem(const fs::path& on, std::string_view point);

/// Renames from to to (same filesystem) and syncs nothing (point '<point>:rename'): for a file
/// that a later sync_filesystem() makes durable before anything refers to it.
void rename_unsynced(const fs::path& from, const fs::path& to, std::string_view point);

/// Renames from to to (same filesystem), then fsyncs the directories of both, so that the rename
/// survives power loss (points '<point>:rename', '<point>:fsync-dir'). Throws Error naming both.
void rename_durably(const fs::path& from, const fs::path& to, std::string_view point);

/// Moves a file, durably, across filesystems too: a rename where it can; otherwise a copy written
/// as an AtomicFile beside `to` (never a partial file under the final name), then the source
/// removed. Points '<point>:rename' (or the copy's), then '<point>-source:unlink'.
void move_file(const fs::path& from, const fs::path& to, std::string_view point);

/// Gives the open file the name `to`, which must not exist, so that the file named is the one that
/// was written and checked through this descriptor: a hard link from /proc/self/fd, then the old
/// name removed; where links are not possible (FAT, exFAT), a rename that must land on this very
/// inode. If the old name no longer holds the file (replaced meanwhile), nothing is named and
/// Error is thrown. Points '<point>:rename', '<point>:fsync-dir', '<point>-temp:unlink'.
void name_open_file(File& file, const fs::path& to, std::string_view point);

/// Removes a file on destruction unless dismissed: a partial file never outlives the failure that
/// left it partial.
class UnlinkGuard {
  public:
    /// Guards nothing (an empty path).
    UnlinkGuard() = default;
    explicit UnlinkGuard(fs::path path) : path_(std::move(path)) {}
    UnlinkGuard(UnlinkGuard&& other) noexcept : path_(std::move(other.path_)), dismissed_(other.dismissed_) {
        other.dismissed_ = true;
    }
    UnlinkGuard(const UnlinkGuard&) = delete;
    UnlinkGuard& operator=(const UnlinkGuard&) = delete;
    UnlinkGuard& operator=(UnlinkGuard&&) = delete;
    ~UnlinkGuard();
    void dismiss() { dismissed_ = true; }

  private:
    fs::path path_;
    bool dismissed_ = false;
};

/// Removes a file or a directory tree if it is there, then fsyncs its parent (points
/// '<point>:unlink', '<point>:fsync-dir'). Throws Error naming it if it cannot be removed.
void remove_durably(const fs::path& path, std::string_view point);

/// Reads a whole file that must not exceed max_bytes; throws Error naming it otherwise.
std::string read_file(const fs::path& path, std::size_t max_bytes = 64u << 20);

/// The prefix of every temporary name AtomicFile gives final_path: '.<name>.tmp-'. A run killed
/// before its commit leaves such a file; the command that owns the directory sweeps them.
std::string atomic_temp_prefix(const fs::path& final_path);

/// Writes to '<dir>/.<name>.tmp-<pid>', then commit() fsyncs and renames it over the final path
/// and fsyncs the directory (points '<point>:fsync', ':rename', ':fsync-dir'). Destroyed
/// uncommitted, it removes the temporary file; made, it first removes the temporaries that killed
/// runs left for the same name ('<point>-stale:unlink').
class AtomicFile {
  public:
    AtomicFile(fs::path final_path, mode_t mode, std::string point);
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
    std::string point_;
    File file_;
    bool committed_ = false;
};

/// Writes content to path atomically (AtomicFile) with the given mode.
void write_file_atomic(const fs::path& path, std::string_view content, mode_t mode, std::string point);

/// Creates a directory with mode and fsyncs its parent (points '<point>:mkdir', ':fsync-dir'); an
/// existing directory is fine.
void make_dir(const fs::path& dir, mode_t mode, std::string_view point);
/// Creates a directory with mode and syncs nothing (point '<point>:mkdir'): for a folder that a
/// later sync_filesystem() makes durable before anything refers to it. An existing one is fine.
void make_dir_unsynced(const fs::path& dir, mode_t mode, std::string_view point);

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

}  // namespace edgectl
