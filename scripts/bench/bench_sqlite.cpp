// bench-sqlite: SQLite alone doing the writes of `edgectl score` and `edgectl ingest`, for
// scripts/bench.sh. Links SQLite alone, not edgectl's core.
//
//   bench-sqlite insights SCORED.db TARGET.db BATCH COMMIT
//       Limit (b) of score: the insight rows `edgectl score` wrote into SCORED.db (so the very
//       same rows), written into TARGET.db, a copy of the same store before scoring, with the
//       settings of edgectl's score connection (WAL, synchronous=NORMAL, foreign keys on, SQLite's
//       allocator statistics off), its SQL as prepared statements, one score_progress upsert per
//       batch of BATCH rows, and BEGIN IMMEDIATE ... COMMIT every COMMIT rows.
//       Values are bound without copying (SQLITE_STATIC), as edgectl binds its text.
//   bench-sqlite items INGESTED.db TARGET.db COMMIT
//       The item rows `edgectl ingest` wrote into INGESTED.db, written into TARGET.db (a new
//       store) with ingest's SQL and settings (synchronous=NORMAL, a 64 MiB wal_autocheckpoint, the
//       sources.done update with every commit, the file's last commit in FULL mode), COMMIT rows
//       per transaction: what ingest costs in SQLite alone. The `sources` and `ingests` rows the
//       items reference are copied first, untimed.
//
// Insight rows are copied as stored, every column but `id`, so the harness follows the schema as
// the store grows columns; item rows as ingest inserts them. They are read into memory, compactly,
// before the clock starts; only the writing is timed, up to and including closing the target
// (which checkpoints the write-ahead log, as edgectl's exit does). Prints one line:
// "seconds=S cpu_seconds=C items=N items_per_s=R" (C: CPU time during the loop; the rest of S is
// spent waiting, for fsync mostly).

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "timing.hpp"

namespace {

using bench::Clock;
using bench::cpu_seconds;
using bench::report;
using bench::seconds_since;

struct Db {
    sqlite3* db = nullptr;
    explicit Db(const char* path) {
        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string("cannot open ") + path);
        sqlite3_busy_timeout(db, 60'000);
    }
    ~Db() { sqlite3_close_v2(db); }
    void exec(const char* sql) {
        char* why = nullptr;
        if (sqlite3_exec(db, sql, nullptr, nullptr, &why) != SQLITE_OK) {
            std::string message = why ? why : "?";
            sqlite3_free(why);
            throw std::runtime_error(message + " in " + sql);
        }
    }
    sqlite3_stmt* prepare(const char* sql) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string(sqlite3_errmsg(db)) + " in " + sql);
        return stmt;
    }
    void run(sqlite3_stmt* stmt) {
        if (sqlite3_step(stmt) != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db));
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
};

// One value of a row; a text or blob lives in its table's arena.
struct Cell {
    int type = SQLITE_NULL;
    sqlite3_int64 integer = 0;
    double real = 0;
    std::size_t offset = 0, size = 0;
};

// A table's rows, held compactly: their cells one row after the other and every text and blob in
// one contiguous arena, in insertion order, the way a writer holds the batch it inserts. (Held as a
// million separately allocated values, the same rows cost SQLite alone several percent more CPU to
// bind and insert: the limit would be lower than SQLite's own.)
struct Rows {
    std::vector<std::string> columns;
    std::vector<Cell> cells;
    std::string arena;
    std::size_t count = 0;
    const Cell* row(std::size_t i) const { return cells.data() + i * columns.size(); }
    std::size_t column(const std::string& name) const {
        for (std::size_t i = 0; i < columns.size(); ++i)
            if (columns[i] == name) return i;
        throw std::runtime_error("no column " + name);
    }
};

// Loads TABLE's rows in id order: the given columns, or every column but `id` when none are given,
// so that the harness follows the store's schema as it grows columns.
void load(Db& src, const std::string& table, Rows& out, std::vector<std::string> columns = {}) {
    if (columns.empty()) {
        sqlite3_stmt* info =
            src.prepare(("SELECT name FROM pragma_table_info('" + table + "') WHERE name <> 'id'").c_str());
        while (sqlite3_step(info) == SQLITE_ROW)
            columns.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(info, 0)));
        sqlite3_finalize(info);
    }
    std::string list;
    for (auto& c : columns) {
        list += (list.empty() ? "" : ", ") + c;
        out.columns.push_back(std::move(c));
    }
    sqlite3_stmt* q = src.prepare(("SELECT " + list + " FROM " + table + " ORDER BY id").c_str());
    while (sqlite3_step(q) == SQLITE_ROW) {
        for (int i = 0; i < int(out.columns.size()); ++i) {
            Cell cell;
            cell.type = sqlite3_column_type(q, i);
            if (cell.type == SQLITE_INTEGER)
                cell.integer = sqlite3_column_int64(q, i);
            else if (cell.type == SQLITE_FLOAT)
                cell.real = sqlite3_column_double(q, i);
            else if (cell.type == SQLITE_TEXT || cell.type == SQLITE_BLOB) {
                const void* bytes = cell.type == SQLITE_TEXT ? static_cast<const void*>(sqlite3_column_text(q, i))
                                                             : sqlite3_column_blob(q, i);
                cell.size = std::size_t(sqlite3_column_bytes(q, i));
                cell.offset = out.arena.size();
                out.arena.append(static_cast<const char*>(bytes), cell.size);
            }
            out.cells.push_back(cell);
        }
        ++out.count;
    }
    sqlite3_finalize(q);
    if (out.count == 0) throw std::runtime_error("no rows in " + table);
}

