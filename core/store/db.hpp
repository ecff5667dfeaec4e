#pragma once
// Small RAII wrappers over SQLite: Db (a connection), Statement (a prepared statement),
// Transaction (BEGIN IMMEDIATE … COMMIT, rolled back if destroyed uncommitted). Every SQLite return
// code goes through one check() that adds sqlite3_errmsg. All SQL takes parameters; no value is
// ever spliced into SQL text.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace edgectl {

class Db {
  public:
    /// The page size of a database this edgectl creates (SQLite's default is 4096).
    static constexpr int new_page_size = 16384;

    /// Opens (and with create, creates, with new_page_size) the database; sets WAL, FULL sync,
    /// foreign keys, busy timeout.
    static Db open(const std::filesystem::path& path, bool create);
    /// A second, read-only connection to an existing database, for a thread that only reads
    /// (WAL lets it read while the main connection writes).
    static Db open_reader(const std::filesystem::path& path);

    /// full (the default): a commit is durable when it returns, through a power cut. normal: a
    /// commit is atomic and survives a killed process, but a power cut may undo the last commits
    /// (never corrupt the store) until the next full commit or checkpoint syncs the log. For runs
    /// that are simply repeated after a power cut (ingest, score) and have their own sync points.
    enum class Sync { normal, full };
    void set_synchronous(Sync mode);
    /// Lets the write-ahead log grow to about this many bytes before a commit copies it back into
    /// the database (SQLite counts pages, and stores differ in page size).
    void set_checkpoint_bytes(std::int64_t bytes);

    Db(Db&&) noexcept = default;
    Db& operator=(Db&&) noexcept = default;

    sqlite3* handle() const { return db_.get(); }
    /// Runs SQL without results (may hold several statements).
    void exec(std::string_view sql);
    /// Throws Error with context and sqlite3_errmsg unless rc is one of the accepted codes.
    void check(int rc, std::string_view context) const;
    std::int64_t last_insert_rowid() const;
    int changes() const;
    int user_version();

  private:
    struct Close {
        void operator()(sqlite3* db) const noexcept;
    };
    explicit Db(sqlite3* db) : db_(db) {}
    static Db connect(const std::filesystem::path& path, int flags);
    std::unique_ptr<sqlite3, Close> db_;
};

/// A prepared statement, reusable with reset(). bind_* take 1-based indexes.
class Statement {
  public:
    Statement(Db& db, std::string_view sql);

    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view value);
    /// Binds text without copying it: it must stay unchanged until the statement is reset.
    Statement& bind_static(int index, std::string_view value);
    Statement& bind(int index, std::nullopt_t);
    Statement& bind(int index, const std::optional<std::string>& value);
    Statement& bind(int index, int value) { return bind(index, std::int64_t(value)); }
    Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
    Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }

    /// Steps once: true when a row is available, false when done.
    bool step();
    /// Steps a statement that returns no rows, then resets it for reuse.
    void run();
    void reset();

    std::int64_t column_int(int index) const;
    double column_double(int index) const;
    std::string column_text(int index) const;
    std::string_view column_view(int index) const;
    bool column_is_null(int index) const;
    std::optional<std::string> column_optional_text(int index) const;
    /// What a column of the current row holds, as SQLite stores it.
    enum class Type { integer, real, text, blob, null };
    Type column_type(int index) const;
    int column_count() const;

  private:
    struct Finalize {
        void operator()(sqlite3_stmt* stmt) const noexcept;
    };
    Db* db_;
    std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
};

/// BEGIN IMMEDIATE on construction: the write lock is taken up front, so a busy store is seen at
/// once rather than at commit. Rolls back on destruction unless commit() was called. `point` names
/// its commit as a durability point ('<point>:commit', crash.hpp).
class Transaction {
  public:
    Transaction(Db& db, std::string point);
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();
    void commit();

  private:
    Db& db_;
    std::string point_;
    bool done_ = false;
};

/// A read transaction (BEGIN … COMMIT, no lock taken up front): every query made while it is alive
/// sees the same committed state, however writers commit meanwhile (WAL keeps that snapshot).
class ReadSnapshot {
  public:
    explicit ReadSnapshot(Db& db);
    ReadSnapshot(const ReadSnapshot&) = delete;
    ReadSnapshot& operator=(const ReadSnapshot&) = delete;
    ~ReadSnapshot();

  private:
    Db& db_;
};

/// Runs a query that returns one integer (e.g. a COUNT).
std::int64_t query_int(Db& db, std::string_view sql);

}  // namespace edgectl
