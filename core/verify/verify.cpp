#include "verify/verify.hpp"

#include "export/bag.hpp"
#include "package/package.hpp"
#include "util/archive.hpp"
#include "util/error.hpp"

namespace edgectl {
namespace {

// A bag keeps everything under one base directory; a package has its files at the root. An
// archive whose first entry cannot be read is an export's if an export's sidecar is beside it: its
// digest and signature are then checked against its bytes, whatever they hold.
ArtifactKind kind_of(const fs::path& path) {
    ArchiveReader::Entry entry;
    try {
        ArchiveReader reader(path);
        if (!reader.next(entry)) throw VerifyError(quote(path) + " is an empty archive");
    } catch (const VerifyError&) {
        std::error_code ec;
        if (fs::exists(path.string() + ".sha256", ec) || fs::exists(path.string() + ".minisig", ec))
            return ArtifactKind::export_bag;
        throw;
    }
    return entry.directory || entry.name.find('/') != std::string::npos ? ArtifactKind::export_bag
                                                                        : ArtifactKind::model_package;
}

}  // namespace

std::string_view to_string(ArtifactKind kind) {
    switch (kind) {
    case ArtifactKind::export_bag: return "export-bag";
    case ArtifactKind::model_package: return "model-package";
    case ArtifactKind::unknown: return "unknown";
    }
    return "unknown";
}

VerifyOutcome verify_artifact(const fs::path& path, const VerifyKeys& keys) {
    VerifyOutcome out{path, ArtifactKind::unknown, {}, Json::object()};
    try {
        out.kind = kind_of(path);
        if (out.kind == ArtifactKind::export_bag) {
            BagReport report =
                verify_bag_archive(path, keys.site_key ? &*keys.site_key : nullptr, keys.require_signature);
            out.problems = report.problems;
            out.detail = to_json(report);
        } else {
            SignaturePolicy policy{keys.trusted.value_or(std::vector<TrustedKey>{}), false, keys.trusted.has_value()};
            std::vector<PackageCheck> trail;
            try {
                bool run = keys.trusted.has_value() || keys.run_model;
                VerifiedPackage p = verify_package(path, policy, trail, run);
                out.detail = {{"name", p.spec.name},
                              {"version", p.spec.version},
                              {"digest", p.digest},
                              {"signer", p.signer ? Json(*p.signer) : Json()},
                              {"signature_checked", keys.trusted.has_value()},
                              {"model_run", run}};
            } catch (const VerifyError& e) { out.problems.push_back(e.what()); }
            out.detail["checks"] = to_json(trail);
        }
    } catch (const Error& e) {
        // A file that cannot be read (missing, unreadable) fails its verification; the others go on.
        out.problems.push_back(e.what());
    }
    return out;
}

}  // namespace edgectl
