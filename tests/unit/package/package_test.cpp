#include "package/package.hpp"

#include "fixture.hpp"
#include "package/registry.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

namespace {

struct Files {
    std::string spec = test::slurp(test::sample_dir() / "model/model.json");
    std::string model = test::slurp(test::sample_dir() / "model/model.pt");
    std::string golden = test::slurp(test::sample_dir() / "model/golden.ndjson");
    std::string sums() const {
        return sha256_hex(spec) + "  model.json\n" + sha256_hex(model) + "  model.pt\n" + sha256_hex(golden) +
               "  golden.ndjson\n";
    }
    std::vector<test::CraftedEntry> entries() const {
        return {{"model.json", spec}, {"model.pt", model}, {"golden.ndjson", golden}, {"SHA256SUMS", sums()}};
    }
};

PackOptions sample_pack(const fs::path& out) {
    fs::path s = test::sample_dir() / "model";
    return {s / "model.pt", s / "model.json", s / "golden.ndjson", out, {}};
}

}  // namespace

TEST_CASE_METHOD(test::TempDirFixture, "package: pack, verify and import the sample model") {
    pack_model(sample_pack(dir / "p.tar.zst"));
    VerifiedPackage p = verify_package(dir / "p.tar.zst", {{}, false, false});
    CHECK(p.spec.name == "wine-cultivar");
    CHECK(p.golden_vectors == 16);
    CHECK(p.digest == sha256_hex(p.files["SHA256SUMS"]));

    Store store = Store::init(dir / "s", "x");
    ImportResult r = import_model(store, store.lock("import-model"), {dir / "p.tar.zst", true, true});
    CHECK(r.activated);
    CHECK(fs::exists(dir / "s/models/wine-cultivar/1.0.0/model.pt"));
    CHECK(active_models(store).size() == 1);
    CHECK(import_model(store, store.lock("import-model"), {dir / "p.tar.zst", false, true}).unchanged);
    CHECK(fs::is_empty(dir / "s/staging"));
}

TEST_CASE_METHOD(test::TempDirFixture, "package: every tampering is refused before anything is installed") {
    Store store = Store::init(dir / "s", "x");
    auto refused = [&](std::vector<test::CraftedEntry> entries, const std::string& why) {
        test::write_crafted(dir / "bad.tar.zst", entries);
        CHECK_THROWS_WITH(import_model(store, store.lock("import-model"), {dir / "bad.tar.zst", true, true}),
                          Catch::Contains(why));
        CHECK(fs::is_empty(dir / "s/models"));
        CHECK(list_models(store.db()).empty());
    };
    Files f;
    auto e = f.entries();
    e[1].content[e[1].content.size() / 2] ^= 1;
    refused(e, "entry 'model.pt' does not match its SHA-256 in SHA256SUMS");

    e = f.entries();
    e.push_back({"extra.txt", "x"});
    refused(e, "entry 'extra.txt' is not part of a model package");

    e = f.entries();
    e.push_back({"model.json", f.spec});
    refused(e, "entry 'model.json' appears twice");

    e = f.entries();
    e.pop_back();
    refused(e, "SHA256SUMS is missing");

    e = f.entries();
    e.erase(e.begin() + 2);
    refused(e, "'golden.ndjson' is listed in SHA256SUMS but missing");

    e = f.entries();
    e.push_back({"SHA256SUMS.minisig", "x"});
    e[3].content = sha256_hex(f.spec) + "  model.json\n" + sha256_hex(f.model) + "  model.pt\n";
    refused(e, "entry 'golden.ndjson' is not listed in SHA256SUMS");

    Files garbage;
    garbage.model = "this is not torchscript";
    refused(garbage.entries(), "is not a loadable TorchScript model");

    Files off;
    auto first_end = off.golden.find('\n');
    Json first = Json::parse(off.golden.substr(0, first_end));
    first["output"][0] = first["output"][0].get<double>() + 1.0;
    off.golden = first.dump() + off.golden.substr(first_end);
    refused(off.entries(), "golden.ndjson line 1: output 0 is");

    // Decompression bombs: 64 MiB of zeros packs to a few KiB, more than a package of that size can
    // unpack to; and text entries are capped at 16 MiB.
    Files bomb;
    bomb.golden = std::string(64u << 20, '0');
    refused(bomb.entries(), "unpacks to more than 67108864 bytes, more than an archive of its size can hold");
    bomb.golden = std::string(17u << 20, '0');
    refused(bomb.entries(), "entry 'golden.ndjson' is larger than the limit");

    Files wrong_shape;
    Json spec = Json::parse(wrong_shape.spec);
    spec["output"]["labels"].push_back("cultivar_4");
    spec["reference"]["predictions"]["labels"]["cultivar_4"] = 0;  // the reference fits the spec
    wrong_shape.spec = spec.dump();
    refused(wrong_shape.entries(), "contract needs 4");
}

