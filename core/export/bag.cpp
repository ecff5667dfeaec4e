#include "export/bag.hpp"

#include "util/archive.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <sstream>
#include <thread>

namespace edgectl {
namespace {

const std::vector<std::string> tag_files = {"bagit.txt", "bag-info.txt", "manifest-sha256.txt",
                                            "tagmanifest-sha256.txt"};

// What an export bag holds at most: its base, data/ and data/images/ directories, four tag files,
// the six payload files and its frames. Tag files are a few hundred bytes, and the payload manifest
// ~150 bytes more per frame.
constexpr std::size_t max_bag_entries = 64 + max_bag_images;
constexpr std::uint64_t max_tag_bytes = 1 << 20;

// bag-info.txt labels every bag edgectl writes carries.
const std::vector<std::string> required_info = {
    "Source-Organization",     "Bagging-Date",         "Payload-Oxum",
    "External-Identifier",     "Bag-Group-Identifier", "Bag-Count",
    "Edgectl-Export-Sequence", "Edgectl-Export-Nonce", "Edgectl-Previous-Tagmanifest-SHA256",
    "Edgectl-Insights",        "Edgectl-Anomalies"};

struct SeenFile {
    std::string sha256;
    std::uint64_t size = 0;
    std::uint64_t lines = 0;
};

bool is_tag_file(const std::string& name) {
    return std::find(tag_files.begin(), tag_files.end(), name) != tag_files.end();
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_lower_hex(std::string_view s, std::size_t n) {
    return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
               return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
           });
}

std::string lowercase(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

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
        if (!out.emplace(path, digest).second) problems.push_back(name + " lists " + quote(path) + " twice");
    }
    return out;
}

std::map<std::string, std::string> parse_info(const std::string& text, std::vector<std::string>& problems) {
    std::map<std::string, std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto colon = line.find(':');
        if (colon == std::string::npos) {
            problems.push_back("bag-info.txt has a line that is not 'Label: value'");
            continue;
        }
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        if (!out.emplace(line.substr(0, colon), value).second)
            problems.push_back("bag-info.txt gives '" + line.substr(0, colon) + "' twice");
    }
    return out;
}

// What one pass over the archive found.
struct BagContents {
    std::map<std::string, SeenFile> files;     ///< by path relative to the base directory
    std::map<std::string, std::string> texts;  ///< the tag files' text
};

// Checks every manifest entry against what the archive held, and that every payload file is listed.
void check_manifests(BagReport& r, const BagContents& bag) {
    auto text = [&](const std::string& n) -> const std::string* {
        auto it = bag.texts.find(n);
        return it == bag.texts.end() ? nullptr : &it->second;
    };
    for (const auto& name : tag_files)
        if (!text(name)) r.problems.push_back(quote(name) + " is missing");
    if (text("bagit.txt") && *text("bagit.txt") != bagit_txt())
        r.problems.push_back("'bagit.txt' is not a BagIt 1.0 declaration");
    if (const std::string* m = text("manifest-sha256.txt")) {
        auto manifest = parse_manifest(*m, "manifest-sha256.txt", r.problems);
        for (const auto& [path, digest] : manifest) {
            auto it = bag.files.find(path);
            if (!path.starts_with("data/"))
                r.problems.push_back("manifest-sha256.txt lists " + quote(path) + " outside data/");
            else if (it == bag.files.end())
                r.problems.push_back(quote(path) + " is listed in manifest-sha256.txt but missing");
            else if (it->second.sha256 != digest)
                r.problems.push_back(quote(path) + " does not match its SHA-256 in manifest-sha256.txt");
        }
        for (const auto& [path, file] : bag.files) {
            if (!path.starts_with("data/")) continue;
            ++r.payload_files;
            r.payload_bytes += file.size;
            if (!manifest.count(path)) r.problems.push_back(quote(path) + " is not listed in manifest-sha256.txt");
            // A frame is named by its digest, which the item records reference it by.
            std::string named;
            if (is_bag_image_path(path, &named) && file.sha256 != named)
                r.problems.push_back(quote(path) + " is not the frame its name is the SHA-256 of");
        }
    }
    if (const std::string* tm = text("tagmanifest-sha256.txt")) {
        auto listed = parse_manifest(*tm, "tagmanifest-sha256.txt", r.problems);
        for (const auto& [path, digest] : listed) {
            auto it = bag.files.find(path);
            if (!is_tag_file(path) || path == "tagmanifest-sha256.txt")
                r.problems.push_back("tagmanifest-sha256.txt lists " + quote(path) + ", which is not a tag file");
            else if (it == bag.files.end())
                r.problems.push_back(quote(path) + " is listed in tagmanifest-sha256.txt but missing");
            else if (it->second.sha256 != digest)
                r.problems.push_back(quote(path) + " does not match its SHA-256 in tagmanifest-sha256.txt");
        }
        for (const auto& name : tag_files)
            if (name != "tagmanifest-sha256.txt" && !listed.count(name))
                r.problems.push_back("tagmanifest-sha256.txt does not list " + quote(name));
        r.tagmanifest_sha256 = bag.files.at("tagmanifest-sha256.txt").sha256;
    }
}

