#include "package/package.hpp"

#include "package/registry.hpp"
#include "util/archive.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sha256.hpp"

#include <set>
#include <sstream>

namespace edgectl {
namespace {

constexpr const char* sums_name = "SHA256SUMS";
constexpr const char* signature_name = "SHA256SUMS.minisig";
const std::vector<std::string> payload_names = {"model.json", "model.pt", "golden.ndjson"};

// An image model's golden images: at most this many, each at most golden_image_bytes.
constexpr std::size_t max_golden_images = 64;
constexpr std::size_t golden_image_bytes = std::size_t(4) << 20;

// Bounds for what a package may hold: the model may be large, golden images small, the rest is
// small text.
std::size_t entry_limit(const std::string& name) {
    if (name == "model.pt") return std::size_t(1) << 30;
    return name.starts_with("golden/") ? golden_image_bytes : (std::size_t(16) << 20);
}

// The entries a package holds besides SHA256SUMS and its signature, in the order they are packed.
std::vector<std::string> payload_of(const std::map<std::string, std::string>& files) {
    std::vector<std::string> names = payload_names;
    for (const auto& [name, bytes] : files)
        if (name.starts_with("golden/")) names.push_back(name);
    return names;
}

// Also within what a package of its size can unpack to (unpacked_limit): a tiny package whose
// model.pt is a gigabyte of zeros is refused before anything is read into memory.
ArchiveLimits package_limits(const fs::path& path) {
    std::error_code ec;
    std::uint64_t bound = unpacked_limit(fs::file_size(path, ec));
    return {8 + max_golden_images, std::min<std::uint64_t>(std::uint64_t(1) << 30, bound),
            std::min<std::uint64_t>((std::uint64_t(1) << 30) + (64u << 20) + max_golden_images * golden_image_bytes,
                                    bound)};
}

// Reads every entry into memory, refusing anything a package must not hold.
std::map<std::string, std::string> read_entries(const fs::path& path) {
    ArchiveReader reader(path, package_limits(path));
    std::map<std::string, std::string> files;
    ArchiveReader::Entry entry;
    auto refuse = [&](const std::string& why) {
        throw VerifyError(with_context(quote(path), "entry " + quote(entry.name) + " " + why));
    };
    std::size_t golden = 0;
    bool golden_dir = false;
    while (reader.next(entry)) {
        if (entry.directory) {
            // golden/ is the one folder a package may hold, and once.
            if (entry.name != "golden" || golden_dir)
                refuse("is a directory; a package holds files at its root, and golden images in golden/");
            golden_dir = true;
            continue;
        }
        bool image = entry.name.starts_with("golden/");
        if (image && !is_golden_image_name(entry.name))
            refuse("is not a golden image's name: golden/NAME.png or golden/NAME.jpg, NAME of at most 64 letters, "
                   "digits, '.', '_' and '-'");
        bool known = image || entry.name == sums_name || entry.name == signature_name ||
                     std::find(payload_names.begin(), payload_names.end(), entry.name) != payload_names.end();
        if (!known) refuse("is not part of a model package");
        if (files.count(entry.name)) refuse("appears twice");
        if (image && ++golden > max_golden_images)
            refuse("is one golden image too many: a package holds at most " + std::to_string(max_golden_images));
        files[entry.name] = reader.read_all(entry_limit(entry.name));
    }
    return files;
}

// Parses sha256sum output ("<hex>  <name>" or "<hex> *<name>") into name -> digest. Messages name
// the line; the caller names the package.
std::map<std::string, std::string> parse_sums(const std::string& text) {
    std::map<std::string, std::string> sums;
    std::istringstream in(text);
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (line.empty()) continue;
        auto bad = [&](const std::string& why) {
            throw VerifyError("SHA256SUMS line " + std::to_string(number) + " " + why);
        };
        if (line.size() < 67 || !is_sha256_hex(line.substr(0, 64)) || line[64] != ' ' ||
            (line[65] != ' ' && line[65] != '*'))
            bad("is not '<sha256>  <file>'");
        std::string name = line.substr(66);
        if (!sums.emplace(name, line.substr(0, 64)).second) bad("lists " + quote(name) + " twice");
    }
    return sums;
}

// Checks every file against SHA256SUMS. Messages name the entry; the caller names the package.
void check_digests(const std::map<std::string, std::string>& files) {
    auto it = files.find(sums_name);
    if (it == files.end()) throw VerifyError("SHA256SUMS is missing");
    auto sums = parse_sums(it->second);
    for (const auto& [name, bytes] : files) {
        if (name == sums_name || name == signature_name) continue;
        auto listed = sums.find(name);
        if (listed == sums.end()) throw VerifyError("entry " + quote(name) + " is not listed in SHA256SUMS");
        if (sha256_hex(bytes) != listed->second)
            throw VerifyError("entry " + quote(name) + " does not match its SHA-256 in SHA256SUMS");
    }
    for (const auto& [name, digest] : sums)
        if (!files.count(name)) throw VerifyError(quote(name) + " is listed in SHA256SUMS but missing");
    for (const auto& name : payload_names)
        if (!files.count(name)) throw VerifyError(quote(name) + " is missing");
}

// The golden images golden.ndjson names, which must be exactly those the package holds: an image
// nobody checks would be payload nobody vouched for.
std::map<std::string, std::string> golden_images(const std::map<std::string, std::string>& files) {
    std::map<std::string, std::string> images;
    for (const auto& name : golden_image_names(files.at("golden.ndjson"))) {
        auto it = files.find(name);
        if (it == files.end()) throw VerifyError("golden.ndjson names " + quote(name) + ", which the package lacks");
        images.emplace(name, it->second);
    }
    for (const auto& [name, bytes] : files)
        if (name.starts_with("golden/") && !images.count(name))
            throw VerifyError("entry " + quote(name) + " is not named in golden.ndjson");
    return images;
}

std::string make_sums(const std::map<std::string, std::string>& files) {
    std::string out;
    for (const auto& name : payload_of(files))
        out += sha256_hex(files.at(name)) + "  " + name + "\n";
    return out;
}

}  // namespace