std::string insert_sql(const std::string& table, const Rows& rows, const std::string& conflict) {
    std::string names, marks;
    for (const auto& c : rows.columns) {
        names += (names.empty() ? "" : ", ") + c;
        marks += marks.empty() ? "?" : ", ?";
    }
    return "INSERT INTO " + table + " (" + names + ") VALUES (" + marks + ") " + conflict;
}

// Binds a value held in memory for the whole run without copying it (SQLITE_STATIC), as edgectl
// binds its text (Statement::bind_static).
void bind(sqlite3_stmt* stmt, int index, const Rows& rows, const Cell& cell) {
    const char* bytes = rows.arena.data() + cell.offset;
    switch (cell.type) {
    case SQLITE_INTEGER: sqlite3_bind_int64(stmt, index, cell.integer); break;
    case SQLITE_FLOAT: sqlite3_bind_double(stmt, index, cell.real); break;
    case SQLITE_TEXT: sqlite3_bind_text64(stmt, index, bytes, cell.size, SQLITE_STATIC, SQLITE_UTF8); break;
    case SQLITE_BLOB: sqlite3_bind_blob64(stmt, index, bytes, cell.size, SQLITE_STATIC); break;
    default: sqlite3_bind_null(stmt, index);
    }
}

void bind_row(sqlite3_stmt* stmt, const Rows& rows, std::size_t i) {
    const Cell* row = rows.row(i);
    for (std::size_t c = 0; c < rows.columns.size(); ++c)
        bind(stmt, int(c) + 1, rows, row[c]);
}

// The settings of edgectl's connection (core/store/db.cpp Db::open) as score and ingest set them: both
// commit with synchronous=NORMAL between their sync points (core/score/score.cpp, core/ingest/ingest.cpp).
void open_like_edgectl(Db& db) {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF");
}

// The names of TABLE's columns, `id` included.
std::vector<std::string> all_columns(Db& src, const std::string& table) {
    std::vector<std::string> names;
    sqlite3_stmt* info = src.prepare(("SELECT name FROM pragma_table_info('" + table + "')").c_str());
    while (sqlite3_step(info) == SQLITE_ROW)
        names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(info, 0)));
    sqlite3_finalize(info);
    return names;
}

// Copies every row of TABLE, ids included, from src into db in one transaction (untimed set-up).
void copy_table(Db& src, Db& db, const std::string& table) {
    Rows rows;
    load(src, table, rows, all_columns(src, table));
    sqlite3_stmt* add = db.prepare(insert_sql(table, rows, "").c_str());
    db.exec("BEGIN IMMEDIATE");
    for (std::size_t i = 0; i < rows.count; ++i) {
        bind_row(add, rows, i);
        db.run(add);
    }
    db.exec("COMMIT");
    sqlite3_finalize(add);
}

// The timed part of `insights`: a function of its own, so that profiles tell it from the loading.
[[gnu::noinline]] void write_insights(Db& db, const Rows& rows, sqlite3_stmt* add, sqlite3_stmt* progress, long batch,
                                      long commit) {
    const std::size_t item = rows.column("item_id"), model = rows.column("model"),
                      version = rows.column("model_version");
    bool open = false;
    long in_tx = 0;
    const std::size_t n = rows.count;
    for (std::size_t at = 0; at < n; at += std::size_t(batch)) {
        if (!open) {
            db.exec("BEGIN IMMEDIATE");
            open = true;
        }
        std::size_t end = std::min(n, at + std::size_t(batch));
        for (std::size_t i = at; i < end; ++i) {
            bind_row(add, rows, i);
            db.run(add);
        }
        const Cell* last = rows.row(end - 1);
        bind(progress, 1, rows, last[model]);
        bind(progress, 2, rows, last[version]);
        bind(progress, 3, rows, last[item]);
        db.run(progress);
        if ((in_tx += long(end - at)) >= commit) {
            db.exec("COMMIT");
            open = false;
            in_tx = 0;
        }
    }
    if (open) db.exec("COMMIT");
}

