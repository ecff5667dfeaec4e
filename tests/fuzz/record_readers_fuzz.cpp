// libFuzzer targets for the record readers (CSV and NDJSON): whatever bytes a device drops into
// the inbox, the readers must return records or reasons — never crash, hang or read out of bounds.
// Built as fuzzers with -DEDGECTL_FUZZ=ON (clang); the corpus replays as ordinary tests always.

#include "csv.hpp"
#include "error.hpp"
#include "ndjson.hpp"

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <sys/mman.h>
#include <unistd.h>

namespace {

// The readers read files: hand them the input as an anonymous in-memory file.
edgectl::File memory_file(const std::uint8_t* data, std::size_t size) {
    int fd = ::memfd_create("fuzz-input", MFD_CLOEXEC);
    if (fd < 0) throw std::runtime_error("memfd_create failed");
    edgectl::File file(fd, "fuzz-input");
    file.write_all({reinterpret_cast<const char*>(data), size});
    ::lseek(fd, 0, SEEK_SET);
    return file;
}

void read_csv(const std::uint8_t* data, std::size_t size) {
    edgectl::File file = memory_file(data, size);
    edgectl::CsvReader reader(file, 4096);
    edgectl::CsvRecord record;
    std::size_t last_line = 0;
    while (reader.next(record)) {
        // Line numbers only move forward, and a record is either fields or an error.
        if (record.line < last_line) __builtin_trap();
        last_line = record.line;
        if (record.raw.size() > edgectl::CsvReader::raw_limit) __builtin_trap();
    }
}

void read_ndjson(const std::uint8_t* data, std::size_t size) {
    edgectl::File file = memory_file(data, size);
    edgectl::LineReader reader(file, 4096);
    edgectl::Line line;
    while (reader.next(line)) {
        std::string why;
        auto value = edgectl::parse_json_object(line.text, why);
        if (!value && why.empty()) __builtin_trap();  // a refusal always says why
        if (value) {
            try {
                edgectl::dump_json(*value);
            } catch (const edgectl::Error&) {
                // invalid UTF-8 is reported, as it must be
            }
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // The first byte picks the reader, so one target (and one corpus) covers both.
    if (size == 0) return 0;
    if (data[0] & 1) read_ndjson(data + 1, size - 1);
    else read_csv(data + 1, size - 1);
    return 0;
}
