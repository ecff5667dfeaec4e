#include "bag.hpp"

#include "archive.hpp"
#include "error.hpp"
#include "sha256.hpp"

#include <set>
#include <sstream>

namespace edgectl {
namespace {

const std::set<std::string> tag_files = {"bagit.txt", "bag-info.txt", "manifest-sha256.txt",
                                         "tagmanifest-sha256.txt"};

struct SeenFile {
    std::string sha256;
    std::uint64_t size = 0;
};

// Parses a manifest: "<digest> <path>" per line (one or more spaces). Problems are appended.
std::map<std::string, std::string> parse_manifest(const std::string& text, const std::string& name,
                                                  std::vector<std::string>& problems) {
    std::map<std::string, std::string> out;
    std::istringstream in(text);
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        auto space = line.find_first_of(" \t");
        auto path_at = line.find_first_not_of(" \t", space);
        std::string digest = line.substr(0, space);
        if (space == std::string::npos || path_at == std::string::npos || !is_sha256_hex(digest)) {
            problems.push_back(name + " line " + std::to_string(number) + " is not '<sha256> <path>'");
            continue;
        }
        std::string path = line.substr(path_at);
        if (!out.emplace(path, digest).second) problems.push_back(name + " lists '" + path + "' twice");
    }
    return out;
}

std::map<std::string, std::string> parse_info(const std::string& text) {
    std::map<std::string, std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        out[line.substr(0, colon)] = value;
    }
    return out;
}

// Checks every manifest entry against what the archive held, and every payload file is listed.
void check_manifests(BagReport& r, const std::map<std::string, SeenFile>& seen,
                     const std::map<std::string, std::string>& texts) {
    auto text = [&](const std::string& n) -> const std::string* {
        auto it = texts.find(n);
        return it == texts.end() ? nullptr : &it->second;
    };
    if (!text("bagit.txt")) r.problems.push_back("'bagit.txt' is missing");
    else if (*text("bagit.txt") != bagit_txt()) r.problems.push_back("'bagit.txt' is not a BagIt 1.0 declaration");
    if (!text("manifest-sha256.txt")) {
        r.problems.push_back("'manifest-sha256.txt' is missing");
        return;
    }
    auto manifest = parse_manifest(*text("manifest-sha256.txt"), "manifest-sha256.txt", r.problems);
    for (const auto& [path, digest] : manifest) {
        auto it = seen.find(path);
        if (!path.starts_with("data/")) r.problems.push_back("manifest-sha256.txt lists '" + path + "' outside data/");
        else if (it == seen.end()) r.problems.push_back("'" + path + "' is listed in manifest-sha256.txt but missing");
        else if (it->second.sha256 != digest) r.problems.push_back("'" + path + "' does not match its SHA-256 in manifest-sha256.txt");
    }
    for (const auto& [path, file] : seen) {
        if (!path.starts_with("data/")) continue;
        ++r.payload_files;
        r.payload_bytes += file.size;
        if (!manifest.count(path)) r.problems.push_back("'" + path + "' is not listed in manifest-sha256.txt");
    }
    if (const std::string* tm = text("tagmanifest-sha256.txt")) {
        for (const auto& [path, digest] : parse_manifest(*tm, "tagmanifest-sha256.txt", r.problems)) {
            auto it = seen.find(path);
            if (it == seen.end()) r.problems.push_back("'" + path + "' is listed in tagmanifest-sha256.txt but missing");
            else if (it->second.sha256 != digest) r.problems.push_back("'" + path + "' does not match its SHA-256 in tagmanifest-sha256.txt");
        }
        r.tagmanifest_sha256 = seen.at("tagmanifest-sha256.txt").sha256;
    }
    if (const std::string* info = text("bag-info.txt")) {
        r.info = parse_info(*info);
        std::string oxum = std::to_string(r.payload_bytes) + "." + std::to_string(r.payload_files);
        if (r.info.count("Payload-Oxum") && r.info["Payload-Oxum"] != oxum)
            r.problems.push_back("bag-info.txt Payload-Oxum is " + r.info["Payload-Oxum"] + " but the payload is " + oxum);
    }
}

