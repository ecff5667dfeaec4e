#include "model/features.hpp"

#include "util/ndjson.hpp"

#include <simdjson.h>

#include <cmath>
#include <cstdlib>
#include <optional>
#include <unordered_map>
#include <vector>

namespace edgectl {

struct FeatureExtractor::Impl {
    const ModelSpec& spec;
    std::unordered_map<std::string, std::size_t> index;  ///< field name -> column
    simdjson::ondemand::parser parser;
    std::string buffer;                 ///< the payload, copied with simdjson's required padding
    std::vector<char> seen;             ///< which columns this payload filled
    std::string key;                    ///< the current key, unescaped
    std::optional<std::size_t> failed;  ///< the field that made the last payload unscorable

    explicit Impl(const ModelSpec& s) : spec(s) {
        for (std::size_t i = 0; i < s.fields.size(); ++i)
            index.emplace(s.fields[i], i);
    }

    // The value of a feature, or why it cannot be one, in extract_features' words.
    static Result<double> number(simdjson::ondemand::value v, const std::string& name) {
        using T = simdjson::ondemand::json_type;
        T type;
        if (v.type().get(type)) return fail("stored payload is not valid JSON");
        double value = 0;
        switch (type) {
        case T::number: {
            if (v.get_double().get(value)) return fail("field '" + name + "' is not a finite number");
            break;
        }
        case T::string: {
            std::string_view text;
            if (v.get_string().get(text)) return fail("stored payload is not valid JSON");
            std::string copy(text);
            char* end = nullptr;
            value = std::strtod(copy.c_str(), &end);
            if (copy.empty() || end != copy.c_str() + copy.size())
                return fail("field '" + name + "' is not a number: '" + copy.substr(0, 40) + "'");
            break;
        }
        case T::null: return fail("field '" + name + "' is null, not a number");
        case T::boolean: return fail("field '" + name + "' is boolean, not a number");
        case T::array: return fail("field '" + name + "' is array, not a number");
        case T::object: return fail("field '" + name + "' is object, not a number");
        }
        if (!std::isfinite(value)) return fail("field '" + name + "' is not a finite number");
        return value;
    }

    // Standardises column i's value into out[i], or says why it cannot be.
    Result<> put(std::size_t i, simdjson::ondemand::value v, const std::string& name, float* out) const {
        auto value = number(v, name);
        if (!value) return Failure{value.error()};
        auto input = standardise(spec, i, *value);
        if (!input) return Failure{input.error()};
        out[i] = *input;
        return {};
    }
};

FeatureExtractor::FeatureExtractor(const ModelSpec& spec) : impl_(std::make_unique<Impl>(spec)) {}
FeatureExtractor::~FeatureExtractor() = default;

std::optional<std::size_t> FeatureExtractor::failed_field() const { return impl_->failed; }

Result<> FeatureExtractor::extract(std::string_view payload, float* out) {
    Impl& m = *impl_;
    m.failed.reset();
    m.buffer.assign(payload);
    m.buffer.resize(payload.size() + simdjson::SIMDJSON_PADDING);
    m.seen.assign(m.spec.fields.size(), 0);
    simdjson::ondemand::document doc;
    simdjson::ondemand::object object;
    if (m.parser.iterate(m.buffer.data(), payload.size(), m.buffer.size()).get(doc) || doc.get_object().get(object))
        return fail("stored payload is not a JSON object");
    for (auto field : object) {
        std::string_view k;
        if (field.unescaped_key().get(k)) return fail("stored payload is not valid JSON");
        m.key.assign(k);
        auto it = m.index.find(m.key);
        if (it == m.index.end()) continue;  // a field the model does not use: not even parsed
        if (auto done = m.put(it->second, field.value(), m.key, out); !done) {
            m.failed = it->second;
            return done;
        }
        m.seen[it->second] = 1;
    }
    for (std::size_t i = 0; i < m.seen.size(); ++i) {
        if (!m.seen[i]) {
            m.failed = i;
            return fail("missing field '" + m.spec.fields[i] + "'");
        }
    }
    return {};
}

FeatureExtractor::Layout FeatureExtractor::layout(std::string_view columns) const {
    Layout l;
    auto names = parse_json(columns);
    if (!names || !names->is_array()) {
        l.problem = "stored columns of the item's source are not a JSON array";
        return l;
    }
    std::vector<char> found(impl_->spec.fields.size(), 0);
    for (const auto& name : *names) {
        auto it = name.is_string() ? impl_->index.find(name.get<std::string>()) : impl_->index.end();
        if (it == impl_->index.end() || found[it->second]) {
            l.field_of.push_back(-1);
            continue;
        }
        l.field_of.push_back(int(it->second));
        found[it->second] = 1;
    }
    for (std::size_t i = 0; i < found.size() && l.problem.empty(); ++i) {
        if (!found[i]) {
            l.problem = "missing field '" + impl_->spec.fields[i] + "'";
            l.missing_field = int(i);
        }
    }
    return l;
}

Result<> FeatureExtractor::extract(std::string_view payload, const Layout& layout, float* out) {
    Impl& m = *impl_;
    m.failed.reset();
    if (!layout.problem.empty()) {
        if (layout.missing_field >= 0) m.failed = std::size_t(layout.missing_field);
        return fail(layout.problem);
    }
    m.buffer.assign(payload);
    m.buffer.resize(payload.size() + simdjson::SIMDJSON_PADDING);
    simdjson::ondemand::document doc;
    simdjson::ondemand::array array;
    if (m.parser.iterate(m.buffer.data(), payload.size(), m.buffer.size()).get(doc) || doc.get_array().get(array))
        return fail("stored payload is not a JSON array");
    std::size_t position = 0;
    for (auto element : array) {
        simdjson::ondemand::value v;
        if (element.get(v)) return fail("stored payload is not valid JSON");
        if (position >= layout.field_of.size())
            return fail("stored payload has more values than its source has columns");
        int field = layout.field_of[position++];
        if (field < 0) continue;  // a column the model does not use: not even parsed
        auto i = std::size_t(field);
        if (auto done = m.put(i, v, m.spec.fields[i], out); !done) {
            m.failed = i;
            return done;
        }
    }
    if (position != layout.field_of.size()) return fail("stored payload has fewer values than its source has columns");
    return {};
}

}  // namespace edgectl
