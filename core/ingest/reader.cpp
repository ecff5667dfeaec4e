#include "ingest/reader.hpp"

#include "util/error.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

namespace edgectl {
namespace {

enum class Cell { null, number, string };

// What a CSV cell becomes in JSON: an empty cell null, a strict JSON number that a double can hold
// a number (written as it was written), anything else a string (so "007" keeps its zeros).
Cell classify(std::string_view cell) {
    if (cell.empty()) return Cell::null;
    // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    std::size_t i = 0, n = cell.size();
    auto digits = [&] {
        std::size_t s = i;
        while (i < n && cell[i] >= '0' && cell[i] <= '9')
            ++i;
        return i > s;
    };
    if (cell[i] == '-') ++i;
    bool ok = i < n;
    if (ok && cell[i] == '0')
        ++i;
    else
        ok = ok && digits();
    if (ok && i < n && cell[i] == '.') {
        ++i;
        ok = digits();
    }
    bool exponent = ok && i < n && (cell[i] == 'e' || cell[i] == 'E');
    if (exponent) {
        ++i;
        if (i < n && (cell[i] == '+' || cell[i] == '-')) ++i;
        ok = digits();
    }
    if (!ok || i != n) return Cell::string;
    // Without an exponent only an absurdly long run of digits overflows a double.
    if (exponent || n > 300) {
        std::string copy(cell);
        if (!std::isfinite(std::strtod(copy.c_str(), nullptr))) return Cell::string;  // scoring will say why
    }
    return Cell::number;
}

}  // namespace

std::string_view to_string(RecordFormat format) { return format == RecordFormat::csv ? "csv" : "ndjson"; }

Result<RecordFormat> parse_record_format(std::string_view text) {
    if (text == "csv") return RecordFormat::csv;
    if (text == "ndjson") return RecordFormat::ndjson;
    return fail("unknown format " + quote(text) + " (csv or ndjson)");
}

RecordReader::RecordReader(File file, RecordFormat format, const Policy* policy, std::size_t done)
    : file_(std::move(file)), format_(format), policy_(policy), done_(done) {
    if (format_ == RecordFormat::csv)
        csv_.emplace(file_);
    else
        lines_.emplace(file_);
}

std::optional<RecordReader::BadHeader> RecordReader::read_header() {
    CsvRecord header;
    if (!csv_->next(header)) return std::nullopt;
    width_ = header.fields.size();
    if (std::string why = header_problem(header); !why.empty()) return BadHeader{header.line, header.raw, why};
    std::set<std::string> names;
    columns_json_ = "[";
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
        Policy::Rule rule = policy_ ? policy_->rule_for(header.fields[i]) : Policy::Rule{};
        if (rule.action == Policy::Action::drop) continue;
        columns_.push_back({i, rule});
        // A column's name is redacted like its values: names can be personal data too.
        std::string name = policy_ ? policy_->redact_string(header.fields[i]) : header.fields[i];
        name = unique_field_name(name, [&](const std::string& n) { return names.count(n) > 0; });
        names.insert(name);
        if (columns_json_.size() > 1) columns_json_ += ',';
        append_json_string(columns_json_, name);  // valid UTF-8: header_problem checked
    }
    columns_json_ += ']';
    return std::nullopt;
}

bool RecordReader::fill(RowBatch& batch) {
    batch.size = 0;
    while (batch.size < rows_per_handoff && (csv_ ? next_csv(batch) : next_ndjson(batch))) {}
    return batch.size > 0;
}

std::string RecordReader::header_problem(const CsvRecord& header) const {
    if (!header.error.empty()) return "bad header row: " + header.error;
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
        const std::string& name = header.fields[i];
        if (name.empty()) return "empty column name in header row";
        if (!is_valid_utf8(name)) return "column " + std::to_string(i + 1) + " of the header row is not valid UTF-8";
        // A reason is stored as it is: under a policy, the name it quotes is redacted like a value.
        if (!seen.insert(name).second)
            return "duplicate column name '" + (policy_ ? policy_->redact_string(name) : name) + "' in header row";
    }
    return {};
}