VerifiedPackage verify_package(const fs::path& path, const SignaturePolicy& policy, std::vector<PackageCheck>& trail,
                               bool run_model) {
    VerifiedPackage p;
    // step(name, check): runs one check, recording what it proved or why it failed.
    auto step = [&](const char* name, auto&& check) {
        try {
            trail.push_back({name, true, check()});
        } catch (const VerifyError& e) {
            trail.push_back({name, false, e.what()});
            throw;
        }
    };
    step("archive", [&] {
        p.files = read_entries(path);
        return "tar.zst with " + std::to_string(p.files.size()) + " safe entries";
    });
    step("digests", [&] {
        in_context(quote(path), [&] { check_digests(p.files); });
        p.digest = sha256_hex(p.files.at(sums_name));
        return std::string("every file matches SHA256SUMS");
    });
    step("signature", [&] {
        auto sig = p.files.find(signature_name);
        p.signer = check_package_signature(sig == p.files.end() ? std::nullopt : std::optional(sig->second),
                                           p.files.at(sums_name), policy, path.string());
        return p.signer ? "signed by " + *p.signer : std::string("unsigned");
    });
    std::map<std::string, std::string> images;
    step("model.json", [&] {
        p.spec = parse_model_spec(p.files.at("model.json"), path.string() + ": model.json");
        images = in_context(quote(path), [&] { return golden_images(p.files); });
        return p.spec.name + "@" + p.spec.version + " matches the schema";
    });
    if (!run_model) {
        // Loading TorchScript deserialises the package's bytes: not for bytes nobody vouched for.
        trail.push_back({"torchscript", true, "not run: the signature was not checked against a trust list"});
        trail.push_back({"golden", true, "not run"});
        return p;
    }
    std::unique_ptr<Model> model;
    step("torchscript", [&] {
        model = load_torchscript(p.files.at("model.pt"), path.string() + ": model.pt");
        return std::string("model.pt loads");
    });
    step("golden", [&] {
        p.golden_vectors =
            in_context(quote(path), [&] { return check_golden(p.spec, *model, p.files.at("golden.ndjson"), images); });
        return std::to_string(p.golden_vectors) + " vectors reproduce within tolerance";
    });
    return p;
}

VerifiedPackage verify_package(const fs::path& path, const SignaturePolicy& policy) {
    std::vector<PackageCheck> trail;
    return verify_package(path, policy, trail, true);
}

