// libFuzzer target for the export bag verifier (read_bag): an archive on a Data Box disk, checked
// before its rows count as shipped and on the receiving side, may hold any bytes. read_bag must
// never crash, hang or read out of bounds, and must say what is wrong as problems, never throw (a
// memfd does not fail to read, so even edgectl::Error is a bug here). Whatever it reads, it must
// digest the whole input, exactly once. And when it finds no problem, the bag must really be one
// edgectl writes: a second, plainer check below reads the archive again and restates the rules
// (RFC 8493 manifests, bag-info.txt's fields, the base "site-000001") without bag.cpp's code.

#include "export/bag.hpp"
#include "util/archive.hpp"
#include "util/error.hpp"
#include "util/minisign.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace {

const std::string base = "site-000001";

// The input as an anonymous in-memory file, read from its start.
edgectl::File memory_file(const std::uint8_t* data, std::size_t size) {
    int fd = ::memfd_create("fuzz-bag", MFD_CLOEXEC);
    if (fd < 0) throw std::runtime_error("memfd_create failed");
    // Named by /proc: the reader reopens its path to tell damage from a file of another kind.
    edgectl::File file(fd, "/proc/self/fd/" + std::to_string(fd));
    file.write_all({reinterpret_cast<const char*>(data), size});
    file.rewind();
    return file;
}

// A file of the bag as the plain check read it.
struct Seen {
    std::string sha256;
    std::uint64_t size = 0;
    std::uint64_t lines = 0;
    std::string text;  // tag files only
};

