#include "util/fs.hpp"

#include "fixture.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace edgectl;

TEST_CASE_METHOD(test::TempDirFixture, "fs: the file an open descriptor names is the file written through it") {
    File out = File::create_new(dir / ".a.partial", 0644, true);
    out.write_all("checked bytes");
    name_open_file(out, dir / "a", "test");
    CHECK(test::slurp(dir / "a") == "checked bytes");
    CHECK_FALSE(fs::exists(dir / ".a.partial"));

    // Another file put under the temporary name meanwhile is never the one named.
    File held = File::create_new(dir / ".b.partial", 0644, true);
    held.write_all("checked bytes");
    fs::rename(dir / "a", dir / ".b.partial");  // replaces the file held open
    CHECK_THROWS_WITH(name_open_file(held, dir / "b", "test"), Catch::Contains("no longer names the file"));
    CHECK_FALSE(fs::exists(dir / "b"));

    // A name already taken is never replaced.
    File third = File::create_new(dir / ".c.partial", 0644, true);
    test::write_file(dir / "c", "someone else's");
    CHECK_THROWS(name_open_file(third, dir / "c", "test"));
    CHECK(test::slurp(dir / "c") == "someone else's");
}

TEST_CASE_METHOD(test::TempDirFixture, "fs: a file is moved whole, and a removal is made durable") {
    test::write_file(dir / "in", "data");
    fs::create_directory(dir / "out");
    move_file(dir / "in", dir / "out/in", "test");
    CHECK(test::slurp(dir / "out/in") == "data");
    CHECK_FALSE(fs::exists(dir / "in"));
    remove_durably(dir / "out", "test");
    CHECK_FALSE(fs::exists(dir / "out"));
    CHECK_NOTHROW(remove_durably(dir / "out", "test"));  // already gone: nothing to do
}

namespace {

// The names in a directory, sorted.
std::vector<std::string> listing(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(dir))
        out.push_back(entry.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE_METHOD(test::TempDirFixture,
                 "fs: an AtomicFile not committed leaves neither its final nor its temporary name") {
    {
        AtomicFile file(dir / "out.txt", 0644, "test");
        file.write("half of it");
        CHECK(file.temp_path().parent_path() == dir);
        CHECK_THAT(file.temp_path().filename().string(), Catch::StartsWith(atomic_temp_prefix(dir / "out.txt")));
        CHECK(fs::exists(file.temp_path()));
        CHECK_FALSE(fs::exists(dir / "out.txt"));
    }
    CHECK(listing(dir).empty());

    // Over an existing file, an abandoned write leaves the old contents as they were.
    test::write_file(dir / "out.txt", "old");
    {
        AtomicFile file(dir / "out.txt", 0644, "test");
        file.write("new");
    }
    CHECK(test::slurp(dir / "out.txt") == "old");
    CHECK(listing(dir) == std::vector<std::string>{"out.txt"});
}

TEST_CASE_METHOD(test::TempDirFixture, "fs: an AtomicFile's commit replaces the file whole, by rename") {
    test::write_file(dir / "out.txt", "old contents");
    File reader = File::open_read(dir / "out.txt");  // a reader that opened the old file
    const auto old_id = reader.id();
    {
        AtomicFile file(dir / "out.txt", 0600, "test");
        file.write("new ");
        file.write("contents");
        CHECK(test::slurp(dir / "out.txt") == "old contents");  // nothing shows before the commit
        file.commit();
        CHECK(test::slurp(dir / "out.txt") == "new contents");
    }  // and destroying it after the commit removes nothing
    CHECK(test::slurp(dir / "out.txt") == "new contents");
    CHECK(listing(dir) == std::vector<std::string>{"out.txt"});
    // A new inode took the name: the old file was never written over in place.
    CHECK(file_id(dir / "out.txt") != old_id);
    char buf[64];
    std::size_t n = reader.read_some(buf, sizeof buf);
    CHECK(std::string(buf, n) == "old contents");
    CHECK((fs::status(dir / "out.txt").permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));

    // write_file_atomic does the same in one call.
    write_file_atomic(dir / "out.txt", "third", 0644, "test");
    CHECK(test::slurp(dir / "out.txt") == "third");
    CHECK(listing(dir) == std::vector<std::string>{"out.txt"});
}

TEST_CASE_METHOD(test::TempDirFixture, "fs: an AtomicFile sweeps what killed runs left under its name, and only that") {
    const std::string prefix = atomic_temp_prefix(dir / "out.txt");
    test::write_file(dir / (prefix + "12345"), "left by a killed run");
    test::write_file(dir / ".other.txt.tmp-12345", "another name's");
    AtomicFile file(dir / "out.txt", 0644, "test");
    file.write("x");
    file.commit();
    CHECK(listing(dir) == std::vector<std::string>{".other.txt.tmp-12345", "out.txt"});
}

TEST_CASE_METHOD(test::TempDirFixture,
                 "fs: an UnlinkGuard removes its file unless dismissed; a moved-from one nothing") {
    test::write_file(dir / "a", "partial");
    { UnlinkGuard guard(dir / "a"); }
    CHECK_FALSE(fs::exists(dir / "a"));

    test::write_file(dir / "b", "finished");
    {
        UnlinkGuard guard(dir / "b");
        guard.dismiss();
    }
    CHECK(fs::exists(dir / "b"));

    // Moved: the new owner removes the file, exactly once, when it goes; the old one never does.
    test::write_file(dir / "c", "partial");
    {
        UnlinkGuard from(dir / "c");
        {
            UnlinkGuard to(std::move(from));
            CHECK(fs::exists(dir / "c"));
        }
        CHECK_FALSE(fs::exists(dir / "c"));
        test::write_file(dir / "c", "someone else's, made under the same name later");
    }
    CHECK(test::slurp(dir / "c") == "someone else's, made under the same name later");

    // A dismissed guard that is moved stays dismissed.
    test::write_file(dir / "d", "finished");
    {
        UnlinkGuard from(dir / "d");
        from.dismiss();
        UnlinkGuard to(std::move(from));
    }
    CHECK(fs::exists(dir / "d"));

    { UnlinkGuard empty; }  // guards nothing, removes nothing
    CHECK(listing(dir) == std::vector<std::string>{"b", "c", "d"});
}
