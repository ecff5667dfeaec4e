#pragma once
// Shadow scoring, compared: how a model's shadow version answered beside its active version on the
// site's own items, and promotion of the shadow only when they agree enough (docs/shadow.md).
// Score writes the answers (score.cpp); the registry says which version shadows which
// (package/registry.hpp).

#include "store/store.hpp"
#include "util/ndjson.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace edgectl {

/// The items a comparison looks at by default: the shadow's latest answers.
inline constexpr std::int64_t default_compare_window = 1000;

/// How a shadow version answered beside the active version, over its latest answers.
struct ShadowComparison {
    std::string model, active, shadow;   ///< name, and the two versions
    std::string kind;                    ///< the output kind: classification, regression or score
    std::int64_t window = 0;             ///< answers asked for
    std::int64_t items = 0;              ///< ... found: items the shadow was given beside the active version
    std::int64_t agreeing = 0;           ///< same label (classification) or same anomaly verdict (the others)
    std::int64_t active_unanswered = 0;  ///< items without the active version's insight (set aside, purged)
    std::int64_t shadow_failed = 0;      ///< items the shadow answered with NaN or infinity
    std::int64_t active_anomalies = 0, shadow_anomalies = 0;
    /// Active label -> shadow label -> items (classification only; both answered).
    std::map<std::string, std::map<std::string, std::int64_t>> confusion;
    std::vector<double> differences;  ///< shadow's score minus the active's, per item both answered, sorted

    /// Agreeing items over all items, a failure on either side counting as a disagreement; nullopt
    /// when there are none.
    std::optional<double> agreement() const;
    /// The q-quantile of `differences` (linear between ranks); nullopt when there are none.
    std::optional<double> difference_quantile(double q) const;
};

/// Compares name's shadow (or, with `version`, that version's answers) with name's active version
/// over the shadow's latest `window` answers beside it. Throws Error when name has no active
/// version, or no shadow and no version is given.
ShadowComparison compare_shadow(Db& db, const std::string& name, const std::optional<std::string>& version,
                                std::int64_t window);

/// Makes name's shadow `version` active, in one transaction, only if it is name's shadow and agrees
/// with the active version on at least `min_agreement` of its latest `window` answers; returns the
/// comparison that allowed it. Refuses (Error, nothing changed) otherwise.
ShadowComparison promote_shadow(Db& db, const StoreLock& lock, const std::string& name, const std::string& version,
                                double min_agreement, std::int64_t window);

Json to_json(const ShadowComparison& c);

}  // namespace edgectl
