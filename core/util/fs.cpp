#include "util/fs.hpp"

#include "util/clock.hpp"
#include "util/crash.hpp"
#include "util/error.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

namespace edgectl {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

[[noreturn]] void fail_io(std::string_view what, const fs::path& path, int err) {
    throw Error("cannot " + std::string(what) + " " + quote(path) + ": " + errno_text(err));
}

}  // namespace

File& File::operator=(File&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::move(other.path_);
    }
    return *this;
}

File::~File() {
    if (fd_ >= 0) ::close(fd_);
}

File File::open_read(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_io("open", path, errno);
    return File(fd, path);
}

File File::open_regular(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) fail_io("open", path, errno);
    File file(fd, path);
    struct stat st {};
    if (::fstat(fd, &st) != 0) fail_io("read the status of", path, errno);
    if (!S_ISREG(st.st_mode)) throw Error(quote(path) + " is not a regular file");
    return file;
}

std::pair<dev_t, ino_t> File::id() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail_io("read the status of", path_, errno);
    return {st.st_dev, st.st_ino};
}

std::pair<dev_t, ino_t> file_id(const fs::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return {0, 0};
    return {st.st_dev, st.st_ino};
}

File File::open_read_write(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) fail_io("open", path, errno);
    return File(fd, path);
}

std::uint64_t File::size() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail_io("read the size of", path_, errno);
    return std::uint64_t(st.st_size);
}

void File::rewind() {
    if (::lseek(fd_, 0, SEEK_SET) != 0) fail_io("seek in", path_, errno);
}

File File::create_new(const fs::path& path, mode_t mode, bool read_back) {
    int fd = ::open(path.c_str(), (read_back ? O_RDWR : O_WRONLY) | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) fail_io("create", path, errno);
    File file(fd, path);
    // The umask (077 in edgectl) would narrow it: exports and public keys are meant to be readable.
    if (::fchmod(fd, mode) != 0) fail_io("set the mode of", path, errno);
    return file;
}

std::size_t File::read_some(void* buf, std::size_t size) {
    for (;;) {
        ssize_t n = ::read(fd_, buf, size);
        if (n >= 0) return std::size_t(n);
        if (errno != EINTR) fail_io("read", path_, errno);
    }
}

void File::write_all(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            fail_io("write", path_, errno);
        }
        bytes.remove_prefix(std::size_t(n));
    }
}

void File::sync(std::string_view point) {
    crash::point(std::string(point) + ":fsync", path_);
    if (::fsync(fd_) != 0) fail_io("flush to disk", path_, errno);
}

void File::close() {
    int fd = std::exchange(fd_, -1);
    if (fd >= 0 && ::close(fd) != 0) fail_io("close", path_, errno);
}

namespace {

File open_directory(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail_io("open directory", dir, errno);
    return File(fd, dir);
}

}  // namespace

void fsync_dir(const fs::path& dir, std::string_view point) {
    crash::point(std::string(point) + ":fsync-dir", dir);
    File d = open_directory(dir);
    if (::fsync(d.fd()) != 0) fail_io("flush to disk", dir, errno);
}

void rename_unsynced(const fs::path& from, const fs::path& to, std::string_view point) {
    crash::point(std::string(point) + ":rename", to);
    if (::rename(from.c_str(), to.c_str()) != 0)
        throw Error("cannot rename '" + from.string() + "' to '" + to.string() + "': " + std::strerror(errno));
}

void sync_filesystem(const fs::path& on, std::string_view point) {
    crash::point(std::string(point) + ":syncfs", on);
    File d = open_directory(on);
    if (::syncfs(d.fd()) != 0) fail_io("flush to disk the filesystem of", on, errno);
}

namespace {

fs::path parent_of(const fs::path& path) { return path.parent_path().empty() ? fs::path(".") : path.parent_path(); }

}  // namespace

void rename_durably(const fs::path& from, const fs::path& to, std::string_view point) {
    crash::point(std::string(point) + ":rename", to);
    if (::rename(from.c_str(), to.c_str()) != 0)
        throw Error("cannot rename " + quote(from) + " to " + quote(to) + ": " + errno_text(errno));
    fsync_dir(parent_of(to), point);
    if (parent_of(from) != parent_of(to)) fsync_dir(parent_of(from), point);
}

void move_file(const fs::path& from, const fs::path& to, std::string_view point) {
    crash::point(std::string(point) + ":rename", to);
    // Never over a name taken meanwhile.
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
        fsync_dir(parent_of(to), point);
        fsync_dir(parent_of(from), point);
        return;
    }
    if (errno != EXDEV) throw Error("cannot move " + quote(from) + " to " + quote(to) + ": " + errno_text(errno));
    {
        File in = File::open_regular(from);
        AtomicFile copy(to, 0600, std::string(point) + "-copy");
        char buf[1 << 16];
        while (std::size_t n = in.read_some(buf, sizeof buf))
            copy.write({buf, n});
        copy.commit();
    }
    remove_durably(from, std::string(point) + "-source");
}

