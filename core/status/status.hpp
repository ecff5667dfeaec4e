#pragma once
// `edgectl status`: what the store holds and what is waiting. Read-only: in WAL mode it never
// blocks a running ingest, score or export.

#include "store/store.hpp"
#include "util/ndjson.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace edgectl {

struct ModelStatus {
    std::string name, version;
    std::int64_t scored = 0, pending = 0, quarantined = 0, anomalies = 0;
    std::int64_t drift_windows = 0, drift_flagged = 0;  ///< closed drift windows, and flagged ones
    std::optional<bool> drift_last_flagged;             ///< the newest closed window's verdict
    std::vector<std::string> drift_last_flags;          ///< ... and why
    std::optional<std::string> shadow;                  ///< the shadow version scoring beside it
    std::int64_t shadow_answers = 0;                    ///< ... its answers beside this version
};

struct StatusReport {
    std::string site;
    fs::path store;
    std::int64_t items = 0;
    std::int64_t frames = 0;       ///< of the items, camera frames
    std::int64_t quarantined = 0;  ///< at ingest
    std::int64_t insights = 0;
    std::int64_t anomalies = 0;
    std::int64_t unexported = 0;  ///< insights waiting for export
    std::int64_t exports = 0;
    std::int64_t unfinished_exports = 0;     ///< pending: interrupted, to be finished or abandoned
    std::optional<std::string> last_export;  ///< name of the newest complete export
    std::optional<std::string> last_export_at;
    std::vector<ModelStatus> models;  ///< active models
    std::uint64_t disk_bytes = 0;
};

StatusReport status(Store& store);

Json to_json(const StatusReport& report);

}  // namespace edgectl