int insights(const char* scored_path, const char* target_path, long batch, long commit) {
    Rows rows;
    {
        Db src(scored_path);
        load(src, "insights", rows);
    }
    auto db = std::make_unique<Db>(target_path);
    open_like_edgectl(*db);
    sqlite3_stmt* add = db->prepare(insert_sql("insights", rows, "ON CONFLICT DO NOTHING").c_str());
    sqlite3_stmt* progress =
        db->prepare("INSERT INTO score_progress (model, model_version, last_item_id) VALUES (?, ?, ?) "
                    "ON CONFLICT (model, model_version) DO UPDATE SET last_item_id = excluded.last_item_id");

    double cpu = cpu_seconds();
    auto start = Clock::now();
    write_insights(*db, rows, add, progress, batch, commit);
    sqlite3_finalize(add);
    sqlite3_finalize(progress);
    db.reset();  // closing checkpoints what is left in the WAL, as it does when edgectl exits
    double s = seconds_since(start);
    cpu = cpu_seconds() - cpu;
    report(s, cpu, long(rows.count));
    return 0;
}

// The timed part of `items`: a function of its own, so that profiles tell it from the loading.
[[gnu::noinline]] void write_items(Db& db, const Rows& rows, sqlite3_stmt* add, sqlite3_stmt* progress,
                                   std::int64_t source_id, long commit) {
    const std::size_t ordinal = rows.column("ordinal");
    auto advance = [&](std::size_t i) {
        bind(progress, 1, rows, rows.row(i)[ordinal]);
        sqlite3_bind_int64(progress, 2, source_id);
        db.run(progress);
    };
    long in_tx = 0;
    const std::size_t n = rows.count;
    db.exec("BEGIN IMMEDIATE");
    for (std::size_t i = 0; i < n; ++i) {
        bind_row(add, rows, i);
        db.run(add);
        if (++in_tx >= commit) {
            advance(i);
            db.exec("COMMIT");
            db.exec("BEGIN IMMEDIATE");
            in_tx = 0;
        }
    }
    advance(n - 1);  // the last records commit with the file's progress too
    db.exec("COMMIT");
    // The file's last, small transaction in FULL mode, which makes the file's records durable.
    db.exec("PRAGMA synchronous = FULL");
    db.exec("BEGIN IMMEDIATE");
    sqlite3_stmt* complete = db.prepare("UPDATE sources SET complete = 1 WHERE id = ?");
    sqlite3_bind_int64(complete, 1, source_id);
    db.run(complete);
    sqlite3_finalize(complete);
    db.exec("COMMIT");
    db.exec("PRAGMA synchronous = NORMAL");
}

int items(const char* source_path, const char* target_path, long commit) {
    auto target = std::make_unique<Db>(target_path);
    Db& db = *target;
    open_like_edgectl(db);
    // Ingest lets the log grow to 64 MiB between checkpoints (Db::set_checkpoint_bytes).
    {
        sqlite3_stmt* page = db.prepare("PRAGMA page_size");
        sqlite3_step(page);
        std::string sql =
            "PRAGMA wal_autocheckpoint = " + std::to_string((std::int64_t(64) << 20) / sqlite3_column_int64(page, 0));
        sqlite3_finalize(page);
        db.exec(sql.c_str());
    }
    // The rows ingest writes (core/ingest/ingest.cpp FileIngester): the items, as its INSERT names them,
    // and what they reference, copied first.
    Rows rows;
    std::int64_t source_id = 0;
    {
        Db src(source_path);
        copy_table(src, db, "sources");
        copy_table(src, db, "ingests");
        load(src, "items", rows, {"id", "ingest_id", "source_id", "ordinal", "line", "payload"});
        sqlite3_stmt* first = src.prepare("SELECT source_id FROM ingests ORDER BY id LIMIT 1");
        if (sqlite3_step(first) == SQLITE_ROW) source_id = sqlite3_column_int64(first, 0);
        sqlite3_finalize(first);
    }
    db.exec("UPDATE sources SET done = 0, complete = 0");
    sqlite3_stmt* add = db.prepare(insert_sql("items", rows, "").c_str());
    sqlite3_stmt* progress = db.prepare("UPDATE sources SET done = ? WHERE id = ?");

    double cpu = cpu_seconds();
    auto start = Clock::now();
    write_items(db, rows, add, progress, source_id, commit);
    sqlite3_finalize(add);
    sqlite3_finalize(progress);
    target.reset();  // closing checkpoints what is left in the WAL, as it does when edgectl exits
    double s = seconds_since(start);
    cpu = cpu_seconds() - cpu;
    report(s, cpu, long(rows.count));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    // As edgectl does (core/store/db.cpp): Debian's SQLite otherwise keeps allocator statistics under a
    // global mutex taken on every sqlite3_malloc.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    try {
        std::string what = argc > 1 ? argv[1] : "";
        if (what == "insights" && argc == 6) return insights(argv[2], argv[3], std::atol(argv[4]), std::atol(argv[5]));
        if (what == "items" && argc == 5) return items(argv[2], argv[3], std::atol(argv[4]));
        std::fprintf(stderr, "usage: bench-sqlite insights SCORED.db TARGET.db BATCH COMMIT\n"
                             "       bench-sqlite items INGESTED.db TARGET.db COMMIT\n");
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-sqlite: %s\n", e.what());
        return 1;
    }
}