// Reads the archive, hashing every file; keeps the small tag files' text.
void read_bag(const fs::path& path, BagReport& r, std::map<std::string, SeenFile>& seen,
              std::map<std::string, std::string>& texts) {
    ArchiveReader reader(path);
    ArchiveReader::Entry entry;
    std::vector<char> buf(1 << 16);
    while (reader.next(entry)) {
        auto slash = entry.name.find('/');
        std::string base = entry.name.substr(0, slash);
        if (r.base.empty()) r.base = base;
        if (base != r.base) throw VerifyError("entry '" + entry.name + "' lies outside the bag '" + r.base + "/'");
        if (!entry.directory && slash == std::string::npos)
            throw VerifyError("entry '" + entry.name + "' is not inside a bag directory");
        if (entry.directory) continue;
        std::string rel = entry.name.substr(slash + 1);
        if (seen.count(rel)) throw VerifyError("entry '" + entry.name + "' appears twice");
        bool keep = tag_files.count(rel) > 0;
        if (keep && entry.size > (16u << 20)) throw VerifyError("tag file '" + entry.name + "' is larger than 16 MiB");
        Sha256 h;
        std::string text;
        while (std::size_t n = reader.read(buf.data(), buf.size())) {
            h.update(buf.data(), n);
            if (keep) text.append(buf.data(), n);
        }
        seen[rel] = {h.finish(), entry.size};
        if (keep) texts[rel] = std::move(text);
    }
    if (r.base.empty()) throw VerifyError("the archive is empty");
}

} // namespace

std::string bagit_txt() { return "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"; }

std::string bag_manifest(const std::vector<BagFile>& files) {
    std::string out;
    for (const auto& f : files) out += f.sha256 + "  " + f.path + "\n";
    return out;
}

std::string bag_info(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out;
    for (const auto& [label, value] : fields) out += label + ": " + value + "\n";
    return out;
}

namespace {

// Checks the archive's .minisig (a pre-hashed signature of the archive file) against the site key.
void check_signature(const fs::path& path, const minisign::PublicKey* key, bool required, BagReport& r) {
    fs::path sig = path.string() + ".minisig";
    if (!fs::exists(sig)) {
        r.signature = "none";
        if (key && required) r.problems.push_back("'" + sig.filename().string() + "' is missing: the archive is not signed");
        return;
    }
    if (!key) {
        r.signature = "present, not checked (give the site's public key)";
        return;
    }
    try {
        auto parsed = minisign::parse_signature(read_file(sig, 8192), sig.string());
        minisign::verify_prehashed(*key, parsed, minisign::prehash_file(path.string()), sig.filename().string());
        r.signature = "valid, by key " + minisign::key_id_hex(key->key_id) + ": " + parsed.trusted_comment;
    } catch (const VerifyError& e) {
        r.signature = "invalid";
        r.problems.push_back(e.what());
    }
}

} // namespace

BagReport verify_bag_archive(const fs::path& path, const minisign::PublicKey* site_key, bool require_signature) {
    BagReport r;
    std::map<std::string, SeenFile> seen;
    std::map<std::string, std::string> texts;
    try {
        read_bag(path, r, seen, texts);
    } catch (const VerifyError& e) {
        r.problems.push_back(e.what());
        return r;
    }
    check_manifests(r, seen, texts);
    // The sidecar digest written beside the archive, when it is there.
    fs::path sidecar = path.string() + ".sha256";
    if (fs::exists(sidecar)) {
        std::string text = read_file(sidecar, 4096);
        if (text.size() < 64 || text.substr(0, 64) != sha256_file(path))
            r.problems.push_back("'" + path.filename().string() + "' does not match its digest in '" +
                                 sidecar.filename().string() + "'");
    }
    check_signature(path, site_key, require_signature, r);
    return r;
}

Json to_json(const BagReport& r) {
    return {{"kind", "export-bag"}, {"ok", r.ok()}, {"bag", r.base}, {"problems", r.problems},
            {"payload_files", r.payload_files}, {"payload_bytes", r.payload_bytes}, {"bag_info", r.info},
            {"signature", r.signature}};
}

} // namespace edgectl
