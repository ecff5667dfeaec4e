#include "util/json_schema.hpp"

#include "util/error.hpp"

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include <map>
#include <memory>
#include <mutex>

namespace edgectl {
namespace {

// Parsed schemas, keyed by their text (a few small documents; parsing one is the costly part).
const valijson::Schema& parsed(std::string_view schema_text) {
    static std::mutex mutex;
    static std::map<std::string, std::unique_ptr<valijson::Schema>, std::less<>> cache;
    std::lock_guard lock(mutex);
    auto it = cache.find(schema_text);
    if (it == cache.end()) it = cache.emplace(std::string(schema_text), nullptr).first;
    auto& slot = it->second;
    if (!slot) {
        Json doc = Json::parse(schema_text);
        slot = std::make_unique<valijson::Schema>();
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        valijson::adapters::NlohmannJsonAdapter adapter(doc);
        parser.populateSchema(adapter, *slot);
    }
    return *slot;
}

}  // namespace

std::optional<std::string> schema_problem(std::string_view schema_text, const Json& doc) {
    valijson::Validator validator;
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter target(doc);
    if (validator.validate(parsed(schema_text), target, &results)) return std::nullopt;
    // The deepest error is the most specific one; valijson lists enclosing contexts first.
    valijson::ValidationResults::Error error, best;
    std::size_t depth = 0;
    while (results.popError(error)) {
        if (error.context.size() >= depth) {
            depth = error.context.size();
            best = error;
        }
    }
    std::string where;
    for (const auto& part : best.context)
        if (part != "<root>") where += part.starts_with('[') ? "/" + part.substr(1, part.size() - 2) : "/" + part;
    return "at " + (where.empty() ? std::string("/") : where) + ": " + best.description;
}

}  // namespace edgectl