void pack_model(const PackOptions& o) {
    std::map<std::string, std::string> files = {{"model.json", read_file(o.spec, entry_limit("model.json"))},
                                                {"model.pt", read_file(o.model, entry_limit("model.pt"))},
                                                {"golden.ndjson", read_file(o.golden, entry_limit("golden.ndjson"))}};
    ModelSpec spec = parse_model_spec(files["model.json"], o.spec.string());
    // Golden images are named relative to golden.ndjson's folder, as the package holds them.
    auto names = golden_image_names(files["golden.ndjson"]);
    if (names.size() > max_golden_images)
        throw VerifyError(quote(o.golden) + " names " + std::to_string(names.size()) +
                          " golden images; a package holds at most " + std::to_string(max_golden_images));
    for (const auto& name : names)
        files[name] = read_file(o.golden.parent_path() / name, golden_image_bytes);
    auto model = load_torchscript(files["model.pt"], o.model.string());
    check_golden(spec, *model, files["golden.ndjson"], golden_images(files));
    files[sums_name] = make_sums(files);
    if (!o.sign_key.empty()) {
        std::string comment = "edgectl model " + spec.name + "@" + spec.version + " timestamp:" + now_utc();
        files[signature_name] = minisign::sign(load_secret_key(o.sign_key), files[sums_name], comment);
    }

    AtomicFile out(o.output, 0644, "pack-model.package");
    ArchiveWriter writer(out.file(), 19, 0);
    for (const auto& name : payload_of(files))
        writer.add_file(name, files[name]);
    writer.add_file(sums_name, files[sums_name]);
    if (files.count(signature_name)) writer.add_file(signature_name, files[signature_name]);
    writer.close();
    out.commit();
}

namespace {

// Stages the package's files on the store's filesystem, makes them durable, renames the directory
// into place (a reader sees the whole version directory or none of it), then registers it. A
// version that was removed comes back under its old row, whose lineage its exported insights name.
void install(Store& store, const VerifiedPackage& p, bool removed) {
    TempDir staging(store.staging_dir(), "import-");
    for (const auto& [name, bytes] : p.files) {
        if (name.starts_with("golden/")) make_dir(staging.path() / "golden", 0700, "import.stage-golden");
        write_file_atomic(staging.path() / name, bytes, 0600, "import.stage");
    }
    fs::path parent = store.models_dir() / p.spec.name;
    make_dir(parent, 0700, "import.model-dir");
    fs::path target = parent / p.spec.version;
    // A directory without a registry row is what an import killed after its rename leaves.
    remove_durably(target, "import.stale-version");
    rename_durably(staging.path(), target, "import.version");
    staging.release();

    Transaction tx(store.db(), "import.register");
    if (removed) {
        Statement back(store.db(), "UPDATE models SET removed_at = NULL WHERE name = ? AND version = ?");
        back.bind(1, p.spec.name).bind(2, p.spec.version).run();
    } else {
        Statement add(store.db(), "INSERT INTO models (name, version, digest, signer, spec, imported_at) "
                                  "VALUES (?, ?, ?, ?, ?, ?)");
        add.bind(1, p.spec.name).bind(2, p.spec.version).bind(3, p.digest).bind(4, p.signer);
        add.bind(5, p.files.at("model.json")).bind(6, now_utc()).run();
    }
    tx.commit();
}

}  // namespace

ImportResult import_model(Store& store, const StoreLock& lock, const ImportOptions& o) {
    lock.require("import-model");
    store.clear_staging("import-");
    SignaturePolicy policy{trusted_keys(store), o.allow_unsigned, true};
    VerifiedPackage p = verify_package(o.package, policy);
    ImportResult r{p.spec.name, p.spec.version, p.digest, p.golden_vectors, false, false};
    Db& db = store.db();
    if (auto active = active_version(db, r.name);
        active && compare_versions(r.version, *active) < 0 && !o.allow_downgrade)
        throw VerifyError(quote(o.package) + " holds " + r.name + "@" + r.version + ", older than the active " +
                          *active + "; an old model replayed may be an attack: pass --allow-downgrade if it is meant");

    Statement existing(db, "SELECT digest, removed_at IS NOT NULL FROM models WHERE name = ? AND version = ?");
    existing.bind(1, r.name).bind(2, r.version);
    bool known = existing.step(), removed = known && existing.column_int(1) == 1;
    if (known && existing.column_text(0) != r.digest)
        throw VerifyError("model " + r.name + "@" + r.version +
                          " is already installed with different contents; a new build needs a new version");
    existing.reset();
    r.unchanged = known && !removed;
    if (!r.unchanged) install(store, p, removed);
    if (o.activate) {
        activate_model(db, lock, r.name, r.version);
        r.activated = true;
    }
    return r;
}

Json to_json(const std::vector<PackageCheck>& checks) {
    Json out = Json::array();
    for (const auto& c : checks)
        out.push_back({{"check", c.name}, {"ok", c.ok}, {"detail", c.detail}});
    return out;
}

}  // namespace edgectl