namespace {

// The sample camera model's files, golden images included, as a crafted package's entries.
struct CameraFiles {
    fs::path dir = test::sample_dir() / "camera-model";
    std::string spec = test::slurp(dir / "model.json");
    std::string model = test::slurp(dir / "model.pt");
    std::string golden = test::slurp(dir / "golden.ndjson");
    std::map<std::string, std::string> images = [this] {
        std::map<std::string, std::string> out;
        for (const auto& name : golden_image_names(golden))
            out[name] = test::slurp(dir / name);
        return out;
    }();
    std::string sums() const {
        std::string out = sha256_hex(spec) + "  model.json\n" + sha256_hex(model) + "  model.pt\n" +
                          sha256_hex(golden) + "  golden.ndjson\n";
        for (const auto& [name, bytes] : images)
            out += sha256_hex(bytes) + "  " + name + "\n";
        return out;
    }
    std::vector<test::CraftedEntry> entries() const {
        std::vector<test::CraftedEntry> e = {
            {"model.json", spec}, {"model.pt", model}, {"golden.ndjson", golden}, {"golden", "", 'd'}};
        for (const auto& [name, bytes] : images)
            e.push_back({name, bytes});
        e.push_back({"SHA256SUMS", sums()});
        return e;
    }
};

}  // namespace

TEST_CASE_METHOD(test::TempDirFixture, "package: an image model carries golden images that prove its preprocessing") {
    fs::path s = test::sample_dir() / "camera-model";
    pack_model({s / "model.pt", s / "model.json", s / "golden.ndjson", dir / "cam.tar.zst", {}});
    VerifiedPackage p = verify_package(dir / "cam.tar.zst", {{}, false, false});
    CHECK(p.spec.input_kind == InputKind::image);
    CHECK(p.golden_vectors == CameraFiles().images.size());
    CHECK(p.files.count("golden/" + CameraFiles().images.begin()->first.substr(7)));

    Store store = Store::init(dir / "s", "x");
    import_model(store, store.lock("import-model"), {dir / "cam.tar.zst", true, true});
    for (const auto& [name, bytes] : CameraFiles().images)
        CHECK(test::slurp(dir / "s/models/digit-camera/1.0.0" / name) == bytes);

    // pack-model refuses a model.json that describes another preprocessing than training's.
    Json bgr = Json::parse(test::slurp(s / "model.json"));
    bgr["input"]["colour"] = "bgr";
    test::write_file(dir / "golden.ndjson", test::slurp(s / "golden.ndjson"));
    fs::create_directories(dir / "golden");
    for (const auto& [name, bytes] : CameraFiles().images)
        test::write_file(dir / name, bytes);
    test::write_file(dir / "bgr.json", bgr.dump());
    CHECK_THROWS_WITH(pack_model({s / "model.pt", dir / "bgr.json", dir / "golden.ndjson", dir / "bgr.tar.zst", {}}),
                      Catch::Contains("do not give the input training gave"));
    CHECK_FALSE(fs::exists(dir / "bgr.tar.zst"));
    fs::remove(dir / "golden" / CameraFiles().images.begin()->first.substr(7));
    CHECK_THROWS_WITH(pack_model({s / "model.pt", s / "model.json", dir / "golden.ndjson", dir / "x.tar.zst", {}}),
                      Catch::Contains("cannot"));
}

