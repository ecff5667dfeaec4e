#include "fixture.hpp"

#include "util/error.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace edgectl::test {

TempDirFixture::TempDirFixture() {
    std::string pattern = (fs::temp_directory_path() / "edgectl-unit.XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    dir = pattern;
}

TempDirFixture::~TempDirFixture() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
}

void write_crafted(const fs::path& path, const std::vector<CraftedEntry>& entries) {
    archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_add_filter_zstd(a);
    if (archive_write_open_filename(a, path.c_str()) != ARCHIVE_OK)
        throw std::runtime_error("cannot write crafted archive");
    for (const auto& e : entries) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, e.name.c_str());
        archive_entry_set_perm(entry, 0644);
        switch (e.type) {
        case 'd': archive_entry_set_filetype(entry, AE_IFDIR); break;
        case 'l':
            archive_entry_set_filetype(entry, AE_IFLNK);
            archive_entry_set_symlink(entry, e.content.c_str());
            break;
        case 'h':
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_hardlink(entry, e.content.c_str());
            break;
        case 'c':
            archive_entry_set_filetype(entry, AE_IFCHR);
            archive_entry_set_rdev(entry, makedev(1, 3));
            break;
        case 'p': archive_entry_set_filetype(entry, AE_IFIFO); break;
        case 's':  // a sparse file of 1 GiB that holds only `content` at its start
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_size(entry, la_int64_t(1) << 30);
            archive_entry_sparse_add_entry(entry, 0, la_int64_t(e.content.size()));
            break;
        default:
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_size(entry, la_int64_t(e.content.size()));
        }
        archive_write_header(a, entry);
        if (e.type == 'f' || e.type == 's') archive_write_data(a, e.content.data(), e.content.size());
        archive_entry_free(entry);
    }
    archive_write_close(a);
    archive_write_free(a);
}

fs::path sample_dir() { return EDGECTL_SAMPLE_DIR; }

void write_file(const fs::path& path, std::string_view content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), std::streamsize(content.size()));
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::unique_ptr<Model> load_model_file(const fs::path& path) {
    preload_torch();  // overlaps reading the file
    return load_torchscript(read_file(path, std::size_t(4) << 30), path.string());
}

}  // namespace edgectl::test
