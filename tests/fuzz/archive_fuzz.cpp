// libFuzzer target for the archive reader: a .tar.zst from a removable disk (a model package, an
// export archive) may hold any bytes. Opened with small limits, every entry is walked and read; the
// reader may refuse (Error, VerifyError) but must never crash, hang, read out of bounds, hand out an
// entry name unsafe_entry_name would refuse, or give more bytes than an entry's header announced.
// unsafe_entry_name is also checked against an independent, plainer statement of its rule.

#include "util/archive.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/mman.h>
#include <unistd.h>

namespace {

constexpr edgectl::ArchiveLimits limits{64, 1 << 20, 4 << 20};

// The input as an anonymous in-memory file; the reader opens it by name, via /proc.
edgectl::File memory_file(const std::uint8_t* data, std::size_t size) {
    int fd = ::memfd_create("fuzz-archive", MFD_CLOEXEC);
    if (fd < 0) throw std::runtime_error("memfd_create failed");
    edgectl::File file(fd, "fuzz-archive");
    file.write_all({reinterpret_cast<const char*>(data), size});
    return file;
}

// unsafe_entry_name's rule, said plainly: 1 to 1024 bytes, relative, no control character, DEL or
// backslash, and no empty, "." or ".." component (an empty last one, after a trailing '/', is fine).
bool is_safe_name(std::string_view name) {
    if (name.empty() || name.size() > 1024 || name.front() == '/') return false;
    if (std::any_of(name.begin(), name.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\'; }))
        return false;
    std::size_t start = 0;
    for (;;) {
        std::size_t slash = name.find('/', start);
        bool last = slash == std::string_view::npos;
        std::string_view part = name.substr(start, last ? std::string_view::npos : slash - start);
        if (part == "." || part == ".." || (part.empty() && !last)) return false;
        if (last) return true;
        start = slash + 1;
    }
}

void check_name(std::string_view name) {
    std::string why = edgectl::unsafe_entry_name(name);
    if (why.empty() != is_safe_name(name)) __builtin_trap();
}

// Reads the current entry, in small pieces or whole, and checks it gives what the header said.
void read_entry(edgectl::ArchiveReader& reader, const edgectl::ArchiveReader::Entry& entry, std::size_t index) {
    if (index % 3 == 2) return;  // left for next() to drain
    if (index % 3 == 1) {
        std::string all = reader.read_all(limits.max_entry_bytes);
        if (all.size() != entry.size) __builtin_trap();
        return;
    }
    char buf[4096];
    std::uint64_t total = 0;
    while (std::size_t n = reader.read(buf, 1 + index % sizeof buf))
        total += n;
    if (total != entry.size) __builtin_trap();
}

void walk_archive(const std::uint8_t* data, std::size_t size) {
    edgectl::File file = memory_file(data, size);
    std::string path = "/proc/self/fd/" + std::to_string(file.fd());
    try {
        edgectl::ArchiveReader reader(path, limits);
        edgectl::ArchiveReader::Entry entry;
        for (std::size_t index = 0; reader.next(entry); ++index) {
            if (index >= limits.max_entries) __builtin_trap();
            if (!edgectl::unsafe_entry_name(entry.name).empty() || !is_safe_name(entry.name)) __builtin_trap();
            if (entry.size > limits.max_entry_bytes || (entry.directory && entry.size != 0)) __builtin_trap();
            read_entry(reader, entry, index);
        }
    } catch (const edgectl::Error&) {
        // a refusal (VerifyError for a damaged or hostile archive) is the right answer
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    walk_archive(data, size);
    // The whole input as a name, too: mostly refused for its control characters, but the fuzzer
    // soon finds printable inputs.
    check_name({reinterpret_cast<const char*>(data), std::min<std::size_t>(size, 1100)});
    return 0;
}
