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
    wrong_shape.spec = spec.dump();
    refused(wrong_shape.entries(), "contract needs 4");
}