// bag-info.txt: every field edgectl writes, each consistent with the others, the payload and the
// archive's name.
void check_info(BagReport& r, const BagContents& bag) {
    auto it = bag.texts.find("bag-info.txt");
    if (it == bag.texts.end()) return;
    r.info = parse_info(it->second, r.problems);
    auto has = [&](const std::string& label) { return r.info.count(label) > 0; };
    auto bad = [&](const std::string& label, const std::string& why) {
        r.problems.push_back("bag-info.txt " + label + " '" + r.info[label] + "' " + why);
    };
    for (const auto& label : required_info)
        if (!has(label)) r.problems.push_back("bag-info.txt has no " + label);
    std::string oxum = std::to_string(r.payload_bytes) + "." + std::to_string(r.payload_files);
    if (has("Payload-Oxum") && r.info["Payload-Oxum"] != oxum)
        bad("Payload-Oxum", "does not match the payload, " + oxum);
    if (has("External-Identifier") && r.info["External-Identifier"] != r.base)
        bad("External-Identifier", "is not the bag's name");
    if (has("Edgectl-Export-Sequence")) {
        const std::string& seq = r.info["Edgectl-Export-Sequence"];
        char name[40];
        if (all_digits(seq) && seq.size() <= 15) std::snprintf(name, sizeof name, "-%06lld", std::stoll(seq));
        if (!all_digits(seq) || seq.size() > 15 || r.base != r.info["Source-Organization"] + name)
            bad("Edgectl-Export-Sequence", "and Source-Organization '" + r.info["Source-Organization"] +
                                               "' do not make the bag's name " + quote(r.base));
    }
    if (has("Bag-Count")) {
        const std::string& count = r.info["Bag-Count"];
        auto of = count.find(" of ");
        bool ok = of != std::string::npos && all_digits(count.substr(0, of)) && all_digits(count.substr(of + 4)) &&
                  count.size() < 24;
        if (!ok || std::stoll(count.substr(0, of)) < 1 ||
            std::stoll(count.substr(0, of)) > std::stoll(count.substr(of + 4)))
            bad("Bag-Count", "is not 'k of n'");
    }
    if (has("Edgectl-Export-Nonce") && !is_lower_hex(r.info["Edgectl-Export-Nonce"], 32))
        bad("Edgectl-Export-Nonce", "is not 32 hex digits");
    if (has("Edgectl-Previous-Tagmanifest-SHA256") && r.info["Edgectl-Previous-Tagmanifest-SHA256"] != "none" &&
        !is_sha256_hex(r.info["Edgectl-Previous-Tagmanifest-SHA256"]))
        bad("Edgectl-Previous-Tagmanifest-SHA256", "is neither 'none' nor a SHA-256");
    // Record counts against the payload files' lines: insights.ndjson holds the anomalies too.
    auto lines = [&](const std::string& file) {
        auto f = bag.files.find("data/" + file);
        return f == bag.files.end() ? std::uint64_t(0) : f->second.lines;
    };
    auto check_count = [&](const std::string& label, const std::string& file, bool optional) {
        if (!has(label)) {
            if (optional && lines(file) > 0)
                r.problems.push_back("bag-info.txt has no " + label + " but data/" + file + " has records");
            return;
        }
        if (r.info[label] != std::to_string(lines(file)))
            bad(label, "does not match data/" + file + ", which has " + std::to_string(lines(file)) + " records");
    };
    check_count("Edgectl-Insights", "insights.ndjson", false);
    check_count("Edgectl-Anomalies", "anomalies.ndjson", false);
    check_count("Edgectl-Items", "items.ndjson", true);
    check_count("Edgectl-Quarantine", "quarantine.ndjson", true);
}

