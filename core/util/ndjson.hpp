#pragma once
// Newline-delimited JSON: a bounded line reader and a parser that refuses what would hurt us
// (over-long lines, nesting deeper than a fixed limit, invalid UTF-8, non-objects) with a reason.

#include "util/byte_reader.hpp"
#include "util/result.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace edgectl {

using Json = nlohmann::json;

struct Line {
    std::string text;    ///< without the line end (at most max bytes)
    std::size_t number;  ///< 1-based
    bool too_long = false;
};

/// Reads lines of at most max_bytes; a longer line is reported (too_long) and skipped whole. A line
/// ends at LF, CRLF or a lone CR (JSON text never holds a raw CR); a UTF-8 byte order mark at the
/// start of the file is skipped.
class LineReader {
  public:
    explicit LineReader(File& file, std::size_t max_bytes = 1 << 20) : in_(file), max_(max_bytes) {
        in_.skip_byte_order_mark();
    }
    bool next(Line& out);

  private:
    ByteReader in_;
    std::size_t max_;
    std::size_t number_ = 0;
};

inline constexpr int max_json_depth = 64;

/// Parses one JSON document, or says why not (e.g. "invalid JSON at byte 17").
Result<Json> parse_json(std::string_view text);

/// Parses a line that must hold one JSON object.
Result<Json> parse_json_object(std::string_view text);

/// Compact JSON text; throws Error if a string in it is not valid UTF-8.
std::string dump_json(const Json& value);

/// True when text is well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool is_valid_utf8(std::string_view text);

/// Appends text as a JSON string literal, escaped as dump_json escapes it; false (out unchanged
/// past its old end) if text is not valid UTF-8.
bool append_json_string(std::string& out, std::string_view text);

/// text as a JSON string; each byte that is not part of valid UTF-8 becomes U+FFFD.
std::string lossy_json_text(std::string_view text);

/// Appends text as a JSON string literal: escaped as append_json_string does when it is valid
/// UTF-8, else as lossy_json_text.
void append_json_text(std::string& out, std::string_view text);

/// Appends n in decimal.
void append_json_integer(std::string& out, std::int64_t n);

}  // namespace edgectl
