#pragma once
// A streaming RFC 4180 CSV reader: quoted fields with commas, doubled quotes and line breaks; LF,
// CRLF or CR-only line ends (old Mac and some instruments); a UTF-8 byte order mark at the start
// is skipped. A malformed record is returned with an error and the reader resynchronises at the
// next line, so one bad line never costs the rest of the file.

#include "util/byte_reader.hpp"

#include <string>
#include <vector>

namespace edgectl {

struct CsvRecord {
    std::vector<std::string> fields;
    std::size_t line = 0;  ///< 1-based physical line where the record starts
    std::string error;     ///< empty when the record parsed
    std::string raw;       ///< the record's bytes as read (at most raw_limit), for quarantine
};

class CsvReader {
  public:
    static constexpr std::size_t default_max_record = 1 << 20;
    static constexpr std::size_t raw_limit = 4096;

    explicit CsvReader(File& file, std::size_t max_record_bytes = default_max_record)
        : in_(file), max_record_(max_record_bytes) {
        in_.skip_byte_order_mark();
    }

    /// Reads the next record into out; false at end of input. Blank lines are skipped.
    bool next(CsvRecord& out);

  private:
    int get();
    /// After a '\r' was read: consumes the '\n' of a CRLF.
    void finish_line_end();
    void fail(CsvRecord& out, std::string why);
    ByteReader in_;
    std::size_t max_record_;
    std::size_t line_ = 1;
    std::size_t record_bytes_ = 0;
    std::string* raw_ = nullptr;
};

}  // namespace edgectl
