#pragma once
// Test fixtures: a temporary directory per test, a hand-made tar.zst writer for crafting hostile
// archives byte by byte, and the path of the committed sample site.

#include "ingest/ingest.hpp"
#include "model/model.hpp"
#include "util/fs.hpp"
#include "util/result.hpp"

#include <string>
#include <vector>

namespace edgectl::test {

/// A fresh directory, removed with its contents when the test ends.
struct TempDirFixture {
    TempDirFixture();
    ~TempDirFixture();
    fs::path dir;
};

/// One entry of a crafted archive. type: 'f' file, 'd' directory, 'l' symlink (content = target),
/// 'h' hard link (content = target), 'c' character device, 'p' FIFO, 's' a sparse file of 1 GiB
/// holding content at its start.
struct CraftedEntry {
    std::string name;
    std::string content;
    char type = 'f';
};

/// Writes entries as a zstd-compressed tar exactly as given (no safety checks: that is the point).
void write_crafted(const fs::path& path, const std::vector<CraftedEntry>& entries);

/// Ingest options naming just these paths.
inline IngestOptions paths(std::vector<fs::path> p) {
    IngestOptions o;
    o.paths = std::move(p);
    return o;
}

/// The sample site committed in scripts/sample-site.
fs::path sample_dir();

/// Writes a whole file (made or replaced), for setting up a test.
void write_file(const fs::path& path, std::string_view content);

/// Reads a whole file.
std::string slurp(const fs::path& path);

/// Loads a TorchScript file through the LibTorch module (edgectl itself loads models from
/// packages and the store, already in memory).
std::unique_ptr<Model> load_model_file(const fs::path& path);

/// Why r failed, or "" when it succeeded: for comparing two results' verdicts at once.
template <class T> std::string failure_of(const Result<T>& r) { return r ? std::string() : r.error(); }

}  // namespace edgectl::test
