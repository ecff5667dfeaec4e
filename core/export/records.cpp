#include "export/records.hpp"

#include "store/db.hpp"
#include "store/store.hpp"
#include "util/canonical_json.hpp"
#include "util/error.hpp"
#include "util/ndjson.hpp"

#include <algorithm>
#include <map>

namespace edgectl {

namespace {

// Text that is not valid UTF-8 (a file's name as the file system had it, the raw bytes of a record
// quarantined for them) goes out with U+FFFD for each byte that does not decode (append_json_text):
// refusing it stopped every export of the store for good. Valid text, the only kind an archive
// sealed before could hold, is unchanged.
void append_optional_text(std::string& out, const std::optional<std::string_view>& text) {
    if (text)
        append_json_text(out, *text);
    else
        out += "null";
}

// A stored JSON value as nlohmann writes it back (numbers in its own shortest form, which the
// reference output has: the stored text itself may spell them otherwise).
void append_value(std::string& out, std::string_view stored) {
    if (!append_canonical_json(out, stored)) out += dump_json(Json::parse(stored));
}

// Writes a record's members. Keys must come in the order a Json object (a std::map) keeps them:
// tests/unit/export/records_test.cpp holds every record to that reference.
class Members {
  public:
    explicit Members(std::string& out) : out_(out) { out_ += '{'; }
    std::string& operator()(std::string_view key) {
        if (!first_) out_ += ',';
        first_ = false;
        out_ += '"';
        out_ += key;  // keys are edgectl's own: nothing to escape
        out_ += "\":";
        return out_;
    }
    void close() { out_ += '}'; }

