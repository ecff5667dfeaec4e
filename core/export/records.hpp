#pragma once
// The NDJSON lines of an export's insights, anomalies and items, written as text.
//
// Each line is byte for byte what nlohmann's dump() of the same record as a Json object gives (keys
// in std::map order, compact, strings escaped as dump_json escapes them): an export sealed by one
// edgectl must be rebuilt identically by another (`export --resend` checks the archive's digests),
// and tests/unit/export/records_test.cpp holds these functions to that reference. Building the
// objects was half of an export's CPU time: here each line is appended member by member, in key
// order, and stored JSON values (payloads, probabilities) are rewritten by util/canonical_json
// without being parsed; only what that does not handle goes through nlohmann.

#include "store/db.hpp"
#include "util/pipe.hpp"
#include "util/result.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgectl {

/// What an insight row holds, as the export query reads it. Texts are views into the row.
struct InsightFields {
    std::int64_t insight_id = 0;
    std::int64_t item_id = 0;
    std::string_view source, source_key, model, model_version, scored_at;
    std::optional<std::string_view> label;
    double score = 0;
    std::optional<std::string_view> probabilities;  ///< JSON text
    bool anomaly = false;
    std::optional<std::string_view> model_digest;
    std::optional<std::string_view> image;  ///< the SHA-256 of the item's frame, for an image item
};

/// A stored payload: its JSON text, and for a CSV record the JSON array of its ingest's column
/// names (the payload is then an array of values in that order).
struct PayloadFields {
    std::string_view json;
    std::optional<std::string_view> columns;
};

class ExportRecords {
  public:
    explicit ExportRecords(std::string site) : site_(std::move(site)) {}

    /// A line of data/insights.ndjson.
    std::string insight(const InsightFields& f);
    /// A line of data/anomalies.ndjson: the insight with its item's ingest time and payload.
    std::string anomaly(const InsightFields& f, std::string_view ingested_at, const PayloadFields& payload);
    /// A line of data/items.ndjson.
    std::string item(std::int64_t item_id, std::string_view source, std::string_view source_key, std::int64_t line,
                     std::string_view ingested_at, const PayloadFields& payload);

    /// The same, appended to out.
    void append_insight(std::string& out, const InsightFields& f);
    void append_anomaly(std::string& out, const InsightFields& f, std::string_view ingested_at,
                        const PayloadFields& payload);
    void append_item(std::string& out, std::int64_t item_id, std::string_view source, std::string_view source_key,
                     std::int64_t line, std::string_view ingested_at, const PayloadFields& payload);

  private:
    void insight_members(std::string& out, const InsightFields& f, const std::string_view* ingested_at,
                         const PayloadFields* payload);
    void append_payload(std::string& out, const PayloadFields& payload);

    // The key order of a CSV payload's object: the positions of the first n names sorted by name,
    // the last of equal names winning, as assigning into a Json object does. Kept for the last
    // column list seen: an export reads the records of one ingest one after another.
    struct ColumnOrder {
        std::string columns;  ///< the JSON text it was made from
        std::vector<std::string> names;
        std::vector<std::string> keys;   ///< each name as a JSON string
        std::vector<std::size_t> order;  ///< over all names
    };
    const ColumnOrder& column_order(std::string_view columns);
    static std::vector<std::size_t> order_of(const std::vector<std::string>& names, std::size_t n);
    template <typename AppendValue>
    static void append_object(std::string& out, const ColumnOrder& c, std::size_t values,
                              const AppendValue& append_value_at);

    std::string site_;
    std::optional<ColumnOrder> columns_;
    std::string values_;  // a CSV payload's values, each as it is written
    std::vector<std::pair<std::size_t, std::size_t>> elements_;
};

class Store;

/// The kinds of rows an export can carry. Their names key a plan's ranges and a volume's counts.
enum class Category { anomalies, insights, items, quarantine, drift, shadow };

/// Every category, in the order volumes are filled: drift windows, small and decisive, right after
/// the anomalies; a shadow's answers after the insights they are compared with.
inline constexpr std::array<Category, 6> export_categories = {
    Category::anomalies, Category::drift, Category::insights, Category::shadow, Category::items, Category::quarantine};

std::string_view to_string(Category category);
Result<Category> parse_category(std::string_view name);

/// How each category is selected and marked. Planning selects unexported rows in an id range;
/// marking uses the same predicate; a resend selects the rows marked with the sequence.
struct CategorySql {
    std::string select;  ///< fresh: ?1 lo, ?2 hi, ?3 max insight id; resend: ?1 seq
    std::string resend;
    std::string mark;                  ///< ?1 seq, ?2 lo, ?3 hi, ?4 max insight id
    std::string max_id;                ///< the upper end of a fresh plan
    std::string records = "count(*)";  ///< the records the rows of `select` hold, over them
};

const CategorySql& category_sql(Category category);

/// Marks a volume's anomalies and insights in one pass over the unexported insights, which two
/// category_sql() marks took half again as long as: ?1 seq, ?2 ?3 the anomalies' range, ?4 ?5 the
/// insights' range, ?6 max insight id.
extern const std::string mark_anomalies_and_insights;

/// One row serialised: the lines it adds to which payload files.
struct RowLines {
    std::int64_t id = 0;
    std::int64_t records = 1;  ///< the records it holds: a row of shadow answers holds many
    std::vector<std::pair<std::string, std::string>> lines;  ///< file, line
    std::string model, version, label, hour;  ///< the model version (models.ndjson); the rest for the summary
    bool summarised = false;                  ///< counted in the summary (insights only)
    bool anomaly = false;
    std::string image;  ///< the digest of the item's frame; "" for a record (or a quarantine row)
};

/// Serialises the row a category_sql() query stands on; a row that cannot be written (a stored
/// JSON value that does not parse) is an Error naming it, so that it can be found and mended.
RowLines serialise(Category category, const Statement& s, ExportRecords& records, const std::string& site);
/// The same into `row`, reusing its buffers.
void serialise(Category category, const Statement& s, ExportRecords& records, const std::string& site, RowLines& row);

/// A category's rows to select: a category_sql() query and its parameters.
struct RowQuery {
    Category category;
    std::string sql;
    std::vector<std::int64_t> binds;
};

/// Rows of one query, serialised; `size` of `rows` are this batch's (the others are buffers kept
/// for reuse).
struct LineBatch {
    std::size_t query = 0;  ///< its index in the queries given
    Category category = Category::anomalies;
    std::vector<RowLines> rows;
    std::size_t size = 0;
};

/// Selects and serialises the rows of each query in turn on a second thread, so that turning rows
/// into NDJSON runs beside what the caller does with them (hashing, writing, compressing). That
/// thread reads through a connection of its own, as score's reader does.
class SerialisedRows {
  public:
    SerialisedRows(const Store& store, std::vector<RowQuery> queries);
    /// The next batch, in query and row order; nullptr after the last. Rethrows a serialising
    /// error. Valid until the next call.
    const LineBatch* next() { return pipe_.take(); }

  private:
    static constexpr std::size_t batch_rows = 256;
    bool produce(LineBatch& batch);

    Db db_;
    std::string site_;
    std::vector<RowQuery> queries_;
    ExportRecords records_;
    std::size_t next_query_ = 0;
    std::optional<Statement> rows_;
    Category category_ = Category::anomalies;
    Pipeline<LineBatch> pipe_;  // last: its thread uses the members above
};

/// A nullable text column as JSON (null or a string).
nlohmann::json optional_text(const Statement& s, int col);

}  // namespace edgectl
