#pragma once
// The lake (docs/hub.md): what landed, laid out so that DuckDB, Spark, Trino and ClickHouse read it
// as it is. Hive-partitioned NDJSON, one folder per record kind, each file zstd-compressed with a
// 1 MiB window and '.zst' as its final suffix:
//
//   lake/<kind>/site=<site>/date=<YYYY-MM-DD>/<site>-<seq>.ndjson.zst   (further parts: -<seq>-2, ...)
//   lake/images/<first two hex digits>/<sha256>.jpg|png                   (content-addressed)
//
// and beside it evidence/<site>/<site>-<seq>.tar.zst with its .sha256 and .minisig, as received.
// A record's date is its own: scored_at (insights, anomalies), ingested_at (items), created_at
// (quarantine), imported_at (models), hour (summaries).
//
// LakeStager builds one archive's lake files in a staging directory while read_bag verifies the
// archive, in the same pass; the receiver names them in the lake only once the archive proved good.

#include "export/bag.hpp"
#include "util/fs.hpp"
#include "util/ndjson.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace edgectl {

/// A file of a landing, both paths relative to the hub's root.
struct LandedFile {
    std::string staged;
    std::string final;
};

class LakeStager final : public BagSink {
  public:
    /// Stages the lake files of archive `name` ('<site>-<seq>') of site as hub_root/staging_rel.N
    /// (staging_rel: 'staging/land-<name>').
    LakeStager(fs::path hub_root, std::string staging_rel, std::string site, std::string name, int level);
    ~LakeStager() override;
    LakeStager(const LakeStager&) = delete;
    LakeStager& operator=(const LakeStager&) = delete;

    void archive_bytes(const char* data, std::size_t size) override;
    void begin_file(const std::string& rel, std::uint64_t size) override;
    void file_bytes(const char* data, std::size_t size) override;
    void end_file() override;

    /// After a read that verified: copies the archive's sidecars beside its evidence copy. Returns
    /// what goes where. Nothing staged is synced: the receiver makes a batch durable at once.
    std::vector<LandedFile> finish(const fs::path& archive);

    /// Records landed per kind, and frames.
    Json counts() const;

  private:
    struct Part;
    void line(std::string_view text);
    Part& part_for(const std::string& date);
    void close_part(Part& part);
    /// A new staged file for final_rel: its path, now in files_.
    fs::path stage(const std::string& final_rel);

    fs::path root_;
    std::string staging_rel_, site_, name_;
    int level_;
    std::unique_ptr<File> evidence_;
    std::vector<LandedFile> files_;
    std::map<std::string, std::int64_t> counts_;
    // The payload file being read.
    std::string kind_, date_field_, carry_;
    std::uint64_t line_no_ = 0;
    std::unique_ptr<File> image_;
    std::vector<std::unique_ptr<Part>> open_;     ///< this kind's open parts, most recent last
    std::vector<std::unique_ptr<Part>> retired_;  ///< closed, until the compressor is done with them
    std::map<std::string, int> parts_;            ///< parts made per date, this kind
    struct Parser;
    std::unique_ptr<Parser> parser_;
    class Compressor;
    std::unique_ptr<Compressor> compressor_;  // last: destroyed first, while the parts it writes live
};

}  // namespace edgectl
