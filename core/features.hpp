#pragma once
// The scoring hot path: from a stored payload (JSON text) straight to one standardised input row,
// with simdjson's on-demand parser and no document tree. Same results and the same reasons as
// extract_features() (model_spec.hpp), which the golden checks use.

#include "model_spec.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace edgectl {

class FeatureExtractor {
public:
    explicit FeatureExtractor(const ModelSpec& spec);
    ~FeatureExtractor();
    FeatureExtractor(const FeatureExtractor&) = delete;
    FeatureExtractor& operator=(const FeatureExtractor&) = delete;

    /// Writes spec.fields.size() floats to out; returns "" or why the item cannot be scored.
    std::string extract(std::string_view payload, float* out);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace edgectl
