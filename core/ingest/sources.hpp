#pragma once
// A file taken in by ingest is a row of `sources`, keyed by the SHA-256 of its bytes: the same bytes
// again, under any name, are the same source.

#include "store/db.hpp"
#include "util/fs.hpp"

#include <string>

namespace edgectl {

/// SHA-256 of an open file from its start, leaving it at its start again.
std::string digest_of(File& file);

/// Whether the source with this digest was ingested to its end.
bool already_ingested(Db& db, const std::string& digest);

}  // namespace edgectl
