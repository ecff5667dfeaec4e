#pragma once
// Durability points, in the manner of FreeBSD's fail points or TiKV's fail-rs: every place where what
// the store or an export target holds is about to change for good (a commit, an fsync, a rename, an
// unlink, a mkdir) passes through crash::point with a stable name. The points are always compiled in
// and inert unless the environment names one, so that a test can stop the real binary exactly
// there, rerun the same command, and check that nothing was lost, doubled or half-made:
//
//   EDGECTL_CRASH_AT=NAME     the process kills itself (SIGKILL) the first time it reaches NAME,
//                             before the operation; NAME#N at the N-th time
//   EDGECTL_CRASH_STOP=NAME   the process stops itself (SIGSTOP) there instead, so that a test can
//                             change the world under it (swap a file) and let it go on (SIGCONT)
//   EDGECTL_CRASH_TRACE=FILE  every point reached is appended to FILE as 'NAME<TAB>PATH'
//
// Names are '<step>:<operation>', e.g. 'ingest.records:commit' or 'export.archive:rename';
// docs/guarantees.md lists them all and says why a kill at each one is safe.

#include <filesystem>
#include <string_view>

namespace edgectl::crash {

/// Marks a durability point (see above). `path` is what the operation touches, for the trace.
/// Thread-safe; costs one branch when no variable is set.
void point(std::string_view name, const std::filesystem::path& path = {});

}  // namespace edgectl::crash
