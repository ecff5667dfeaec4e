#include "fs.hpp"

#include "error.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

namespace edgectl {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

[[noreturn]] void fail_io(std::string_view what, const fs::path& path, int err) {
    throw Error("cannot " + std::string(what) + " '" + path.string() + "': " + errno_text(err));
}

} // namespace

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

File File::create_new(const fs::path& path, mode_t mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
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

void File::sync() {
    if (::fsync(fd_) != 0) fail_io("flush to disk", path_, errno);
}

void File::close() {
    int fd = std::exchange(fd_, -1);
    if (fd >= 0 && ::close(fd) != 0) fail_io("close", path_, errno);
}

void fsync_dir(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail_io("open directory", dir, errno);
    File owner(fd, dir);
    owner.sync();
}

std::string read_file(const fs::path& path, std::size_t max_bytes) {
    File file = File::open_read(path);
    std::string out;
    char buf[1 << 16];
    while (std::size_t n = file.read_some(buf, sizeof buf)) {
        if (out.size() + n > max_bytes)
            throw Error("'" + path.string() + "' is larger than " + std::to_string(max_bytes) + " bytes");
        out.append(buf, n);
    }
    return out;
}

AtomicFile::AtomicFile(fs::path final_path, mode_t mode) : final_(std::move(final_path)) {
    temp_ = final_.parent_path() / ("." + final_.filename().string() + ".tmp-" + std::to_string(::getpid()));
    ::unlink(temp_.c_str()); // a leftover of a killed run with the same pid
    file_ = File::create_new(temp_, mode);
}

AtomicFile::~AtomicFile() {
    if (!committed_) {
        file_ = File();
        ::unlink(temp_.c_str());
    }
}

void AtomicFile::commit() {
    file_.sync();
    file_.close();
    if (::rename(temp_.c_str(), final_.c_str()) != 0) fail_io("rename into place", final_, errno);
    committed_ = true;
    fsync_dir(final_.parent_path().empty() ? fs::path(".") : final_.parent_path());
}

void write_file_atomic(const fs::path& path, std::string_view content, mode_t mode) {
    AtomicFile file(path, mode);
    file.write(content);
    file.commit();
}

void make_dir(const fs::path& dir, mode_t mode) {
    if (::mkdir(dir.c_str(), mode) == 0) {
        fsync_dir(dir.parent_path().empty() ? fs::path(".") : dir.parent_path());
        return;
    }
    if (errno == EEXIST && fs::is_directory(dir)) return;
    fail_io("create directory", dir, errno);
}

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

std::string now_utc() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

} // namespace edgectl
