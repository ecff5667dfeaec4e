#pragma once
// Retention: what the store may forget once the receiving side has it.

#include "store/store.hpp"
#include "util/clock.hpp"

#include <cstdint>

namespace edgectl {

struct PurgeResult {
    std::int64_t insights = 0, items = 0, quarantine = 0, images = 0, drift_windows = 0, shadow_insights = 0;
};

/// Deletes insights, quarantine rows and items older than `days` whose export was acknowledged;
/// with force, everything older, exported or not; and the rows of the frames no item names any
/// more (their files go at the next ingest). Ids of what goes are never given again. Age is
/// measured on clock's wall time.
PurgeResult purge(Store& store, const StoreLock& lock, double days, bool force, const Clock& clock = system_clock());

}  // namespace edgectl
