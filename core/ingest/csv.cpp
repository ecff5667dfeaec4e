#include "ingest/csv.hpp"

namespace edgectl {
namespace {

void trim_line_end(std::string& raw) {
    if (!raw.empty() && raw.back() == '\n') raw.pop_back();
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
}

}  // namespace

int CsvReader::get() {
    int c = in_.get();
    if (c < 0) return c;
    ++record_bytes_;
    if (raw_ && raw_->size() < raw_limit) raw_->push_back(char(c));
    // A line ends at LF, or at a CR that no LF follows (the CR of a CRLF is not a line of its own).
    if (c == '\n' || (c == '\r' && in_.peek() != '\n')) ++line_;
    return c;
}

void CsvReader::finish_line_end() {
    if (in_.peek() == '\n') get();
}

// Records the error and skips the rest of the physical line.
void CsvReader::fail(CsvRecord& out, std::string why) {
    out.error = std::move(why);
    for (int c = in_.peek(); c >= 0; c = in_.peek()) {
        get();
        if (c == '\n') break;
        if (c == '\r') {
            finish_line_end();
            break;
        }
    }
    trim_line_end(out.raw);
}

bool CsvReader::next(CsvRecord& out) {
    out.fields.clear();
    out.error.clear();
    out.raw.clear();
    raw_ = &out.raw;
    record_bytes_ = 0;

    // Skip blank lines (LF, CRLF or CR) between records.
    for (;;) {
        int c = in_.peek();
        if (c < 0) return false;
        if (c != '\n' && c != '\r') break;
        get();
        if (c == '\r') finish_line_end();
        out.raw.clear();
    }
    out.line = line_;
    std::string field;
    bool quoted = false;      // inside a quoted field
    bool was_quoted = false;  // the current field began with a quote
    for (;;) {
        if (record_bytes_ > max_record_) {
            fail(out, "record is longer than " + std::to_string(max_record_) + " bytes");
            return true;
        }
        int c = get();
        if (c == 0) {
            fail(out, "NUL byte in record");
            return true;
        }
        if (quoted) {
            if (c < 0) {
                out.error = "unterminated quoted field";
                return true;
            }
            if (c != '"') {
                field.push_back(char(c));
                continue;
            }
            if (in_.peek() == '"') {
                get();
                field.push_back('"');
                continue;
            }
            quoted = false;
            int n = in_.peek();
            if (n >= 0 && n != ',' && n != '\n' && n != '\r') {
                fail(out, "unexpected character after a closing quote");
                return true;
            }
            continue;
        }
        if (c == '"') {
            if (!field.empty() || was_quoted) {
                fail(out, "quote inside an unquoted field");
                return true;
            }
            quoted = was_quoted = true;
            continue;
        }
        if (c == ',') {
            out.fields.push_back(std::move(field));
            field.clear();
            was_quoted = false;
            continue;
        }
        if (c < 0 || c == '\n' || c == '\r') {
            if (c == '\r') finish_line_end();
            out.fields.push_back(std::move(field));
            trim_line_end(out.raw);
            return true;
        }
        field.push_back(char(c));
    }
}

}  // namespace edgectl
