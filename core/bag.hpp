#pragma once
// BagIt 1.0 (RFC 8493) inside a tar.zst: writing the tag files of a bag, and verifying a bag by
// streaming its archive — every digest, the manifests' completeness and the Payload-Oxum — without
// writing the payload to disk.

#include "fs.hpp"
#include "minisign.hpp"
#include "ndjson.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace edgectl {

/// A file of the bag: its path relative to the bag's base directory, SHA-256 and size.
struct BagFile {
    std::string path;
    std::string sha256;
    std::uint64_t size = 0;
};

/// The exact bagit.txt of a BagIt 1.0 bag.
std::string bagit_txt();

/// "<sha256>  <path>\n" per file, in the order given (a manifest or tag manifest).
std::string bag_manifest(const std::vector<BagFile>& files);

/// bag-info.txt from ordered label/value pairs.
std::string bag_info(const std::vector<std::pair<std::string, std::string>>& fields);

/// The outcome of verifying a bag archive.
struct BagReport {
    std::string base;                         ///< the bag's base directory name
    std::vector<std::string> problems;        ///< each names the entry and the cause; empty = valid
    std::uint64_t payload_bytes = 0;
    std::size_t payload_files = 0;
    std::map<std::string, std::string> info;  ///< bag-info.txt labels and values
    std::string tagmanifest_sha256;           ///< digest of tagmanifest-sha256.txt
    std::string signature;                    ///< what was found of the .minisig beside it
    bool ok() const { return problems.empty(); }
};

/// Streams a .tar.zst holding one bag and checks it completely. Hostile or corrupt archives become
/// problems (never exceptions) so that every failing entry is named.
/// With site_key, a '.minisig' beside the archive must be a valid signature by it (and must be there
/// if require_signature); without, a signature that is there is reported but not checked.
BagReport verify_bag_archive(const fs::path& path, const minisign::PublicKey* site_key, bool require_signature = false);

Json to_json(const BagReport& report);

} // namespace edgectl
