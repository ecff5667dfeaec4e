#include "ingest/sources.hpp"

#include "util/sha256.hpp"

#include <vector>

namespace edgectl {

std::string digest_of(File& file) {
    Sha256 hash;
    std::vector<char> buf(1 << 16);
    while (std::size_t n = file.read_some(buf.data(), buf.size()))
        hash.update(buf.data(), n);
    file.rewind();
    return hash.finish();
}

bool already_ingested(Db& db, const std::string& digest) {
    Statement stmt(db, "SELECT complete FROM sources WHERE digest = ?");
    stmt.bind(1, digest);
    return stmt.step() && stmt.column_int(0) == 1;
}

}  // namespace edgectl