// The name of every entry: under the bag's one base directory, a tag file, data/, or one of
// edgectl's payload files, and no two names that only differ in case (on a case-insensitive
// filesystem, one would overwrite the other when unpacked).
void check_entry_name(const std::string& name, bool directory, BagReport& r, std::set<std::string>& folded) {
    auto slash = name.find('/');
    std::string base = name.substr(0, slash);
    if (r.base.empty()) r.base = base;
    if (base != r.base) throw VerifyError("entry " + quote(name) + " lies outside the bag '" + r.base + "/'");
    if (!folded.insert(lowercase(name)).second)
        throw VerifyError("entry " + quote(name) + " differs from another only in case");
    std::string rel = slash == std::string::npos ? "" : name.substr(slash + 1);
    bool known = directory ? (rel.empty() || rel == "data" || rel == "data/images")
                           : (is_tag_file(rel) || bag_payload_files.count(rel) > 0 || is_bag_image_path(rel));
    if (!known) throw VerifyError("entry " + quote(name) + " is not a file edgectl writes in a bag");
}

// Newlines in data: memchr from one to the next, which glibc runs on wide vectors; NDJSON lines are
// long enough that this beats a byte-by-byte count several times over.
std::uint64_t count_lines(const char* data, std::size_t size) {
    std::uint64_t n = 0;
    const char* end = data + size;
    while (const void* nl = std::memchr(data, '\n', std::size_t(end - data))) {
        ++n;
        data = static_cast<const char*>(nl) + 1;
    }
    return n;
}

// Reads every entry, hashing each file and keeping the tag files' text.
// Hashes entries on a second thread while the caller decompresses the next bytes: SHA-256 of the
// entries was half of verify's time, decompression a third. Chunks circulate through a fixed pool,
// so memory stays bounded; digests come back in entry order.
class EntryHasher {
  public:
    static constexpr std::size_t chunk_bytes = 1 << 16, chunks = 8;

    EntryHasher() {
        for (std::size_t i = 0; i < chunks; ++i)
            free_.emplace_back(chunk_bytes);
        thread_ = std::thread([this] { run(); });
    }
    ~EntryHasher() {
        push({Job::stop, {}, 0});
        thread_.join();
    }
    EntryHasher(const EntryHasher&) = delete;
    EntryHasher& operator=(const EntryHasher&) = delete;

    /// An empty chunk to fill (waits while all are being hashed).
    std::vector<char> take() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return !free_.empty(); });
        std::vector<char> chunk = std::move(free_.back());
        free_.pop_back();
        return chunk;
    }
    /// The next `size` bytes of the current entry, in `chunk` (from take()).
    void add(std::vector<char> chunk, std::size_t size) { push({Job::bytes, std::move(chunk), size}); }
    /// Ends the current entry; its digest is the next in digests().
    void end_entry() { push({Job::end, {}, 0}); }
    /// Every entry's {SHA-256, line count}, in order, once all are hashed.
    std::vector<std::pair<std::string, std::uint64_t>> digests() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return jobs_.empty() && !busy_; });
        if (error_) std::rethrow_exception(error_);
        return std::move(digests_);
    }

  private:
    struct Job {
        enum Kind { bytes, end, stop } kind = stop;
        std::vector<char> chunk;
        std::size_t size = 0;
    };
    void push(Job job) {
        {
            std::lock_guard lock(mutex_);
            jobs_.push_back(std::move(job));
        }
        changed_.notify_all();
    }
    void run() {
        Sha256 hash;
        std::uint64_t lines = 0;
        for (;;) {
            Job job;
            {
                std::unique_lock lock(mutex_);
                changed_.wait(lock, [&] { return !jobs_.empty(); });
                job = std::move(jobs_.front());
                jobs_.pop_front();
                busy_ = true;
            }
            if (job.kind == Job::stop) return;
            try {
                if (job.kind == Job::bytes) {
                    hash.update(job.chunk.data(), job.size);
                    lines += count_lines(job.chunk.data(), job.size);
                }
            } catch (...) {
                std::lock_guard lock(mutex_);
                if (!error_) error_ = std::current_exception();
            }
            std::lock_guard lock(mutex_);
            if (job.kind == Job::bytes) free_.push_back(std::move(job.chunk));
            if (job.kind == Job::end) {
                digests_.emplace_back(hash.finish(), lines);
                hash = Sha256();
                lines = 0;
            }
            busy_ = false;
            changed_.notify_all();
        }
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Job> jobs_;
    std::vector<std::vector<char>> free_;
    std::vector<std::pair<std::string, std::uint64_t>> digests_;
    std::exception_ptr error_;
    bool busy_ = false;
    std::thread thread_;  // last: it uses the members above
};

