#pragma once
// Sealing a staged volume: its bag written as an archive under a temporary name on the target,
// read back through the same descriptor (one read verifies the bag and digests the bytes it
// verified), its digest and signature written beside it, and that very file named.

#include "export/bag.hpp"
#include "export/export.hpp"
#include "export/ledger.hpp"
#include "export/plan.hpp"
#include "store/store.hpp"
#include "util/fs.hpp"
#include "util/minisign.hpp"

#include <string>

namespace edgectl {

// A volume's archive, written under a temporary name on the target and read back whole through the
// same descriptor: what was verified is exactly what is then digested, signed, recorded and named.
struct Sealed {
    File file;     ///< open read-write (written) or read-only (found on the target)
    ReadBag read;  ///< the bag's verification and the digests of the bytes verified
    /// Removes a temporary archive that fails before its digest is recorded or it is named; from
    /// then on only recovery may remove it. Guards nothing for an archive found on the target.
    UnlinkGuard unfinished;
};

/// Writes a staged volume's bag as an archive on its target, and reads it back.
Sealed seal(Store& store, const Ledger& l, Volume& v, int level);

/// The site's key signs its exports. It is made once, by init: a missing key is an error, never a
/// reason to make another, since the receiving side knows the site by its key.
minisign::SecretKey site_key(const Store& store);

/// Writes the digest and the signature of a verified archive beside it and, unless it is there
/// already (a recovered volume), gives it its final name. With the ledger row pending, its digest is
/// recorded first.
ExportedArchive place(Store& store, const Ledger& l, Sealed& s, bool pending);

/// Places a verified archive and marks its rows. The one verification pass (the archive re-read
/// after writing) also yields the tag-manifest digest the ledger chains on.
ExportedArchive finish(Store& store, const Ledger& l, Sealed& s);

/// Removes what killed runs left on a target, of this site only: archives being written
/// ('.<name>.tar.zst.partial'), sidecars not yet renamed ('.<name>.tar.zst.sha256.tmp-PID'), and
/// sidecars named for an archive that is not there (a volume forgotten or abandoned after its
/// sidecars were named); with `only`, those of that export alone. Call under the export lock, with
/// no pending volume left on this target but `only`, so that none of it is live.
void sweep_target(const fs::path& target, const std::string& site, const std::string& only = {});

}  // namespace edgectl
