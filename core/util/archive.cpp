#include "util/archive.hpp"

#include "util/error.hpp"
#include "util/zstd.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace edgectl {

std::string unsafe_entry_name(std::string_view name) {
    if (name.empty()) return "has an empty name";
    if (name.size() > 1024) return "has a name longer than 1024 bytes";
    if (name.front() == '/') return "is an absolute path";
    std::size_t start = 0;
    while (start <= name.size()) {
        std::size_t end = name.find('/', start);
        if (end == std::string_view::npos) end = name.size();
        std::string_view part = name.substr(start, end - start);
        if (part == "..") return "leaves the archive ('..')";
        if (part == "." || (part.empty() && end != name.size())) return "is not a clean relative path";
        start = end + 1;
    }
    for (unsigned char c : name)
        if (c < 0x20 || c == 0x7f || c == '\\') return "has a control character or backslash in its name";
    return {};
}

std::uint64_t unpacked_limit(std::uint64_t compressed) {
    constexpr std::uint64_t ratio = 1000, floor = std::uint64_t(64) << 20, ceiling = max_unpacked_bytes;
    if (compressed > ceiling / ratio) return ceiling;
    return std::max(floor, compressed * ratio);
}

namespace {

// True when the file begins with a zstd frame's magic number (28 B5 2F FD): then a read failure
// means damage, not a file of another kind.
bool starts_with_zstd_magic(const fs::path& path) {
    try {
        File file = File::open_read(path);
        unsigned char magic[4] = {};
        return file.read_some(magic, 4) == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f &&
               magic[3] == 0xfd;
    } catch (const Error&) { return false; }
}

}  // namespace

void ArchiveReader::Free::operator()(archive* a) const noexcept { archive_read_free(a); }

ArchiveReader::ArchiveReader(const fs::path& path, ArchiveLimits limits) : path_(path), limits_(limits) {
    if (!fs::exists(path)) throw Error("cannot open '" + path.string() + "': no such file");
    owned_.emplace(File::open_regular(path));
    file_ = &*owned_;
    open();
}

ArchiveReader::ArchiveReader(File& file, ArchiveLimits limits, ByteTap tap)
    : file_(&file), tap_(std::move(tap)), path_(file.path()), limits_(limits) {
    open();
}

// libarchive pulls the bytes through read_callback, so that the tap sees each of them once.
void ArchiveReader::open() {
    a_.reset(archive_read_new());
    if (!a_) throw Error("out of memory opening '" + path_.string() + "'");
    buffer_.resize(1 << 16);
    archive_read_support_filter_zstd(a_.get());
    archive_read_support_format_tar(a_.get());
    if (archive_read_open(a_.get(), this, nullptr, read_callback, nullptr) != ARCHIVE_OK)
        fail(starts_with_zstd_magic(path_) ? "is corrupt or truncated" : "is not a zstd-compressed tar archive");
}

ssize_t ArchiveReader::read_callback(archive* a, void* self, const void** buffer) {
    auto* r = static_cast<ArchiveReader*>(self);
    try {
        std::size_t n = r->file_->read_some(r->buffer_.data(), r->buffer_.size());
        if (r->tap_) r->tap_(r->buffer_.data(), n);
        *buffer = r->buffer_.data();
        return ssize_t(n);
    } catch (const Error& e) {
        archive_set_error(a, EIO, "%s", e.what());
        return -1;
    }
}

std::uint64_t ArchiveReader::drain() {
    std::uint64_t rest = 0;
    while (std::size_t n = file_->read_some(buffer_.data(), buffer_.size())) {
        if (tap_) tap_(buffer_.data(), n);
        rest += n;
    }
    return rest;
}

ArchiveReader::~ArchiveReader() = default;

void ArchiveReader::fail(const std::string& what) {
    const char* why = archive_error_string(a_.get());
    std::string message = "'" + path_.string() + "' " + what;
    if (why && *why) message += std::string(" (") + why + ")";
    throw VerifyError(message);
}

