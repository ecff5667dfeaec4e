#include "store/db.hpp"

#include "util/crash.hpp"
#include "util/error.hpp"

#include <sqlite3.h>

#include <algorithm>

namespace edgectl {

void Db::Close::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }

namespace {

// Before the first connection: Debian's SQLite keeps allocator statistics by default, taking a
// global mutex on every allocation; edgectl never reads them.
void configure_once() {
    static const bool done = [] {
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        return true;
    }();
    (void)done;
}

}  // namespace

// A connection with what every one of ours needs: extended result codes, and a busy timeout
// (another writer, a different command, may hold the write lock briefly; wait for it).
Db Db::connect(const std::filesystem::path& path, int flags) {
    configure_once();
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    Db db(raw);
    if (rc != SQLITE_OK)
        throw Error("cannot open database '" + path.string() +
                    "': " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, 60'000);
    db.exec("PRAGMA trusted_schema = OFF");
    return db;
}

Db Db::open(const std::filesystem::path& path, bool create) {
    Db db = connect(path, SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0));
    // A new database gets larger pages than SQLite's 4 KiB before anything fixes its size (WAL mode
    // cannot change it later): a store is appended in bulk, and writing the same rows in a quarter
    // of the pages took ingest and score about 13% less time (docs/benchmarks.md). An existing
    // store keeps the page size it was made with; both work.
    if (create) db.exec("PRAGMA page_size = " + std::to_string(new_page_size));
    db.exec("PRAGMA journal_mode = WAL");
    // FULL: a committed transaction survives power loss, which --move-to relies on.
    db.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
    return db;
}

Db Db::open_reader(const std::filesystem::path& path) { return connect(path, SQLITE_OPEN_READONLY); }

void Db::set_synchronous(Sync mode) {
    exec(mode == Sync::full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
}

void Db::set_checkpoint_bytes(std::int64_t bytes) {
    std::int64_t pages = bytes / std::max<std::int64_t>(query_int(*this, "PRAGMA page_size"), 512);
    exec("PRAGMA wal_autocheckpoint = " + std::to_string(std::max<std::int64_t>(pages, 1)));
}

void Db::exec(std::string_view sql) {
    std::string text(sql);
    int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) check(rc, "running '" + text.substr(0, 60) + "'");  // the context only when it fails
}

void Db::check(int rc, std::string_view context) const {
    if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
    std::string message = "database error while " + std::string(context) + ": " + sqlite3_errmsg(db_.get());
    if ((rc & 0xff) == SQLITE_FULL) message += " (is the disk full?)";
    if ((rc & 0xff) == SQLITE_READONLY) message += " (is the store read-only?)";
    throw Error(message);
}

std::int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_.get()); }
int Db::changes() const { return sqlite3_changes(db_.get()); }
int Db::user_version() { return int(query_int(*this, "PRAGMA user_version")); }

void Statement::Finalize::operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }

Statement::Statement(Db& db, std::string_view sql) : db_(&db) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db.handle(), sql.data(), int(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    stmt_.reset(raw);
    db.check(rc, "preparing '" + std::string(sql.substr(0, 60)) + "'");
}

Statement& Statement::bind(int index, std::int64_t value) {
    db_->check(sqlite3_bind_int64(stmt_.get(), index, value), "binding a parameter");
    return *this;
}
Statement& Statement::bind(int index, double value) {
    db_->check(sqlite3_bind_double(stmt_.get(), index, value), "binding a parameter");
    return *this;
}
Statement& Statement::bind(int index, std::string_view value) {
    db_->check(sqlite3_bind_text64(stmt_.get(), index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
               "binding a parameter");
    return *this;
}
Statement& Statement::bind_static(int index, std::string_view value) {
    db_->check(sqlite3_bind_text64(stmt_.get(), index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8),
               "binding a parameter");
    return *this;
}
Statement& Statement::bind(int index, std::nullopt_t) {
    db_->check(sqlite3_bind_null(stmt_.get(), index), "binding a parameter");
    return *this;
}
Statement& Statement::bind(int index, const std::optional<std::string>& value) {
    return value ? bind(index, std::string_view(*value)) : bind(index, std::nullopt);
}

bool Statement::step() {
    int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    db_->check(rc, "running '" + std::string(sqlite3_sql(stmt_.get())).substr(0, 60) + "'");
    return false;
}

void Statement::run() {
    while (step()) {}
    reset();
}

void Statement::reset() {
    sqlite3_reset(stmt_.get());
    sqlite3_clear_bindings(stmt_.get());
}

std::int64_t Statement::column_int(int index) const { return sqlite3_column_int64(stmt_.get(), index); }
double Statement::column_double(int index) const { return sqlite3_column_double(stmt_.get(), index); }
std::string Statement::column_text(int index) const { return std::string(column_view(index)); }
std::string_view Statement::column_view(int index) const {
    auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), index));
    if (!text) return {};
    return {text, std::size_t(sqlite3_column_bytes(stmt_.get(), index))};
}
bool Statement::column_is_null(int index) const { return sqlite3_column_type(stmt_.get(), index) == SQLITE_NULL; }
int Statement::column_count() const { return sqlite3_column_count(stmt_.get()); }
Statement::Type Statement::column_type(int index) const {
    switch (sqlite3_column_type(stmt_.get(), index)) {
    case SQLITE_INTEGER: return Type::integer;
    case SQLITE_FLOAT: return Type::real;
    case SQLITE_TEXT: return Type::text;
    case SQLITE_BLOB: return Type::blob;
    default: return Type::null;
    }
}
std::optional<std::string> Statement::column_optional_text(int index) const {
    if (column_is_null(index)) return std::nullopt;
    return column_text(index);
}

Transaction::Transaction(Db& db, std::string point) : db_(db), point_(std::move(point)) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
    if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    crash::point(point_ + ":commit");
    db_.exec("COMMIT");
    done_ = true;
}

ReadSnapshot::ReadSnapshot(Db& db) : db_(db) { db_.exec("BEGIN"); }

ReadSnapshot::~ReadSnapshot() { sqlite3_exec(db_.handle(), "COMMIT", nullptr, nullptr, nullptr); }

std::int64_t query_int(Db& db, std::string_view sql) {
    Statement stmt(db, sql);
    return stmt.step() ? stmt.column_int(0) : 0;
}

}  // namespace edgectl
