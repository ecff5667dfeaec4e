#pragma once
// BagIt 1.0 (RFC 8493) inside a tar.zst: writing the tag files of a bag, and verifying a bag by
// streaming its archive — every digest, the manifests' completeness, Payload-Oxum and the fields
// edgectl writes — without writing the payload to disk.
//
// Verification refuses what edgectl would not write, not only what BagIt forbids: a bag without
// its tag manifest or Payload-Oxum, files other than edgectl's payload files, names that differ
// only in case, bag-info fields that contradict each other or the archive's name. An export is
// checked as a whole before its rows count as shipped, and the receiving side lands nothing else.

#include "util/fs.hpp"
#include "util/minisign.hpp"
#include "util/ndjson.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace edgectl {

/// A file of the bag: its path relative to the bag's base directory, SHA-256 and size.
struct BagFile {
    std::string path;
    std::string sha256;
    std::uint64_t size = 0;
};

/// The payload files an export bag may hold ('data/...').
inline const std::set<std::string> bag_payload_files = {
    "data/insights.ndjson", "data/anomalies.ndjson", "data/items.ndjson", "data/quarantine.ndjson",
    "data/models.ndjson",   "data/summary.ndjson",   "data/drift.ndjson", "data/shadow.ndjson"};

/// The most frames one bag carries: its manifest stays well within what verify reads of a tag
/// file. An export with more goes on in further volumes.
inline constexpr std::size_t max_bag_images = 4096;

/// The payload file of a camera frame in a bag: data/images/<its SHA-256>.jpg or .png.
std::string bag_image_path(std::string_view digest, std::string_view format);

/// Whether a path in a bag is a frame's payload file (bag_image_path()); its digest is then in
/// `digest` when given.
bool is_bag_image_path(std::string_view rel, std::string* digest = nullptr);

/// The exact bagit.txt of a BagIt 1.0 bag.
std::string bagit_txt();

/// "<sha256>  <path>\n" per file, in the order given (a manifest or tag manifest).
std::string bag_manifest(const std::vector<BagFile>& files);

/// bag-info.txt from ordered label/value pairs.
std::string bag_info(const std::vector<std::pair<std::string, std::string>>& fields);

/// The outcome of verifying a bag archive.
struct BagReport {
    std::string base;                   ///< the bag's base directory name
    std::vector<std::string> problems;  ///< each names the entry and the cause; empty = valid
    std::uint64_t payload_bytes = 0;
    std::size_t payload_files = 0;
    std::map<std::string, std::string> info;  ///< bag-info.txt labels and values
    std::string tagmanifest_sha256;           ///< digest of tagmanifest-sha256.txt
    std::string signature;                    ///< what was found of the .minisig beside it
    bool ok() const { return problems.empty(); }
};

/// A bag archive read once: the verification and the digests of exactly the bytes verified.
struct ReadBag {
    BagReport report;
    std::string sha256;                      ///< of the whole file
    std::array<std::uint8_t, 64> prehash{};  ///< BLAKE2b-512 of the whole file: what its .minisig signs
    std::uint64_t size = 0;
};

/// Sees a bag's bytes in the same pass that verifies them: how the receiving side lands an archive
/// while it reads it once. Nothing a sink is given is verified until read_bag has returned a report
/// without problems, so a sink keeps what it makes aside until then. A sink that finds a payload
/// it cannot take throws VerifyError (a problem of the archive); any other exception stops the read.
class BagSink {
  public:
    virtual ~BagSink() = default;
    /// Every byte of the archive file, in order, each once.
    virtual void archive_bytes(const char* data, std::size_t size) = 0;
    /// A payload file begins: its path in the bag ('data/...') and the size its header gives.
    virtual void begin_file(const std::string& rel, std::uint64_t size) = 0;
    /// The next bytes of the payload file begun last.
    virtual void file_bytes(const char* data, std::size_t size) = 0;
    /// The payload file begun last has ended.
    virtual void end_file() = 0;
};

/// Reads an open archive from its start to its end, once, verifying the bag in it and digesting
/// every byte read, so that what is then signed or recorded is what was checked. The bag's base
/// directory must be named expected_base. Hostile or corrupt archives become problems, never
/// exceptions; only a failure to read the file (or the sink's own failure) throws.
ReadBag read_bag(File& file, const std::string& expected_base, BagSink* sink = nullptr);

/// Checks what lies beside an archive read with read_bag, adding to its report: the '.sha256'
/// sidecar (which must be there if require_sidecar) and the '.minisig' against site_key (which
/// must be there if require_signature; without a key, one that is there is reported, unchecked).
void check_bag_sidecars(const fs::path& path, ReadBag& read, const minisign::PublicKey* site_key,
                        bool require_signature, bool require_sidecar = false);

/// Verifies a '<name>.tar.zst' bag archive (base directory <name>) and what lies beside it: the
/// '.sha256' sidecar when it is there, and the '.minisig' against site_key (which must be there if
/// require_signature); without a key, a signature that is there is reported but not checked.
/// Every problem, sidecars' included, is reported, never thrown.
BagReport verify_bag_archive(const fs::path& path, const minisign::PublicKey* site_key, bool require_signature = false);

Json to_json(const BagReport& report);

}  // namespace edgectl