bool digits_only(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool lower_hex(std::string_view s, std::size_t n) {
    return s.size() == n &&
           std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Splits at '\n'; a last line without one counts, an empty piece after the last '\n' does not.
std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

// A manifest of a valid bag: "<64 lowercase hex> <path>" per line (one or more spaces or tabs, an
// optional CR before the LF), each path once. Returns false for anything else.
bool plain_manifest(const std::string& text, std::map<std::string, std::string>& out) {
    for (std::string line : split_lines(text)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        if (line.size() < 66 || !lower_hex(std::string_view(line).substr(0, 64), 64) ||
            (line[64] != ' ' && line[64] != '\t'))
            return false;
        std::size_t path_at = line.find_first_not_of(" \t", 64);
        if (path_at == std::string::npos) return false;
        if (!out.emplace(line.substr(path_at), line.substr(0, 64)).second) return false;
    }
    return true;
}

// bag-info.txt of a valid bag: "Label: value" lines, each label once.
bool plain_info(const std::string& text, std::map<std::string, std::string>& out) {
    for (const std::string& line : split_lines(text)) {
        std::size_t colon = line.find(':');
        if (colon == std::string::npos) return false;
        std::size_t value_at = line.find_first_not_of(' ', colon + 1);
        std::string value = value_at == std::string::npos ? "" : line.substr(value_at);
        if (!out.emplace(line.substr(0, colon), value).second) return false;
    }
    return true;
}

// Digests and record counts of a manifest against the files read.
bool manifest_matches(const std::map<std::string, std::string>& listed, const std::map<std::string, Seen>& files) {
    for (const auto& [path, digest] : listed) {
        auto it = files.find(path);
        if (it == files.end() || it->second.sha256 != digest) return false;
    }
    return true;
}

// Reads the archive a second time (through ArchiveReader, which has a fuzzer of its own) and returns
// false unless it is a bag edgectl would write, under `base`, and the report says what it holds.
bool plainly_valid(const std::string& path, std::uint64_t size, const edgectl::BagReport& report) {
    const std::set<std::string> tags = {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt"};
    std::map<std::string, Seen> files;
    try {
        edgectl::ArchiveReader reader(path, {64, edgectl::unpacked_limit(size), edgectl::unpacked_limit(size)});
        edgectl::ArchiveReader::Entry entry;
        std::vector<char> buf(1 << 16);
        while (reader.next(entry)) {
            if (entry.directory) {
                if (entry.name != base && entry.name != base + "/data") return false;
                continue;
            }
            if (!entry.name.starts_with(base + "/")) return false;
            std::string rel = entry.name.substr(base.size() + 1);
            if (!tags.count(rel) && !edgectl::bag_payload_files.count(rel)) return false;
            if (files.count(rel)) return false;
            Seen& seen = files[rel];
            edgectl::Sha256 sha;
            while (std::size_t n = reader.read(buf.data(), buf.size())) {
                sha.update(buf.data(), n);
                seen.size += n;
                seen.lines += std::uint64_t(std::count(buf.data(), buf.data() + n, '\n'));
                if (tags.count(rel)) seen.text.append(buf.data(), n);
            }
            seen.sha256 = sha.finish();
        }
    } catch (const edgectl::Error&) {
        return false;  // the same bytes refused on a second reading
    }
    for (const auto& tag : tags)
        if (!files.count(tag)) return false;
    if (files["bagit.txt"].text != "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n") return false;

    // The payload manifest lists exactly the files under data/, with their digests; the tag manifest
    // exactly the three other tag files.
    std::map<std::string, std::string> manifest, tagmanifest;
    if (!plain_manifest(files["manifest-sha256.txt"].text, manifest) || !manifest_matches(manifest, files))
        return false;
    if (!plain_manifest(files["tagmanifest-sha256.txt"].text, tagmanifest) || !manifest_matches(tagmanifest, files))
        return false;
    std::uint64_t payload_bytes = 0;
    std::size_t payload_files = 0;
    for (const auto& [rel, seen] : files) {
        if (!rel.starts_with("data/")) continue;
        ++payload_files;
        payload_bytes += seen.size;
        if (!manifest.count(rel)) return false;
    }
    if (manifest.size() != payload_files) return false;
    if (tagmanifest != std::map<std::string, std::string>{{"bagit.txt", files["bagit.txt"].sha256},
                                                          {"bag-info.txt", files["bag-info.txt"].sha256},
                                                          {"manifest-sha256.txt", files["manifest-sha256.txt"].sha256}})
        return false;

    // bag-info.txt: the fields edgectl writes, consistent with the payload and the name.
    std::map<std::string, std::string> info;
    if (!plain_info(files["bag-info.txt"].text, info)) return false;
    for (const char* label : {"Source-Organization", "Bagging-Date", "Payload-Oxum", "External-Identifier",
                              "Bag-Group-Identifier", "Bag-Count", "Edgectl-Export-Sequence", "Edgectl-Export-Nonce",
                              "Edgectl-Previous-Tagmanifest-SHA256", "Edgectl-Insights", "Edgectl-Anomalies"})
        if (!info.count(label)) return false;
    if (info["Payload-Oxum"] != std::to_string(payload_bytes) + "." + std::to_string(payload_files)) return false;
    if (info["External-Identifier"] != base) return false;
    // "site-000001" is Source-Organization "site" and sequence 1 (written %06d: "1", "01"... all say 1).
    const std::string& seq = info["Edgectl-Export-Sequence"];
    if (info["Source-Organization"] != "site" || !digits_only(seq) || seq.find_first_not_of('0') != seq.size() - 1 ||
        seq.back() != '1')
        return false;
    const std::string& count = info["Bag-Count"];
    std::size_t of = count.find(" of ");
    if (of == std::string::npos || !digits_only(count.substr(0, of)) || !digits_only(count.substr(of + 4)) ||
        count.size() > 40)
        return false;
    std::string k = count.substr(0, of), n = count.substr(of + 4);
    k.erase(0, std::min(k.find_first_not_of('0'), k.size()));
    n.erase(0, std::min(n.find_first_not_of('0'), n.size()));
    if (k.empty() || (k.size() > n.size() || (k.size() == n.size() && k > n))) return false;  // 1 <= k <= n
    if (!lower_hex(info["Edgectl-Export-Nonce"], 32)) return false;
    const std::string& previous = info["Edgectl-Previous-Tagmanifest-SHA256"];
    if (previous != "none" && !lower_hex(previous, 64)) return false;
    auto lines = [&](const std::string& file) { return files.count(file) ? files[file].lines : 0; };
    if (info["Edgectl-Insights"] != std::to_string(lines("data/insights.ndjson"))) return false;
    if (info["Edgectl-Anomalies"] != std::to_string(lines("data/anomalies.ndjson"))) return false;
    for (const auto& [label, file] : {std::pair<std::string, std::string>{"Edgectl-Items", "data/items.ndjson"},
                                      {"Edgectl-Quarantine", "data/quarantine.ndjson"}}) {
        if (info.count(label) ? info[label] != std::to_string(lines(file)) : lines(file) > 0) return false;
    }

    // The report says what the bag holds.
    return report.base == base && report.payload_bytes == payload_bytes && report.payload_files == payload_files &&
           report.info == info && report.tagmanifest_sha256 == files["tagmanifest-sha256.txt"].sha256;
}

void verify(const std::uint8_t* data, std::size_t size) {
    edgectl::File file = memory_file(data, size);
    std::string_view input(reinterpret_cast<const char*>(data), size);
    edgectl::ReadBag read;
    try {
        read = edgectl::read_bag(file, base);
    } catch (const std::exception& e) {
        // A hostile archive must become a problem; and a memfd cannot fail to be read.
        std::fprintf(stderr, "read_bag threw: %s\n", e.what());
        __builtin_trap();
    }
    // Every byte of the file was digested, once and in order, whatever stopped the verification:
    // what export signs and records must be exactly what was read.
    if (read.size != size) __builtin_trap();
    if (read.sha256 != edgectl::sha256_hex(input)) __builtin_trap();
    edgectl::minisign::Prehash prehash;
    prehash.update(data, size);
    if (read.prehash != prehash.finish()) __builtin_trap();
    for (const auto& problem : read.report.problems)
        if (problem.empty()) __builtin_trap();  // a problem that does not say what is wrong
    // A bag without problems is one edgectl writes, by a plainer reading than bag.cpp's.
    if (read.report.ok() && !plainly_valid(file.path(), size, read.report)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    verify(data, size);
    return 0;
}
