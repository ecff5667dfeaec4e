#pragma once
// Ingest's reading side: one file's records parsed (CSV with a header row, NDJSON), scrubbed with
// the PII policy and formatted as the payload text the store keeps, or set aside with the reason.
// It never touches the store: ingest runs it on a thread of its own beside the writer, and the
// unit tests and the fuzzer drive it directly.

#include "ingest/csv.hpp"
#include "ingest/policy.hpp"
#include "util/ndjson.hpp"
#include "util/result.hpp"

#include <optional>
#include <string>
#include <vector>

namespace edgectl {

/// The formats of an inbox file.
enum class RecordFormat { csv, ndjson };

/// The spelling in --format and in the store's sources.format: "csv", "ndjson".
std::string_view to_string(RecordFormat format);
/// The format a spelling names, or why it names none.
Result<RecordFormat> parse_record_format(std::string_view text);

/// One record as the reading thread hands it to the writing one: a payload, or why not.
struct Row {
    std::size_t ordinal = 0;
    std::size_t line = 0;
    bool quarantined = false;
    std::string text;  ///< the payload's JSON text, or the quarantine reason
    std::string raw;   ///< quarantine only: the record's text (empty: withheld)
};

struct RowBatch {
    std::vector<Row> rows;
    std::size_t size = 0;
    Row& next() {
        if (size == rows.size()) rows.emplace_back();
        return rows[size++];
    }
};

/// Records per batch handed from the reading thread to the writing one.
inline constexpr std::size_t rows_per_handoff = 1024;

/// The reading side of one file. Records up to `done` were committed by an earlier run and are
/// only counted.
class RecordReader {
  public:
    /// Reads `file` (from its current offset) in format, scrubbing with policy (none: records are
    /// stored as they are).
    RecordReader(File file, RecordFormat format, const Policy* policy, std::size_t done);

    /// A CSV header row that cannot name a payload's columns: where it is, what it holds, why.
    struct BadHeader {
        std::size_t line = 0;
        std::string raw;
        std::string why;
    };
    /// CSV: reads the header row and takes its columns from it (an empty file has none, and
    /// columns() stays ""). A header that cannot be used is returned, for the caller to quarantine.
    std::optional<BadHeader> read_header();

    /// The JSON array of the payload's column names (CSV), or "" (NDJSON: payloads are objects).
    const std::string& columns() const { return columns_json_; }

    /// Fills batch with the next records; false once the file is exhausted and batch is empty.
    bool fill(RowBatch& batch);

    /// Records seen so far, those before `done` included.
    std::size_t records() const { return ordinal_; }

  private:
    struct Column {
        std::size_t index;
        Policy::Rule rule;
    };
    std::string header_problem(const CsvRecord& header) const;
    void quarantine(Row& row, std::string why, std::string_view raw);
    bool next_csv(RowBatch& batch);
    bool format_csv(std::string& out);
    bool next_ndjson(RowBatch& batch);

    File file_;
    RecordFormat format_;
    const Policy* policy_;
    std::size_t done_;
    std::optional<CsvReader> csv_;
    std::optional<LineReader> lines_;
    CsvRecord record_;
    std::size_t width_ = 0;
    std::vector<Column> columns_;
    std::string columns_json_;
    std::size_t ordinal_ = 0;
};

/// Converts one CSV cell to a JSON value: strict JSON numbers become numbers, an empty cell null,
/// anything else stays a string (so "007" keeps its zeros).
Json csv_cell_value(const std::string& cell);

}  // namespace edgectl