  private:
    std::string& out_;
    bool first_ = true;
};

}  // namespace

// An insight's members, with an anomaly's two more (its item's ingest time and payload) in their
// places when they are given.
void ExportRecords::insight_members(std::string& out, const InsightFields& f, const std::string_view* ingested_at,
                                    const PayloadFields* payload) {
    Members m(out);
    m("anomaly") += f.anomaly ? "true" : "false";
    if (f.image) append_json_text(m("image"), *f.image);
    if (ingested_at) append_json_text(m("ingested_at"), *ingested_at);
    append_json_integer(m("insight_id"), f.insight_id);
    append_json_integer(m("item_id"), f.item_id);
    append_optional_text(m("label"), f.label);
    append_json_text(m("model"), f.model);
    append_optional_text(m("model_digest"), f.model_digest);
    append_json_text(m("model_version"), f.model_version);
    if (payload) append_payload(m("payload"), *payload);
    if (f.probabilities)
        append_value(m("probabilities"), *f.probabilities);
    else
        m("probabilities") += "null";
    append_json_double(m("score"), f.score);
    append_json_text(m("scored_at"), f.scored_at);
    append_json_text(m("site"), site_);
    append_json_text(m("source"), f.source);
    append_json_text(m("source_key"), f.source_key);
    m.close();
}

std::vector<std::size_t> ExportRecords::order_of(const std::vector<std::string>& names, std::size_t n) {
    std::map<std::string_view, std::size_t> last;
    for (std::size_t i = 0; i < n && i < names.size(); ++i)
        last[names[i]] = i;
    std::vector<std::size_t> order;
    order.reserve(last.size());
    for (const auto& [name, i] : last)
        order.push_back(i);
    return order;
}

const ExportRecords::ColumnOrder& ExportRecords::column_order(std::string_view columns) {
    if (!columns_ || columns_->columns != columns) {
        ColumnOrder c;
        c.columns = std::string(columns);
        Json names = Json::parse(columns);
        if (!names.is_array() && !names.empty()) throw Error("an ingest's column list is not an array of names");
        if (names.is_array())
            for (const auto& name : names)
                c.names.push_back(name.get<std::string>());
        c.order = order_of(c.names, c.names.size());
        for (const auto& name : c.names) {
            std::string key;
            append_json_text(key, name);
            c.keys.push_back(std::move(key));
        }
        columns_ = std::move(c);
    }
    return *columns_;
}

// The object of the first `values` names (all if there are more values), in key order, the last of
// equal names winning, as assigning into a Json object does.
template <typename AppendValue>
void ExportRecords::append_object(std::string& out, const ColumnOrder& c, std::size_t values,
                                  const AppendValue& append_value_at) {
    std::vector<std::size_t> shorter;
    const std::vector<std::size_t>* order = &c.order;
    if (values < c.names.size()) order = &(shorter = order_of(c.names, values));
    out += '{';
    for (std::size_t k = 0; k < order->size(); ++k) {
        std::size_t i = (*order)[k];
        if (k) out += ',';
        out += c.keys[i];
        out += ':';
        append_value_at(i);
    }
    out += '}';
}

// A payload as an object: a CSV record's values are stored as an array in the order of its ingest's
// columns.
void ExportRecords::append_payload(std::string& out, const PayloadFields& payload) {
    if (!payload.columns) return append_value(out, payload.json);
    values_.clear();
    elements_.clear();
    // The values rewritten without parsing, or else as the Json objects had them (what ingest never
    // writes): nothing to name gives {}, values that are not an array under names are an error.
    bool rewritten = canonical_json_elements(payload.json, values_, elements_);
    std::optional<Json> value;
    if (!rewritten) value = Json::parse(payload.json);
    if (rewritten ? elements_.empty() : value->empty()) {
        out += "{}";
        return;
    }
    const ColumnOrder& c = column_order(*payload.columns);
    if (c.names.empty()) {
        out += "{}";
        return;
    }
    if (!rewritten && !value->is_array()) throw Error("a CSV payload is not an array of values");
    append_object(out, c, rewritten ? elements_.size() : value->size(), [&](std::size_t i) {
        if (rewritten)
            out.append(values_, elements_[i].first, elements_[i].second);
        else
            out += dump_json((*value)[i]);
    });
}

std::string ExportRecords::insight(const InsightFields& f) {
    std::string out;
    append_insight(out, f);
    return out;
}

std::string ExportRecords::anomaly(const InsightFields& f, std::string_view ingested_at, const PayloadFields& payload) {
    std::string out;
    append_anomaly(out, f, ingested_at, payload);
    return out;
}

std::string ExportRecords::item(std::int64_t item_id, std::string_view source, std::string_view source_key,
                                std::int64_t line_number, std::string_view ingested_at, const PayloadFields& payload) {
    std::string out;
    append_item(out, item_id, source, source_key, line_number, ingested_at, payload);
    return out;
}

void ExportRecords::append_insight(std::string& out, const InsightFields& f) {
    insight_members(out, f, nullptr, nullptr);
}

void ExportRecords::append_anomaly(std::string& out, const InsightFields& f, std::string_view ingested_at,
                                   const PayloadFields& payload) {
    insight_members(out, f, &ingested_at, &payload);
}

void ExportRecords::append_item(std::string& out, std::int64_t item_id, std::string_view source,
                                std::string_view source_key, std::int64_t line_number, std::string_view ingested_at,
                                const PayloadFields& payload) {
    Members m(out);
    append_json_text(m("ingested_at"), ingested_at);
    append_json_integer(m("item_id"), item_id);
    append_json_integer(m("line"), line_number);
    append_payload(m("payload"), payload);
    append_json_text(m("site"), site_);
    append_json_text(m("source"), source);
    append_json_text(m("source_key"), source_key);
    m.close();
}

// ---------------------------------------------------------------------------------------------
// Rows of the store, selected per category and serialised.

namespace {

// An item's source name, source key and ingest time are its ingest's and its source file's. (The
// view item_records shows the same for people; edgectl runs with trusted_schema off, which does
// not let SQL in a view call the JSON functions.)
const std::string item_joins = "JOIN ingests g ON g.id = it.ingest_id JOIN sources f ON f.id = g.source_id ";
const std::string item_source = "g.name, f.digest || ':' || it.ordinal";

// An anomaly's line carries its item's ingest time and payload; the other insights' do not, and
// leave those columns NULL rather than read them.
std::string insight_columns(int anomaly) {
    return "SELECT i.id, i.item_id, " + item_source +
           ", i.model, i.model_version, i.label, i.score, i.probabilities, i.anomaly, i.scored_at, " +
           (anomaly ? "g.ingested_at, it.payload" : "NULL, NULL") + ", i.model_digest, " +
           (anomaly ? "g.columns" : "NULL") + ", it.image FROM insights i JOIN items it ON it.id = i.item_id " +
           item_joins;
}

CategorySql insight_sql(int anomaly) {
    std::string a = std::to_string(anomaly);
    return {insight_columns(anomaly) + "WHERE i.export_seq IS NULL AND i.anomaly = " + a +
                " AND i.id > ?1 AND i.id <= ?2 "
                "AND ?3 >= 0 ORDER BY i.id",
            insight_columns(anomaly) + "WHERE i.export_seq = ?1 AND i.anomaly = " + a + " ORDER BY i.id",
            "UPDATE insights SET export_seq = ?1 WHERE export_seq IS NULL AND anomaly = " + a +
                " AND id > ?2 AND id <= ?3 AND ?4 >= 0",
            "SELECT coalesce(max(id), 0) FROM insights"};
}

const std::string item_columns = "SELECT it.id, " + item_source +
                                 ", it.line, g.ingested_at, it.payload, g.columns, it.image FROM items it " +
                                 item_joins;
const std::string item_scored = " AND EXISTS (SELECT 1 FROM insights s WHERE s.item_id = it.id AND s.id <= ?3)";
const std::string quarantine_columns = "SELECT id, stage, source, line, source_key, item_id, model, model_version, "
                                       "reason, raw, created_at FROM quarantine ";
const std::string drift_columns = "SELECT id, model, model_version, first_item_id, last_item_id, items, opened_at, "
                                  "closed_at, flagged, indices, counts FROM drift_windows ";
// A row of shadow answers is one export row: its answers' lines are never split between volumes,
// so that a row is marked exported whole. Its answers' sources come as a JSON array of [position,
// source, source key].
const std::string shadow_columns = "SELECT s.id, s.model, s.model_version, s.active_version, s.scored_at, "
                                   "s.model_digest, s.body, (SELECT json_group_array(json_array(a.key, " +
                                   item_source +
                                   ")) FROM json_each(s.body) a JOIN items it ON it.id = "
                                   "json_extract(a.value, '$[0]') " +
                                   item_joins + "), s.answers FROM shadow_answers s ";

}  // namespace

std::string_view to_string(Category category) {
    switch (category) {
    case Category::anomalies: return "anomalies";
    case Category::insights: return "insights";
    case Category::items: return "items";
    case Category::quarantine: return "quarantine";
    case Category::drift: return "drift";
    case Category::shadow: return "shadow";
    }
    return "unknown";
}

Result<Category> parse_category(std::string_view name) {
    for (auto category : export_categories)
        if (to_string(category) == name) return category;
    return fail("unknown export category " + quote(name));
}

const CategorySql& category_sql(Category category) {
    static const std::array<CategorySql, 6> all = {
        insight_sql(1), insight_sql(0),
        CategorySql{
            item_columns + "WHERE it.export_seq IS NULL AND it.id > ?1 AND it.id <= ?2" + item_scored +
                " ORDER BY it.id",
            item_columns + "WHERE it.export_seq = ?1 ORDER BY it.id",
            "UPDATE items AS it SET export_seq = ?1 WHERE it.export_seq IS NULL AND it.id > ?2 AND it.id <= ?3 AND "
            "EXISTS (SELECT 1 FROM insights s WHERE s.item_id = it.id AND s.id <= ?4)",
            "SELECT coalesce(max(id), 0) FROM items"},
        CategorySql{
            quarantine_columns + "WHERE export_seq IS NULL AND id > ?1 AND id <= ?2 AND ?3 >= 0 ORDER BY id",
            quarantine_columns + "WHERE export_seq = ?1 ORDER BY id",
            "UPDATE quarantine SET export_seq = ?1 WHERE export_seq IS NULL AND id > ?2 AND id <= ?3 AND ?4 >= 0",
            "SELECT coalesce(max(id), 0) FROM quarantine"},
        // Closed drift windows only; a window closes as a new row, so none in a planned range changes.
        CategorySql{
            drift_columns + "WHERE export_seq IS NULL AND closed_at IS NOT NULL AND id > ?1 AND id <= ?2 AND ?3 >= 0 "
                            "ORDER BY id",
            drift_columns + "WHERE export_seq = ?1 ORDER BY id",
            "UPDATE drift_windows SET export_seq = ?1 WHERE export_seq IS NULL AND closed_at IS NOT NULL AND id > ?2 "
            "AND id <= ?3 AND ?4 >= 0",
            "SELECT coalesce(max(id), 0) FROM drift_windows"},
        CategorySql{
            shadow_columns + "WHERE s.export_seq IS NULL AND s.id > ?1 AND s.id <= ?2 AND ?3 >= 0 ORDER BY s.id",
            shadow_columns + "WHERE s.export_seq = ?1 ORDER BY s.id",
            "UPDATE shadow_answers SET export_seq = ?1 WHERE export_seq IS NULL AND id > ?2 AND id <= ?3 AND ?4 >= 0",
            "SELECT coalesce(max(id), 0) FROM shadow_answers", "sum(answers)"}};
    return all[static_cast<std::size_t>(category)];
}

const std::string mark_anomalies_and_insights =
    "UPDATE insights SET export_seq = ?1 WHERE export_seq IS NULL AND id > min(?2, ?4) AND id <= max(?3, ?5) AND "
    "?6 >= 0 AND id > iif(anomaly, ?2, ?4) AND id <= iif(anomaly, ?3, ?5)";

Json optional_text(const Statement& s, int col) { return s.column_is_null(col) ? Json() : Json(s.column_text(col)); }

namespace {

std::optional<std::string_view> optional_view(const Statement& s, int col) {
    if (s.column_is_null(col)) return std::nullopt;
    return s.column_view(col);
}

PayloadFields payload_fields(const Statement& s, int payload, int columns) {
    return {s.column_view(payload), optional_view(s, columns)};
}

// A row's lines go into the buffers a previous row left (their capacity reused).
std::string& next_line(RowLines& r, const char* file) {
    auto& [name, line] = r.lines.emplace_back();
    name = file;
    line.clear();
    return line;
}

// The JSON value a column stores; `why` when it does not parse.
Json stored_json(const Statement& s, int col, const char* why) {
    auto doc = parse_json(s.column_view(col));
    if (!doc) throw Error(why);
    return std::move(*doc);
}

// A row of shadow answers (schemas/store-v10.sql): a line for each answer, the answer's id its
// row's id plus its position.
void serialise_shadow(const Statement& s, const std::string& site, RowLines& r) {
    const Json answers = stored_json(s, 6, "its stored answers do not parse"),
               found = stored_json(s, 7, "its answers' sources do not parse");
    if (!answers.is_array() || !found.is_array()) throw Error("its stored answers are not a JSON array");
    std::vector<const Json*> sources(answers.size(), nullptr);
    for (const Json& f : found)
        if (f.size() == 3 && f[0].is_number_unsigned() && f[0].get<std::size_t>() < sources.size())
            sources[f[0].get<std::size_t>()] = &f;
    const Json model = s.column_text(1), version = s.column_text(2), active = s.column_text(3),
               scored_at = s.column_text(4), digest = s.column_text(5);
    for (std::size_t k = 0; k < answers.size(); ++k) {
        const Json& a = answers[k];
        if (!a.is_array() || a.size() < 5 || !a[0].is_number_integer())
            throw Error("its answer " + std::to_string(k) + " is not [item, label, score, anomaly, probabilities]");
        if (!sources[k]) throw Error("the item of its answer " + std::to_string(k) + " is not in the store");
        const bool answered = a.size() == 5;
        Json record = {{"site", site},
                       {"shadow_id", r.id + std::int64_t(k)},
                       {"item_id", a[0]},
                       {"source", (*sources[k])[1]},
                       {"source_key", (*sources[k])[2]},
                       {"model", model},
                       {"model_version", version},
                       {"active_version", active},
                       {"label", a[1]},
                       {"score", a[2].is_number() ? Json(a[2].get<double>()) : Json()},
                       {"probabilities", a[4]},
                       {"anomaly", a[3].is_number() ? Json(a[3].get<int>() == 1) : Json()},
                       {"error", answered ? Json() : a[5]},
                       {"scored_at", scored_at},
                       {"model_digest", digest}};
        next_line(r, "data/shadow.ndjson") = record.dump();
    }
    r.records = std::int64_t(answers.size());
    // Its version's lineage goes into models.ndjson; the summary counts insights only.
    r.model = s.column_text(1);
    r.version = s.column_text(2);
}

void serialise_row(Category category, const Statement& s, ExportRecords& records, const std::string& site,
                   RowLines& r) {
    r.id = s.column_int(0);
    r.records = 1;
    r.model.clear();
    r.summarised = false;
    r.image.clear();
    if (category == Category::anomalies || category == Category::insights) {
        InsightFields f;
        f.insight_id = r.id;
        f.item_id = s.column_int(1);
        f.source = s.column_view(2);
        f.source_key = s.column_view(3);
        f.model = s.column_view(4);
        f.model_version = s.column_view(5);
        f.label = optional_view(s, 6);
        f.score = s.column_double(7);
        f.probabilities = optional_view(s, 8);
        f.anomaly = s.column_int(9) != 0;
        f.scored_at = s.column_view(10);
        f.model_digest = optional_view(s, 13);
        f.image = optional_view(s, 15);
        if (f.image) r.image = *f.image;
        records.append_insight(next_line(r, "data/insights.ndjson"), f);
        r.model = f.model;
        r.version = f.model_version;
        r.summarised = true;
        r.label = f.label.value_or("");
        r.hour.assign(f.scored_at.substr(0, 13)).append(":00:00Z");
        r.anomaly = f.anomaly;
        if (r.anomaly)
            records.append_anomaly(next_line(r, "data/anomalies.ndjson"), f, s.column_view(11),
                                   payload_fields(s, 12, 14));
    } else if (category == Category::items) {
        records.append_item(next_line(r, "data/items.ndjson"), r.id, s.column_view(1), s.column_view(2),
                            s.column_int(3), s.column_view(4), payload_fields(s, 5, 6));
        if (!s.column_is_null(7)) r.image = s.column_view(7);
    } else if (category == Category::drift) {
        auto stored = [&](int col) { return stored_json(s, col, "its stored JSON does not parse"); };
        Json record = {{"site", site},
                       {"window_id", r.id},
                       {"model", s.column_text(1)},
                       {"model_version", s.column_text(2)},
                       {"first_item_id", s.column_int(3)},
                       {"last_item_id", s.column_int(4)},
                       {"items", s.column_int(5)},
                       {"opened_at", s.column_text(6)},
                       {"closed_at", s.column_text(7)},
                       {"flagged", s.column_int(8) == 1},
                       {"indices", stored(9)},
                       {"counts", stored(10)}};
        next_line(r, "data/drift.ndjson") = record.dump();
    } else if (category == Category::shadow) {
        serialise_shadow(s, site, r);
    } else {
        Json record = {{"site", site},
                       {"quarantine_id", r.id},
                       {"stage", s.column_text(1)},
                       {"source", s.column_text(2)},
                       {"line", s.column_int(3)},
                       {"source_key", s.column_text(4)},
                       {"item_id", s.column_is_null(5) ? Json() : Json(s.column_int(5))},
                       {"model", s.column_text(6)},
                       {"model_version", s.column_text(7)},
                       {"reason", s.column_text(8)},
                       {"raw", optional_text(s, 9)},
                       {"created_at", s.column_text(10)}};
        // A record quarantined for bytes that are not UTF-8 keeps them in `raw`: U+FFFD here, as
        // ExportRecords writes such text.
        next_line(r, "data/quarantine.ndjson") = record.dump(-1, ' ', false, Json::error_handler_t::replace);
    }
}

}  // namespace

// A row that cannot be written (a stored JSON value that does not parse) is named, so that it can be
// found and mended.
void serialise(Category category, const Statement& s, ExportRecords& records, const std::string& site, RowLines& row) {
    row.lines.clear();
    try {
        serialise_row(category, s, records, site, row);
    } catch (const std::exception& e) {
        throw Error("cannot export " + std::string(to_string(category)) + " row " + std::to_string(s.column_int(0)) +
                    ": " + e.what());
    }
}

RowLines serialise(Category category, const Statement& s, ExportRecords& records, const std::string& site) {
    RowLines row;
    serialise(category, s, records, site, row);
    return row;
}

// ---------------------------------------------------------------------------------------------
// Rows selected and serialised on a second thread.

SerialisedRows::SerialisedRows(const Store& store, std::vector<RowQuery> queries)
    : db_(Db::open_reader(store.root() / "edgectl.db")), site_(store.site()), queries_(std::move(queries)),
      records_(site_), pipe_([this](LineBatch& b) { return produce(b); }) {}

bool SerialisedRows::produce(LineBatch& batch) {
    batch.size = 0;
    for (;;) {
        if (!rows_) {
            if (next_query_ == queries_.size()) return false;
            const RowQuery& q = queries_[next_query_++];
            rows_.emplace(db_, q.sql);
            for (std::size_t i = 0; i < q.binds.size(); ++i)
                rows_->bind(int(i) + 1, q.binds[i]);
            category_ = q.category;
        }
        batch.query = next_query_ - 1;
        batch.category = category_;
        while (batch.size < batch_rows && rows_->step()) {
            if (batch.rows.size() <= batch.size) batch.rows.emplace_back();
            serialise(category_, *rows_, records_, site_, batch.rows[batch.size++]);
        }
        if (batch.size == batch_rows) return true;
        rows_.reset();  // this query is done: its rows never share a batch with the next one's
        if (batch.size > 0) return true;
    }
}

}  // namespace edgectl