void name_open_file(File& file, const fs::path& to, std::string_view point) {
    crash::point(std::string(point) + ":rename", to);
    std::string self = "/proc/self/fd/" + std::to_string(file.fd());
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, to.c_str(), AT_SYMLINK_FOLLOW) == 0) {
        fsync_dir(parent_of(to), point);
        crash::point(std::string(point) + "-temp:unlink", file.path());
        if (::unlink(file.path().c_str()) != 0 && errno != ENOENT) fail_io("remove", file.path(), errno);
        fsync_dir(parent_of(file.path()), point);
        return;
    }
    int err = errno;
    bool have_proc = ::access("/proc/self/fd", X_OK) == 0;
    // ENOENT with /proc there: the file has no name left (its temporary name now holds another).
    if (err == ENOENT && have_proc)
        throw Error("'" + file.path().string() +
                    "' no longer names the file that was written and checked (it was "
                    "replaced or removed meanwhile); '" +
                    to.string() + "' was not made");
    if (err != EPERM && err != EOPNOTSUPP && !(err == ENOENT && !have_proc)) fail_io("name the file", to, err);
    // No hard links here (FAT, exFAT): rename without replacing anything, then make sure the new
    // name holds this very file; if another was put in its place meanwhile, give it its name back.
    if (::renameat2(AT_FDCWD, file.path().c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0) {
        if (errno != EINVAL && errno != ENOSYS) fail_io("rename into place", to, errno);
        if (fs::exists(to)) fail_io("rename into place", to, EEXIST);
        if (::rename(file.path().c_str(), to.c_str()) != 0) fail_io("rename into place", to, errno);
    }
    struct stat held {
    }, named{};
    if (::fstat(file.fd(), &held) != 0 || ::stat(to.c_str(), &named) != 0 || held.st_dev != named.st_dev ||
        held.st_ino != named.st_ino) {
        ::rename(to.c_str(), file.path().c_str());
        throw Error("'" + file.path().string() +
                    "' no longer held the file that was written and checked (it was "
                    "replaced meanwhile); '" +
                    to.string() + "' was not made");
    }
    fsync_dir(parent_of(to), point);
}

UnlinkGuard::~UnlinkGuard() {
    if (!dismissed_ && !path_.empty()) ::unlink(path_.c_str());
}

void remove_durably(const fs::path& path, std::string_view point) {
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(path, ec))) return;
    crash::point(std::string(point) + ":unlink", path);
    fs::remove_all(path, ec);
    if (ec) throw Error("cannot remove " + quote(path) + ": " + ec.message());
    fsync_dir(parent_of(path), point);
}

std::string read_file(const fs::path& path, std::size_t max_bytes) {
    File file = File::open_read(path);
    std::string out;
    char buf[1 << 16];
    while (std::size_t n = file.read_some(buf, sizeof buf)) {
        if (out.size() + n > max_bytes)
            throw Error(quote(path) + " is larger than " + std::to_string(max_bytes) + " bytes");
        out.append(buf, n);
    }
    return out;
}

std::string atomic_temp_prefix(const fs::path& final_path) { return "." + final_path.filename().string() + ".tmp-"; }

AtomicFile::AtomicFile(fs::path final_path, mode_t mode, std::string point)
    : final_(std::move(final_path)), point_(std::move(point)) {
    fs::path dir = parent_of(final_);
    std::string prefix = atomic_temp_prefix(final_);
    // What a run killed before its rename left for this very name. Whoever writes a file holds the
    // lock (or owns the directory) that makes it the only writer of that name.
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.path().filename().string().starts_with(prefix)) remove_durably(entry.path(), point_ + "-stale");
    temp_ = dir / (prefix + std::to_string(::getpid()));
    file_ = File::create_new(temp_, mode);
}

AtomicFile::~AtomicFile() {
    if (!committed_) {
        file_ = File();
        ::unlink(temp_.c_str());
    }
}

void AtomicFile::commit() {
    file_.sync(point_);
    file_.close();
    crash::point(point_ + ":rename", final_);
    if (::rename(temp_.c_str(), final_.c_str()) != 0) fail_io("rename into place", final_, errno);
    committed_ = true;
    fsync_dir(parent_of(final_), point_);
}

void write_file_atomic(const fs::path& path, std::string_view content, mode_t mode, std::string point) {
    AtomicFile file(path, mode, std::move(point));
    file.write(content);
    file.commit();
}

namespace {
// mkdir(2) at a durability point; false if dir was there already.
bool create_dir(const fs::path& dir, mode_t mode, std::string_view point) {
    std::error_code ec;
    if (fs::is_directory(dir, ec)) return false;
    crash::point(std::string(point) + ":mkdir", dir);
    if (::mkdir(dir.c_str(), mode) == 0) return true;
    int err = errno;
    if (err == EEXIST && fs::is_directory(dir, ec)) return false;
    fail_io("create directory", dir, err);
}
}  // namespace

void make_dir(const fs::path& dir, mode_t mode, std::string_view point) {
    if (create_dir(dir, mode, point)) fsync_dir(parent_of(dir), point);
}

void make_dir_unsynced(const fs::path& dir, mode_t mode, std::string_view point) { create_dir(dir, mode, point); }

TempDir::TempDir(const fs::path& parent, std::string_view prefix) {
    std::string pattern = (parent / (std::string(prefix) + "XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) fail_io("create a temporary directory in", parent, errno);
    path_ = pattern;
}

TempDir::~TempDir() {
    if (released_) return;
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

std::string now_utc() { return format_utc(system_clock().wall()); }

}  // namespace edgectl