void read_entries(ArchiveReader& reader, BagReport& r, BagContents& bag, BagSink* sink) {
    ArchiveReader::Entry entry;
    std::set<std::string> folded;
    std::vector<std::pair<SeenFile*, std::uint64_t>> entries;  // in the order they are hashed
    EntryHasher hasher;
    while (reader.next(entry)) {
        check_entry_name(entry.name, entry.directory, r, folded);
        if (entry.directory) continue;
        std::string rel = entry.name.substr(entry.name.find('/') + 1);
        if (bag.files.count(rel)) throw VerifyError("entry " + quote(entry.name) + " appears twice");
        bool keep = is_tag_file(rel);
        if (keep && entry.size > max_tag_bytes)
            throw VerifyError("tag file " + quote(entry.name) + " is larger than " + std::to_string(max_tag_bytes) +
                              " bytes");
        std::string text;
        BagSink* to = keep ? nullptr : sink;
        if (to) to->begin_file(rel, entry.size);
        for (;;) {
            std::vector<char> chunk = hasher.take();
            std::size_t n = reader.read(chunk.data(), chunk.size());
            if (keep) text.append(chunk.data(), n);
            if (to && n > 0) to->file_bytes(chunk.data(), n);
            hasher.add(std::move(chunk), n);
            if (n == 0) break;
        }
        if (to) to->end_file();
        hasher.end_entry();
        entries.emplace_back(&bag.files[rel], entry.size);
        if (keep) bag.texts[rel] = std::move(text);
    }
    auto digests = hasher.digests();
    for (std::size_t i = 0; i < entries.size(); ++i) {
        entries[i].first->sha256 = std::move(digests[i].first);
        entries[i].first->lines = digests[i].second;
        entries[i].first->size = entries[i].second;
    }
    if (r.base.empty()) throw VerifyError("the archive is empty");
}

// The '.sha256' beside an archive: sha256sum's format, naming the archive's digest.
void check_sidecar(const fs::path& path, const std::string& sha256, bool required, BagReport& r) {
    fs::path sidecar = path.string() + ".sha256";
    std::error_code ec;
    if (!fs::exists(sidecar, ec)) {
        if (required) r.problems.push_back(quote(sidecar.filename()) + " is missing");
        return;
    }
    std::string name = quote(sidecar.filename());
    try {
        std::string text = read_file(sidecar, 4096);
        if (text.size() < 64 || text.substr(0, 64) != sha256)
            r.problems.push_back(quote(path.filename()) + " does not match its digest in " + name);
    } catch (const Error& e) { r.problems.push_back("cannot read " + name + ": " + e.what()); }
}

// The '.minisig' beside an archive: a pre-hashed signature of the archive's bytes by the site key.
void check_signature(const fs::path& path, const std::array<std::uint8_t, 64>& prehash, const minisign::PublicKey* key,
                     bool required, BagReport& r) {
    fs::path sig = path.string() + ".minisig";
    std::error_code ec;
    if (!fs::exists(sig, ec)) {
        r.signature = "none";
        if (key && required) r.problems.push_back(quote(sig.filename()) + " is missing: the archive is not signed");
        return;
    }
    if (!key) {
        r.signature = "present, not checked (give the site's public key)";
        return;
    }
    try {
        auto parsed = minisign::parse_signature(read_file(sig, 8192), sig.string());
        minisign::verify_prehashed(*key, parsed, prehash, sig.filename().string());
        r.signature = "valid, by key " + minisign::key_id_hex(key->key_id) + ": " + parsed.trusted_comment;
    } catch (const Error& e) {
        r.signature = "invalid";
        r.problems.push_back(quote(sig.filename()) + ": " + e.what());
    }
}

}  // namespace

