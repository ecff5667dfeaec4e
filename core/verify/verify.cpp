#include "verify/verify.hpp"

#include "export/bag.hpp"
#include "package/package.hpp"
#include "util/archive.hpp"
#include "util/error.hpp"

namespace edgectl {
namespace {

// A bag keeps everything under one base directory; a package has its files at the root.
std::string kind_of(const fs::path& path) {
    ArchiveReader reader(path);
    ArchiveReader::Entry entry;
    if (!reader.next(entry)) throw VerifyError("'" + path.string() + "' is an empty archive");
    return entry.directory || entry.name.find('/') != std::string::npos ? "export-bag" : "model-package";
}

}  // namespace

VerifyOutcome verify_artifact(const fs::path& path, const VerifyKeys& keys) {
    VerifyOutcome out{path, "unknown", {}, Json::object()};
    try {
        out.kind = kind_of(path);
        if (out.kind == "export-bag") {
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