void RecordReader::quarantine(Row& row, std::string why, std::string_view raw) {
    row.quarantined = true;
    row.text = std::move(why);
    // A record that did not parse cannot be scrubbed field by field: under a policy its text is
    // withheld, so that personal data never reaches the store through quarantine.
    row.raw.assign(policy_ ? std::string_view() : raw);
}

// Reads one CSV record into the batch (or skips it if committed before); false at the end.
bool RecordReader::next_csv(RowBatch& batch) {
    if (!csv_->next(record_)) return false;
    if (++ordinal_ <= done_) return true;
    Row& row = batch.next();
    row.ordinal = ordinal_;
    row.line = record_.line;
    row.quarantined = false;
    if (!record_.error.empty()) {
        quarantine(row, record_.error, record_.raw);
    } else if (record_.fields.size() != width_) {
        quarantine(row,
                   "expected " + std::to_string(width_) + " fields, found " + std::to_string(record_.fields.size()),
                   record_.raw);
    } else if (!format_csv(row.text)) {
        quarantine(row, "text is not valid UTF-8", "");
    }
    return true;
}

// The payload of record_: a JSON array of the kept columns' scrubbed values.
bool RecordReader::format_csv(std::string& out) {
    out.assign(1, '[');
    for (const auto& column : columns_) {
        if (out.size() > 1) out.push_back(',');
        const std::string& cell = record_.fields[column.index];
        Cell kind = classify(cell);
        bool ok = true;
        switch (column.rule.action) {
        case Policy::Action::hash:
            if (kind == Cell::null)
                out += "null";
            else
                ok = append_json_string(out, policy_->keyed_hash(cell));
            break;
        case Policy::Action::mask:
            if (kind == Cell::null)
                out += "null";
            else
                ok = append_json_string(out, Policy::masked(cell, column.rule.keep_last));
            break;
        case Policy::Action::verbatim:
            if (kind == Cell::null)
                out += "null";
            else if (kind == Cell::number)
                out += cell;
            else
                ok = append_json_string(out, cell);
            break;
        default:
            if (kind == Cell::null) {
                out += "null";
            } else if (kind == Cell::number && !(policy_ && policy_->redacts())) {
                out += cell;
            } else {
                // A CSV cell is text, whatever it looks like: 4155550123 is a phone number to the
                // phone preset. Unchanged by the redactions, a number stays a number.
                std::string redacted = policy_ ? policy_->redact_string(cell) : cell;
                if (kind == Cell::number && redacted == cell)
                    out += cell;
                else
                    ok = append_json_string(out, redacted);
            }
        }
        if (!ok) return false;
    }
    out.push_back(']');
    return true;
}

bool RecordReader::next_ndjson(RowBatch& batch) {
    Line line;
    for (;;) {
        if (!lines_->next(line)) return false;
        if (!std::all_of(line.text.begin(), line.text.end(), [](char c) { return c == ' ' || c == '\t'; }))
            break;  // blank lines carry no record
    }
    if (++ordinal_ <= done_) return true;
    Row& row = batch.next();
    row.ordinal = ordinal_;
    row.line = line.number;
    row.quarantined = false;
    std::string_view raw = std::string_view(line.text).substr(0, CsvReader::raw_limit);
    if (line.too_long) return quarantine(row, "line is longer than 1048576 bytes", raw), true;
    if (line.text.find('\0') != std::string::npos) return quarantine(row, "NUL byte in record", ""), true;
    auto object = parse_json_object(line.text);
    if (!object) return quarantine(row, object.error(), raw), true;
    try {
        if (policy_) policy_->apply(*object);  // scrubbed before anything of it is written
        row.text = dump_json(*object);
    } catch (const Error&) { quarantine(row, "text is not valid UTF-8", ""); }
    return true;
}

Json csv_cell_value(const std::string& cell) {
    switch (classify(cell)) {
    case Cell::null: return nullptr;
    case Cell::string: return cell;
    case Cell::number: break;
    }
    if (cell.find_first_of(".eE") == std::string::npos && cell.size() < 19) return std::stoll(cell);
    return std::strtod(cell.c_str(), nullptr);
}

}  // namespace edgectl
