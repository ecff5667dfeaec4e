#include "export/records.hpp"

#include "util/error.hpp"
#include "util/ndjson.hpp"

#include <algorithm>
#include <charconv>
#include <map>

namespace edgectl {

std::string lossy_json_text(std::string_view text) {
    return Json(std::string(text)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

namespace {

// Text that is not valid UTF-8 (a file's name as the file system had it, the raw bytes of a record
// quarantined for them) goes out with U+FFFD for each byte that does not decode, as nlohmann writes
// it with error_handler_t::replace: refusing it stopped every export of the store for good. Valid
// text, the only kind an archive sealed before could hold, is unchanged.
std::string json_text(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    if (!append_json_string(out, text)) return lossy_json_text(text);
    return out;
}

std::string json_integer(std::int64_t n) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    (void)ec;
    return std::string(buf, end);
}

// A stored JSON value as nlohmann writes it back (numbers in its own shortest form, which the
// reference output has: the stored text itself may spell them otherwise).
std::string json_value(std::string_view stored) { return dump_json(Json::parse(stored)); }

}  // namespace

void ExportRecords::add_text(std::string_view key, std::string_view text) { fields_.push_back({key, json_text(text)}); }

void ExportRecords::add_optional_text(std::string_view key, const std::optional<std::string_view>& text) {
    fields_.push_back({key, text ? json_text(*text) : std::string("null")});
}

void ExportRecords::add_raw(std::string_view key, std::string json) { fields_.push_back({key, std::move(json)}); }

void ExportRecords::add_insight_fields(const InsightFields& f) {
    add_text("site", site_);
    add_raw("insight_id", json_integer(f.insight_id));
    add_raw("item_id", json_integer(f.item_id));
    add_text("source", f.source);
    add_text("source_key", f.source_key);
    add_text("model", f.model);
    add_text("model_version", f.model_version);
    add_optional_text("label", f.label);
    add_raw("score", dump_json(Json(f.score)));
    add_raw("probabilities", f.probabilities ? json_value(*f.probabilities) : std::string("null"));
    add_raw("anomaly", f.anomaly ? "true" : "false");
    add_text("scored_at", f.scored_at);
    add_optional_text("model_digest", f.model_digest);
}

// The fields in key order (a Json object is a std::map), as compact JSON.
std::string ExportRecords::line() {
    std::sort(fields_.begin(), fields_.end(), [](const Field& a, const Field& b) { return a.key < b.key; });
    std::size_t size = 2;
    for (const auto& f : fields_)
        size += f.key.size() + f.value.size() + 4;
    std::string out;
    out.reserve(size);
    out += '{';
    for (const auto& f : fields_) {
        if (out.size() > 1) out += ',';
        out += '"';
        out += f.key;  // keys are edgectl's own: nothing to escape
        out += "\":";
        out += f.value;
    }
    out += '}';
    return out;
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
        columns_ = std::move(c);
    }
    return *columns_;
}

// A payload as an object: a CSV record's values are stored as an array in the order of its ingest's
// columns.
std::string ExportRecords::payload_object(const PayloadFields& payload) {
    Json value = Json::parse(payload.json);
    if (!payload.columns) return dump_json(value);
    // Not what ingest writes, but as the Json objects had it: nothing to name gives {}, values that
    // are not an array under names are an error.
    if (value.empty()) return "{}";
    const ColumnOrder& c = column_order(*payload.columns);
    if (c.names.empty()) return "{}";
    if (!value.is_array()) throw Error("a CSV payload is not an array of values");
    std::vector<std::size_t> shorter;
    const std::vector<std::size_t>* order = &c.order;
    if (value.size() < c.names.size()) order = &(shorter = order_of(c.names, value.size()));
    std::string out = "{";
    for (std::size_t i : *order) {
        if (out.size() > 1) out += ',';
        if (!append_json_string(out, c.names[i])) out += lossy_json_text(c.names[i]);
        out += ':';
        out += dump_json(value[i]);
    }
    out += '}';
    return out;
}

std::string ExportRecords::insight(const InsightFields& f) {
    fields_.clear();  // a record that threw halfway leaves nothing behind
    add_insight_fields(f);
    return line();
}

std::string ExportRecords::anomaly(const InsightFields& f, std::string_view ingested_at, const PayloadFields& payload) {
    fields_.clear();
    add_insight_fields(f);
    add_text("ingested_at", ingested_at);
    add_raw("payload", payload_object(payload));
    return line();
}

std::string ExportRecords::item(std::int64_t item_id, std::string_view source, std::string_view source_key,
                                std::int64_t line_number, std::string_view ingested_at, const PayloadFields& payload) {
    fields_.clear();
    add_text("site", site_);
    add_raw("item_id", json_integer(item_id));
    add_text("source", source);
    add_text("source_key", source_key);
    add_raw("line", json_integer(line_number));
    add_text("ingested_at", ingested_at);
    add_raw("payload", payload_object(payload));
    return line();
}

}  // namespace edgectl