TEST_CASE_METHOD(test::TempDirFixture, "package: golden images are held to their own entry rules") {
    Store store = Store::init(dir / "s", "x");
    auto refused = [&](const std::vector<test::CraftedEntry>& entries, const std::string& why) {
        test::write_crafted(dir / "bad.tar.zst", entries);
        CHECK_THROWS_WITH(import_model(store, store.lock("import-model"), {dir / "bad.tar.zst", true, true}),
                          Catch::Contains(why));
        CHECK(fs::is_empty(dir / "s/models"));
        CHECK(list_models(store.db()).empty());
    };
    CameraFiles f;
    // The control: the crafted package, as it is, imports.
    test::write_crafted(dir / "good.tar.zst", f.entries());
    CHECK(verify_package(dir / "good.tar.zst", {{}, true, false}).golden_vectors == f.images.size());

    // Built with BGR where training used RGB: every digest matches, the golden images do not.
    CameraFiles bgr;
    Json spec = Json::parse(bgr.spec);
    spec["input"]["colour"] = "bgr";
    bgr.spec = spec.dump();
    refused(bgr.entries(), "do not give the input training gave");
    // Nearest-neighbour resizing where training averaged areas is refused too.
    CameraFiles nearest;
    spec = Json::parse(nearest.spec);
    spec["input"]["interpolation"] = "nearest";
    nearest.spec = spec.dump();
    refused(nearest.entries(), "do not give the input training gave");

    // Names: nested, hidden, another kind, a second folder.
    auto with = [&](test::CraftedEntry extra) {
        auto e = f.entries();
        e.insert(e.end() - 1, std::move(extra));
        return e;
    };
    refused(with({"golden/sub/a.png", "x"}), "entry 'golden/sub/a.png' is not a golden image's name");
    refused(with({"golden/.a.png", "x"}), "is not a golden image's name");
    refused(with({"golden/a.gif", "x"}), "is not a golden image's name");
    refused(with({"golden/sub", "", 'd'}), "entry 'golden/sub' is a directory");
    refused(with({"golden", "", 'd'}), "entry 'golden' is a directory");
    refused(with({"golden/a.png", "", 'l'}), "is a symbolic link");

    // An image the package holds but golden.ndjson does not name, listed in SHA256SUMS.
    CameraFiles extra;
    extra.images["golden/unchecked.png"] = extra.images.begin()->second;
    refused(extra.entries(), "entry 'golden/unchecked.png' is not named in golden.ndjson");
    // golden.ndjson naming an image the package lacks.
    CameraFiles lacking;
    lacking.images.erase(lacking.images.begin());
    refused(lacking.entries(), "which the package lacks");
    // A golden image that is not an image edgectl takes, under its own digest.
    CameraFiles hostile;
    hostile.images.begin()->second = "GIF89a" + std::string(100, '\0');
    refused(hostile.entries(), "golden image '" + hostile.images.begin()->first + "'");
    // A truncated one.
    CameraFiles truncated;
    auto& cut = truncated.images.begin()->second;
    cut.resize(cut.size() / 2);
    refused(truncated.entries(), "golden image '" + truncated.images.begin()->first + "'");
    // Too many, and too large.
    CameraFiles many;
    std::string golden;
    for (int i = 0; i < 65; ++i) {
        std::string name = "golden/g" + std::to_string(i) + ".png";
        many.images[name] = f.images.begin()->second;
        golden += Json{{"image", name}, {"output", Json::array()}}.dump() + "\n";
    }
    many.golden = golden;
    refused(many.entries(), "one golden image too many: a package holds at most 64");
    CameraFiles large;
    large.images.begin()->second += std::string((4u << 20) + 1, '\0');
    refused(large.entries(), "is larger than the limit");
}
