#include "util/fs.hpp"

#include "fixture.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

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