bool ArchiveReader::next(Entry& entry) {
    // Drain what is left of the previous entry, so its damage is seen here rather than missed.
    char sink[1 << 14];
    while (current_left_ > 0 && read(sink, sizeof sink) > 0) {}
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(a_.get(), &e);
    if (rc == ARCHIVE_EOF) return false;
    if (rc != ARCHIVE_OK)
        fail(entries_ == 0 && !starts_with_zstd_magic(path_) ? "is not a zstd-compressed tar archive"
                                                             : "is corrupt or truncated");
    if (++entries_ > limits_.max_entries)
        throw VerifyError("'" + path_.string() + "' holds more than " + std::to_string(limits_.max_entries) +
                          " entries");
    const char* raw_name = archive_entry_pathname(e);
    std::string name = raw_name ? raw_name : "";
    auto type = archive_entry_filetype(e);
    entry.directory = type == AE_IFDIR;
    if (entry.directory && !name.empty() && name.back() == '/') name.pop_back();
    current_ = name;
    auto hostile = [&](const std::string& why) {
        throw VerifyError("'" + path_.string() + "': entry '" + name + "' " + why);
    };
    if (std::string why = unsafe_entry_name(name); !why.empty()) hostile(why);
    if (archive_entry_hardlink(e)) hostile("is a hard link");
    if (type == AE_IFLNK) hostile("is a symbolic link");
    if (type != AE_IFREG && type != AE_IFDIR) hostile("is not a regular file or directory (device, FIFO or socket)");
    if (archive_entry_size_is_set(e) && archive_entry_size(e) < 0) hostile("has a negative size");
    // A sparse entry declares a large file of which it stores only the data: edgectl writes none,
    // and reading one hashes gigabytes of zeros the archive never held.
    if (archive_entry_sparse_count(e) > 0) hostile("is a sparse file");
    entry.name = name;
    entry.size = entry.directory ? 0 : std::uint64_t(archive_entry_size(e));
    if (entry.size > limits_.max_entry_bytes)
        hostile("is larger than the limit of " + std::to_string(limits_.max_entry_bytes) + " bytes");
    total_ += entry.size;
    if (total_ > limits_.max_total_bytes)
        throw VerifyError("'" + path_.string() + "' unpacks to more than " + std::to_string(limits_.max_total_bytes) +
                          " bytes, more than an archive of its size can hold (a decompression bomb?)");
    current_left_ = entry.size;
    return true;
}

std::size_t ArchiveReader::read(void* buf, std::size_t size) {
    la_ssize_t n = archive_read_data(a_.get(), buf, size);
    if (n < 0) fail("is corrupt or truncated in entry '" + current_ + "'");
    if (std::uint64_t(n) > current_left_) fail("entry '" + current_ + "' holds more data than its header says");
    current_left_ -= std::uint64_t(n);
    if (n == 0 && current_left_ > 0) fail("is truncated in entry '" + current_ + "'");
    return std::size_t(n);
}

std::string ArchiveReader::read_all(std::size_t max_bytes) {
    if (current_left_ > max_bytes)
        throw VerifyError("'" + path_.string() + "': entry '" + current_ + "' is larger than the limit of " +
                          std::to_string(max_bytes) + " bytes");
    std::string out(current_left_, '\0');
    std::size_t got = 0;
    while (got < out.size()) {
        std::size_t n = read(out.data() + got, out.size() - got);
        if (n == 0) break;
        got += n;
    }
    return out;
}

void ArchiveWriter::Free::operator()(archive* a) const noexcept { archive_write_free(a); }

ArchiveWriter::ArchiveWriter(File& out, int level, std::int64_t mtime)
    : a_(archive_write_new()), path_(out.path()), mtime_(mtime) {
    if (!a_) throw Error("out of memory writing '" + path_.string() + "'");
    if (archive_write_set_format_pax_restricted(a_.get()) != ARCHIVE_OK ||
        archive_write_add_filter_zstd(a_.get()) != ARCHIVE_OK ||
        archive_write_set_filter_option(a_.get(), "zstd", "compression-level", std::to_string(level).c_str()) !=
            ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a_.get(), 1) != ARCHIVE_OK ||
        archive_write_open_fd(a_.get(), out.fd()) != ARCHIVE_OK)
        fail("cannot start writing");
}

ArchiveWriter::~ArchiveWriter() = default;

void ArchiveWriter::fail(const std::string& what) {
    const char* why = archive_error_string(a_.get());
    int err = archive_errno(a_.get());
    std::string message = what + " '" + path_.string() + "'";
    // libarchive says only "Write error"; the errno behind it is the cause (e.g. no space left).
    if (err > 0)
        message += ": " + std::string(std::strerror(err));
    else if (why && *why)
        message += std::string(": ") + why;
    throw Error(message);
}

void ArchiveWriter::header(const std::string& name, std::uint64_t size, bool directory) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), directory ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e.get(), directory ? 0755 : 0644);
    archive_entry_set_size(e.get(), la_int64_t(size));
    archive_entry_set_mtime(e.get(), mtime_, 0);
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) fail("cannot write entry '" + name + "' to");
}

