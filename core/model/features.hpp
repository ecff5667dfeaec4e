#pragma once
// The scoring hot path: from a stored payload (JSON text) straight to one standardised input row,
// with simdjson's on-demand parser and no document tree. Same results and the same reasons as
// extract_features() (model/spec.hpp), which the golden checks use.

#include "model/spec.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgectl {

class FeatureExtractor {
  public:
    explicit FeatureExtractor(const ModelSpec& spec);
    ~FeatureExtractor();
    FeatureExtractor(const FeatureExtractor&) = delete;
    FeatureExtractor& operator=(const FeatureExtractor&) = delete;

    /// Writes spec.fields.size() floats to out, or says why the item cannot be scored.
    Result<> extract(std::string_view payload, float* out);

    /// Where the model's fields are in array payloads with these columns (a JSON array of names,
    /// as ingest records them for a CSV file).
    struct Layout {
        std::vector<int> field_of;  ///< per payload position: the model field it fills, or -1
        std::string problem;        ///< why no payload with these columns can be scored, or ""
        int missing_field = -1;     ///< the field the columns lack, if that is the problem
    };
    Layout layout(std::string_view columns) const;
    /// The same for an array payload laid out as `layout` says.
    Result<> extract(std::string_view payload, const Layout& layout, float* out);
    /// After a failed extract: the field whose value was missing or not a number, if one was.
    std::optional<std::size_t> failed_field() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace edgectl
