#include "features.hpp"

#include <simdjson.h>

#include <cmath>
#include <cstdlib>
#include <unordered_map>
#include <vector>

namespace edgectl {

struct FeatureExtractor::Impl {
    const ModelSpec& spec;
    std::unordered_map<std::string, std::size_t> index;  ///< field name -> column
    simdjson::ondemand::parser parser;
    std::string buffer;            ///< the payload, copied with simdjson's required padding
    std::vector<char> seen;        ///< which columns this payload filled
    std::string key;               ///< the current key, unescaped

    explicit Impl(const ModelSpec& s) : spec(s) {
        for (std::size_t i = 0; i < s.fields.size(); ++i) index.emplace(s.fields[i], i);
    }

    // Why a value cannot be a feature, in extract_features' words; or sets value.
    std::string number(simdjson::ondemand::value v, const std::string& name, double& value) {
        using T = simdjson::ondemand::json_type;
        T type;
        if (v.type().get(type)) return "stored payload is not valid JSON";
        switch (type) {
        case T::number: {
            if (v.get_double().get(value)) return "field '" + name + "' is not a finite number";
            break;
        }
        case T::string: {
            std::string_view text;
            if (v.get_string().get(text)) return "stored payload is not valid JSON";
            std::string copy(text);
            char* end = nullptr;
            value = std::strtod(copy.c_str(), &end);
            if (copy.empty() || end != copy.c_str() + copy.size())
                return "field '" + name + "' is not a number: '" + copy.substr(0, 40) + "'";
            break;
        }
        case T::null: return "field '" + name + "' is null, not a number";
        case T::boolean: return "field '" + name + "' is boolean, not a number";
        case T::array: return "field '" + name + "' is array, not a number";
        case T::object: return "field '" + name + "' is object, not a number";
        }
        if (!std::isfinite(value)) return "field '" + name + "' is not a finite number";
        return {};
    }
};

FeatureExtractor::FeatureExtractor(const ModelSpec& spec) : impl_(std::make_unique<Impl>(spec)) {}
FeatureExtractor::~FeatureExtractor() = default;

std::string FeatureExtractor::extract(std::string_view payload, float* out) {
    Impl& m = *impl_;
    m.buffer.assign(payload);
    m.buffer.resize(payload.size() + simdjson::SIMDJSON_PADDING);
    m.seen.assign(m.spec.fields.size(), 0);
    simdjson::ondemand::document doc;
    simdjson::ondemand::object object;
    if (m.parser.iterate(m.buffer.data(), payload.size(), m.buffer.size()).get(doc) || doc.get_object().get(object))
        return "stored payload is not a JSON object";
    for (auto field : object) {
        std::string_view k;
        if (field.unescaped_key().get(k)) return "stored payload is not valid JSON";
        m.key.assign(k);
        auto it = m.index.find(m.key);
        if (it == m.index.end()) continue;  // a field the model does not use: not even parsed
        double value = 0;
        if (std::string why = m.number(field.value(), m.key, value); !why.empty()) return why;
        out[it->second] = standardised(m.spec, it->second, value);
        m.seen[it->second] = 1;
    }
    for (std::size_t i = 0; i < m.seen.size(); ++i)
        if (!m.seen[i]) return "missing field '" + m.spec.fields[i] + "'";
    return {};
}

} // namespace edgectl