void ArchiveWriter::write(const void* data, std::size_t size) {
    auto* p = static_cast<const char*>(data);
    while (size > 0) {
        la_ssize_t n = archive_write_data(a_.get(), p, size);
        if (n <= 0) fail("cannot write to");
        p += n;
        size -= std::size_t(n);
    }
}

void ArchiveWriter::add_directory(const std::string& name) { header(name + "/", 0, true); }

void ArchiveWriter::add_file(const std::string& name, std::string_view content) {
    header(name, content.size(), false);
    write(content.data(), content.size());
}

void ArchiveWriter::add_file_from(const std::string& name, const fs::path& source) {
    File in = File::open_read(source);
    header(name, fs::file_size(source), false);
    char buf[1 << 16];
    while (std::size_t n = in.read_some(buf, sizeof buf))
        write(buf, n);
}

void ArchiveWriter::close() {
    if (closed_) return;
    closed_ = true;
    if (archive_write_close(a_.get()) != ARCHIVE_OK) fail("cannot finish writing");
}

namespace {

constexpr std::size_t tar_block = 512;

// An octal field of `width` bytes: digits, zero-padded, then a NUL.
void octal_field(std::string& h, std::size_t at, std::size_t width, std::uint64_t value) {
    for (std::size_t i = at + width - 1; i-- > at; value >>= 3)
        h[i] = char('0' + (value & 7));
    if (value != 0) throw Error("a tar header field cannot hold " + std::to_string(value));
    h[at + width - 1] = '\0';
}

}  // namespace

std::string ustar_header(const std::string& name, std::uint64_t size, bool directory, std::int64_t mtime) {
    std::string h(tar_block, '\0');
    std::string prefix, base = name;
    if (name.size() > 100) {                       // split at a '/' into prefix (155) and name (100)
        std::size_t slash = name.rfind('/', 155);  // the longest prefix, leaving the shortest name
        if (slash == std::string::npos || slash == 0 || name.size() - slash - 1 > 100)
            throw Error("the archive entry name '" + name + "' is too long for a tar header");
        prefix = name.substr(0, slash);
        base = name.substr(slash + 1);
    }
    base.copy(h.data(), base.size());
    octal_field(h, 100, 8, directory ? 0755 : 0644);
    octal_field(h, 108, 8, 0);
    octal_field(h, 116, 8, 0);
    octal_field(h, 124, 12, size);
    octal_field(h, 136, 12, std::uint64_t(std::max<std::int64_t>(mtime, 0)));
    h[156] = directory ? '5' : '0';
    std::string_view("ustar\0"
                     "00",
                     8)
        .copy(h.data() + 257, 8);
    prefix.copy(h.data() + 345, prefix.size());
    std::fill(h.begin() + 148, h.begin() + 156, ' ');  // the checksum counts its own field as spaces
    unsigned sum = 0;
    for (char c : h)
        sum += static_cast<unsigned char>(c);
    octal_field(h, 148, 7, sum);
    return h;
}

FramedArchiveWriter::FramedArchiveWriter(File& out, int level, std::int64_t mtime)
    : out_(out), level_(level), mtime_(mtime) {}

void FramedArchiveWriter::header(const std::string& name, std::uint64_t size, bool directory) {
    std::string_view clean = directory ? std::string_view(name).substr(0, name.size() - 1) : std::string_view(name);
    if (std::string why = unsafe_entry_name(clean); !why.empty())
        throw Error("cannot write archive entry '" + name + "': it " + why);
    pending_ += ustar_header(name, size, directory, mtime_);
}

void FramedArchiveWriter::pad(std::uint64_t size) { pending_.append((tar_block - size % tar_block) % tar_block, '\0'); }

void FramedArchiveWriter::flush_frame() {
    if (pending_.empty()) return;
    out_.write_all(zstd_frame(pending_, level_));
    pending_.clear();
}

void FramedArchiveWriter::add_directory(const std::string& name) { header(name + "/", 0, true); }

void FramedArchiveWriter::add_file(const std::string& name, std::string_view content) {
    header(name, content.size(), false);
    pending_ += content;
    pad(content.size());
}

void FramedArchiveWriter::add_compressed(const std::string& name, std::uint64_t size, const fs::path& frames) {
    header(name, size, false);
    flush_frame();
    File in = File::open_read(frames);
    std::vector<char> buf(std::size_t(1) << 20);
    while (std::size_t n = in.read_some(buf.data(), buf.size()))
        out_.write_all(std::string_view(buf.data(), n));
    pad(size);
}

void FramedArchiveWriter::close() {
    pending_.append(2 * tar_block, '\0');  // the end of the archive
    flush_frame();
}

}  // namespace edgectl