std::string bag_image_path(std::string_view digest, std::string_view format) {
    return "data/images/" + std::string(digest) + (format == "png" ? ".png" : ".jpg");
}

bool is_bag_image_path(std::string_view rel, std::string* digest) {
    constexpr std::string_view folder = "data/images/";
    if (!rel.starts_with(folder) || rel.size() != folder.size() + 64 + 4) return false;
    std::string_view hex = rel.substr(folder.size(), 64), ext = rel.substr(folder.size() + 64);
    if (!is_lower_hex(std::string(hex), 64) || (ext != ".jpg" && ext != ".png")) return false;
    if (digest) *digest = hex;
    return true;
}

std::string bagit_txt() { return "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"; }

std::string bag_manifest(const std::vector<BagFile>& files) {
    std::string out;
    for (const auto& f : files)
        out += f.sha256 + "  " + f.path + "\n";
    return out;
}

std::string bag_info(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out;
    for (const auto& [label, value] : fields)
        out += label + ": " + value + "\n";
    return out;
}

ReadBag read_bag(File& file, const std::string& expected_base, BagSink* sink) {
    ReadBag out;
    Sha256 sha;
    minisign::Prehash prehash;
    // The file is read up to the size it had when the read began: one that grows meanwhile (or a
    // device that never ends) is refused, and the work stays bounded by that size.
    const std::uint64_t size = file.size();
    ArchiveLimits limits{max_bag_entries, unpacked_limit(size), unpacked_limit(size)};
    BagContents bag;
    auto digest = [&](const char* data, std::size_t n) {
        if (out.size + n > size) throw VerifyError(quote(file.path()) + " grew while it was read");
        sha.update(data, n);
        prehash.update(data, n);
        if (sink) sink->archive_bytes(data, n);
        out.size += n;
    };
    try {
        ArchiveReader reader(file, limits, digest);
        read_entries(reader, out.report, bag, sink);
        reader.drain();
    } catch (const VerifyError& e) {
        out.report.problems.push_back(e.what());
        // The digests still cover the whole file: what is recorded is what was read.
        char buf[1 << 16];
        try {
            while (std::size_t n = file.read_some(buf, std::min<std::uint64_t>(sizeof buf, size - out.size + 1)))
                digest(buf, n);
        } catch (const VerifyError&) {}
    }
    if (out.report.ok()) {
        if (!expected_base.empty() && out.report.base != expected_base)
            out.report.problems.push_back("the archive holds bag '" + out.report.base + "', not '" + expected_base +
                                          "'");
        check_manifests(out.report, bag);
        check_info(out.report, bag);
    }
    out.sha256 = sha.finish();
    out.prehash = prehash.finish();
    return out;
}

BagReport verify_bag_archive(const fs::path& path, const minisign::PublicKey* site_key, bool require_signature) {
    File file = File::open_regular(path);
    std::string name = path.filename().string();
    std::string base = name.ends_with(".tar.zst") ? name.substr(0, name.size() - 8) : "";
    ReadBag read = read_bag(file, base);
    check_bag_sidecars(path, read, site_key, require_signature);
    return std::move(read.report);
}

void check_bag_sidecars(const fs::path& path, ReadBag& read, const minisign::PublicKey* site_key,
                        bool require_signature, bool require_sidecar) {
    check_sidecar(path, read.sha256, require_sidecar, read.report);
    check_signature(path, read.prehash, site_key, require_signature, read.report);
}

Json to_json(const BagReport& r) {
    return {{"kind", "export-bag"},
            {"ok", r.ok()},
            {"bag", r.base},
            {"problems", r.problems},
            {"payload_files", r.payload_files},
            {"payload_bytes", r.payload_bytes},
            {"bag_info", r.info},
            {"signature", r.signature}};
}

}  // namespace edgectl
