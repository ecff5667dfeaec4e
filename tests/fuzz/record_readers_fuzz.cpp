// libFuzzer targets for the record readers (CSV and NDJSON): whatever bytes a device drops into
// the inbox, the readers must return records or reasons — never crash, hang or read out of bounds.
// Each CSV field also goes through the JSON string writer, which must agree with nlohmann's.
// Built as fuzzers with -DEDGECTL_FUZZ=ON (clang); the corpus replays as ordinary tests always.

#include "ingest/csv.hpp"
#include "util/error.hpp"
#include "util/ndjson.hpp"

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

// append_json_string is ingest's fast path for strings: it must give what dump_json gives (the same
// bytes, which parse back to the field), and refuse exactly what dump_json refuses (invalid UTF-8).
void check_json_string(const std::string& field) {
    std::string out = "[";  // text already in out must survive a refusal
    bool ok = edgectl::append_json_string(out, field);
    std::string library;
    bool library_ok = true;
    try {
        library = edgectl::dump_json(edgectl::Json(field));
    } catch (const edgectl::Error&) { library_ok = false; }
    if (ok != library_ok) __builtin_trap();  // a different verdict on the same bytes
    if (!ok) {
        if (out != "[") __builtin_trap();
        return;
    }
    if (out.compare(1, std::string::npos, library) != 0) __builtin_trap();  // escaped differently
    auto parsed = edgectl::parse_json(std::string_view(out).substr(1));
    if (!parsed || !parsed->is_string() || parsed->get_ref<const std::string&>() != field) __builtin_trap();
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
        for (const auto& field : record.fields)
            check_json_string(field);
    }
}

void read_ndjson(const std::uint8_t* data, std::size_t size) {
    edgectl::File file = memory_file(data, size);
    edgectl::LineReader reader(file, 4096);
    edgectl::Line line;
    while (reader.next(line)) {
        auto value = edgectl::parse_json_object(line.text);
        if (!value && value.error().empty()) __builtin_trap();  // a refusal always says why
        if (value) {
            try {
                edgectl::dump_json(*value);
            } catch (const edgectl::Error&) {
                // invalid UTF-8 is reported, as it must be
            }
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // The first byte picks the reader, so one target (and one corpus) covers both.
    if (size == 0) return 0;
    if (data[0] & 1)
        read_ndjson(data + 1, size - 1);
    else
        read_csv(data + 1, size - 1);
    return 0;
}
