#include "export/seal.hpp"

#include "util/archive.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <ctime>
#include <unistd.h>
#include <utility>

#ifndef EDGECTL_VERSION
#define EDGECTL_VERSION "unknown"
#endif

namespace edgectl {
namespace {

std::string utc_date() { return now_utc().substr(0, 10); }

// The bag's tag files, by name, the tag manifest last.
std::vector<std::pair<std::string, std::string>> tag_files(Store& store, const Ledger& l,
                                                           const std::vector<BagFile>& payload) {
    std::uint64_t bytes = 0;
    for (const auto& f : payload)
        bytes += f.size;
    std::vector<std::pair<std::string, std::string>> info = {
        {"Source-Organization", store.site()},
        {"Bagging-Date", l.plan.value("bagging_date", utc_date())},
        {"Payload-Oxum", std::to_string(bytes) + "." + std::to_string(payload.size())},
        {"External-Identifier", l.name},
        {"Bag-Group-Identifier", l.group_id},
        {"Bag-Count", std::to_string(l.volume) + " of " + std::to_string(l.volumes)},
        {"Edgectl-Version", l.plan.value("edgectl_version", std::string(EDGECTL_VERSION))},
        {"Edgectl-Export-Sequence", std::to_string(l.seq)},
        {"Edgectl-Export-Nonce", l.nonce},
        {"Edgectl-Previous-Tagmanifest-SHA256", previous_tagmanifest(store.db(), l.seq)}};
    // Records per payload file: insights.ndjson holds the anomalies too.
    auto count = [&](const char* c) { return l.counts.value(c, std::int64_t(0)); };
    info.push_back({"Edgectl-Insights", std::to_string(count("anomalies") + count("insights"))});
    info.push_back({"Edgectl-Anomalies", std::to_string(count("anomalies"))});
    if (l.counts.contains("items")) info.push_back({"Edgectl-Items", std::to_string(count("items"))});
    if (l.counts.contains("quarantine")) info.push_back({"Edgectl-Quarantine", std::to_string(count("quarantine"))});
    std::vector<std::pair<std::string, std::string>> tags = {
        {"bagit.txt", bagit_txt()}, {"bag-info.txt", bag_info(info)}, {"manifest-sha256.txt", bag_manifest(payload)}};
    std::vector<BagFile> listed;
    listed.reserve(tags.size());
    for (const auto& [name, text] : tags)
        listed.push_back({name, sha256_hex(text), text.size()});
    tags.emplace_back("tagmanifest-sha256.txt", bag_manifest(listed));
    return tags;
}

// Builds the archive under a temporary name on the target, durable, and reads it back. The payload
// goes in as it was compressed when it was staged.
Sealed write_archive(Store& store, const Ledger& l, const Volume& v, int level) {
    fs::path partial = partial_path(l.target, l.name);
    UnlinkGuard unfinished(partial);
    File out = File::create_new(partial, 0644, true);
    FramedArchiveWriter writer(out, level, std::int64_t(std::time(nullptr)));
    writer.add_directory(l.name);
    writer.add_directory(l.name + "/data");
    for (const auto& [name, text] : tag_files(store, l, v.payload))
        writer.add_file(l.name + "/" + name, text);
    bool images_dir = false;
    for (const auto& f : v.payload) {
        std::string digest;
        if (!is_bag_image_path(f.path, &digest)) {
            writer.add_compressed(l.name + "/" + f.path, f.size, staged_frames(v.dir->path(), f.path));
            continue;
        }
        // A frame goes in as the store holds it; the read-back below proves its bytes are its digest.
        if (!std::exchange(images_dir, true)) writer.add_directory(l.name + "/data/images");
        std::string bytes = read_file(store.image_path(digest), f.size + 1);
        if (bytes.size() != f.size || sha256_hex(bytes) != digest)
            throw Error("frame " + quote(store.image_path(digest).string()) +
                        " is no longer the one ingested (its size or SHA-256 changed): the store is damaged; "
                        "restore the file from a backup, or purge the rows that name it");
        writer.add_file(l.name + "/" + f.path, bytes);
    }
    writer.close();
    out.sync("export.archive");
    fsync_dir(l.target, "export.archive");
    out.rewind();
    ReadBag read = read_bag(out, l.name);
    return {std::move(out), std::move(read), std::move(unfinished)};
}

// The export name in a file name of this site's on a target ('<site>-<seq>' of
// '<site>-<seq>.tar.zst...', or of '.<site>-<seq>.tar.zst...' for a temporary), or "" if it is none.
std::string export_name_in(const std::string& file, const std::string& site) {
    std::size_t start = file.starts_with('.') ? 1 : 0;
    std::size_t end = file.find(".tar.zst", start);
    if (end == std::string::npos || file.compare(start, site.size() + 1, site + "-") != 0) return {};
    std::string seq = file.substr(start + site.size() + 1, end - start - site.size() - 1);
    bool digits = seq.size() >= 6 && std::all_of(seq.begin(), seq.end(), [](char c) { return c >= '0' && c <= '9'; });
    return digits ? file.substr(start, end - start) : std::string();
}

}  // namespace

minisign::SecretKey site_key(const Store& store) {
    if (!fs::exists(store.site_key_path()))
        throw Error("the site's signing key '" + store.site_key_path().string() +
                    "' is missing, so exports cannot be signed: restore it (and site.pub) from a backup; a new key "
                    "would make the receiving side refuse this site's exports");
    return minisign::read_secret_key(store.site_key_path(), std::nullopt);
}

ExportedArchive place(Store& store, const Ledger& l, Sealed& s, bool pending) {
    const BagReport& report = s.read.report;
    if (!report.ok())
        throw Error("export '" + s.file.path().string() +
                    "' failed verification after writing: " + report.problems.front());
    ExportedArchive a;
    a.seq = l.seq;
    a.name = l.name;
    a.path = archive_path(l.target, l.name);
    // Whatever holds the final name keeps it, sidecars included, unless it is this very file.
    if (s.file.path() != a.path && fs::exists(a.path))
        throw Error("export target already holds '" + a.path.string() + "'; refusing to overwrite it");
    a.volume = l.volume;
    a.volumes = l.volumes;
    for (const auto& [k, v] : l.counts.items())
        a.counts[k] = v.get<std::int64_t>();
    a.bytes = s.read.size;
    a.sha256 = s.read.sha256;
    std::string comment = "edgectl export " + l.name + " site:" + store.site() + " seq:" + std::to_string(l.seq) +
                          " volume:" + std::to_string(l.volume) + "/" + std::to_string(l.volumes) +
                          " sha256:" + a.sha256;
    std::string signature = minisign::sign_prehashed(site_key(store), s.read.prehash, comment,
                                                     "signature from edgectl site " + store.site());
    // Sidecars are written (their space taken) before the archive gets its final name, so a full disk
    // fails with no archive under a final name.
    AtomicFile digest_file(a.path.string() + ".sha256", 0644, "export.sidecar");
    digest_file.write(a.sha256 + "  " + a.path.filename().string() + "\n");
    AtomicFile signature_file(a.path.string() + ".minisig", 0644, "export.sidecar");
    signature_file.write(signature);
    if (pending) {
        record_digest(store.db(), l, s.read);
        s.unfinished.dismiss();
    }
    // The sidecars get their names before the archive: an archive under its final name always has
    // them (a resend killed in between is simply run again), and a pending volume's are written
    // again by the run that finishes it.
    digest_file.commit();
    signature_file.commit();
    if (s.file.path() != a.path) {
        try {
            name_open_file(s.file, a.path, "export.archive");
        } catch (const Error& e) {
            if (file_id(a.path) != s.file.id()) {  // not named: its sidecars go too
                ::unlink((a.path.string() + ".sha256").c_str());
                ::unlink((a.path.string() + ".minisig").c_str());
            }
            throw Error("cannot finish export " + l.name + ": " + e.what());
        }
        s.unfinished.dismiss();
    }
    return a;
}

ExportedArchive finish(Store& store, const Ledger& l, Sealed& s) {
    ExportedArchive a = place(store, l, s, true);
    mark_exported(store.db(), l, std::int64_t(a.bytes), a.sha256, s.read.report.tagmanifest_sha256);
    return a;
}

void sweep_target(const fs::path& target, const std::string& site, const std::string& only) {
    std::error_code ec;
    if (!fs::is_directory(target, ec)) return;
    for (const auto& entry : fs::directory_iterator(target, ec)) {
        std::string file = entry.path().filename().string();
        std::string name = export_name_in(file, site);
        if (name.empty() || (!only.empty() && name != only)) continue;
        bool temporary =
            file.starts_with('.') && (file.ends_with(".partial") || file.find(".tmp-") != std::string::npos);
        bool orphan = !file.starts_with('.') &&
                      (file.ends_with(".tar.zst.sha256") || file.ends_with(".tar.zst.minisig")) &&
                      !fs::exists(archive_path(target, name), ec);
        if (temporary || orphan) remove_durably(entry.path(), "export.sweep");
    }
}

Sealed seal(Store& store, const Ledger& l, Volume& v, int level) { return write_archive(store, l, v, level); }

}  // namespace edgectl
