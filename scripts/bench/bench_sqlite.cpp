// bench-sqlite: SQLite alone doing the writes of `edgectl score` and `edgectl ingest`, for
// scripts/bench.sh. Links SQLite alone, not edgectl's core.
//
//   bench-sqlite insights SCORED.db TARGET.db BATCH COMMIT
//       Limit (b) of score: the insight rows `edgectl score` wrote into SCORED.db (so the very
//       same rows), written into TARGET.db, a copy of the same store before scoring, with
//       edgectl's connection settings (WAL, synchronous=FULL, foreign keys on), its SQL as prepared
//       statements, one score_progress upsert per batch of BATCH rows, and BEGIN IMMEDIATE ...
//       COMMIT every COMMIT rows.
//   bench-sqlite items INGESTED.db TARGET.db COMMIT [padded]
//       The item rows `edgectl ingest` wrote into INGESTED.db, written into TARGET.db (a new
//       store) with ingest's SQL and settings, COMMIT rows per transaction: what ingest costs in
//       SQLite alone. With "padded", the ordinal in each source key is zero-padded to 12 digits,
//       so that keys sort in insertion order (today "…:10" sorts before "…:9").
//
// Rows are copied as stored, every column but `id`, so the harness follows the schema as the store
// grows columns. They are read into memory before the clock starts; only the writing is timed. Prints one
// line: "seconds=S cpu_seconds=C items=N items_per_s=R" (C: CPU time during the loop; the rest of
// S is spent waiting, for fsync mostly).

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
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

// A table's rows as SQLite values, every column but the rowid alias `id`: the rows are copied as
// they are, so the harness follows the store's schema as it grows columns.
struct Rows {
    std::vector<std::string> columns;
    std::vector<std::vector<sqlite3_value*>> values;
    ~Rows() {
        for (auto& row : values)
            for (auto* v : row) sqlite3_value_free(v);
    }
    std::size_t column(const std::string& name) const {
        for (std::size_t i = 0; i < columns.size(); ++i)
            if (columns[i] == name) return i;
        throw std::runtime_error("no column " + name);
    }
};

void load(Db& src, const std::string& table, Rows& out) {
    sqlite3_stmt* info = src.prepare(("SELECT name FROM pragma_table_info('" + table + "') WHERE name <> 'id'").c_str());
    std::string list;
    while (sqlite3_step(info) == SQLITE_ROW) {
        out.columns.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(info, 0)));
        list += (list.empty() ? "" : ", ") + out.columns.back();
    }
    sqlite3_finalize(info);
    sqlite3_stmt* q = src.prepare(("SELECT " + list + " FROM " + table + " ORDER BY id").c_str());
    while (sqlite3_step(q) == SQLITE_ROW) {
        std::vector<sqlite3_value*> row;
        for (int i = 0; i < int(out.columns.size()); ++i) row.push_back(sqlite3_value_dup(sqlite3_column_value(q, i)));
        out.values.push_back(std::move(row));
    }
    sqlite3_finalize(q);
    if (out.values.empty()) throw std::runtime_error("no rows in " + table);
}

std::string insert_sql(const std::string& table, const Rows& rows, const std::string& conflict) {
    std::string names, marks;
    for (const auto& c : rows.columns) {
        names += (names.empty() ? "" : ", ") + c;
        marks += marks.empty() ? "?" : ", ?";
    }
    return "INSERT INTO " + table + " (" + names + ") VALUES (" + marks + ") " + conflict;
}

void bind_row(sqlite3_stmt* stmt, const std::vector<sqlite3_value*>& row) {
    for (int i = 0; i < int(row.size()); ++i) sqlite3_bind_value(stmt, i + 1, row[std::size_t(i)]);
}

void open_like_edgectl(Db& db) {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF");
}

int insights(const char* scored_path, const char* target_path, long batch, long commit) {
    Rows rows;
    {
        Db src(scored_path);
        load(src, "insights", rows);
    }
    const std::size_t item = rows.column("item_id"), model = rows.column("model"), version = rows.column("model_version");
    Db db(target_path);
    open_like_edgectl(db);
    sqlite3_stmt* add = db.prepare(insert_sql("insights", rows, "ON CONFLICT DO NOTHING").c_str());
    sqlite3_stmt* progress = db.prepare(
        "INSERT INTO score_progress (model, model_version, last_item_id) VALUES (?, ?, ?) "
        "ON CONFLICT (model, model_version) DO UPDATE SET last_item_id = excluded.last_item_id");

    double cpu = cpu_seconds();
    auto start = Clock::now();
    bool open = false;
    long in_tx = 0;
    const std::size_t n = rows.values.size();
    for (std::size_t at = 0; at < n; at += std::size_t(batch)) {
        if (!open) {
            db.exec("BEGIN IMMEDIATE");
            open = true;
        }
        std::size_t end = std::min(n, at + std::size_t(batch));
        for (std::size_t i = at; i < end; ++i) {
            bind_row(add, rows.values[i]);
            db.run(add);
        }
        const auto& last = rows.values[end - 1];
        sqlite3_bind_value(progress, 1, last[model]);
        sqlite3_bind_value(progress, 2, last[version]);
        sqlite3_bind_value(progress, 3, last[item]);
        db.run(progress);
        if ((in_tx += long(end - at)) >= commit) {
            db.exec("COMMIT");
            open = false;
            in_tx = 0;
        }
    }
    if (open) db.exec("COMMIT");
    double s = seconds_since(start);
    cpu = cpu_seconds() - cpu;
    sqlite3_finalize(add);
    sqlite3_finalize(progress);
    report(s, cpu, long(n));
    return 0;
}

int items(const char* source_path, const char* target_path, long commit, bool padded) {
    Rows rows;
    {
        Db src(source_path);
        load(src, "items", rows);
    }
    // With "padded", the source keys to bind instead of the stored ones.
    const std::size_t key = rows.column("source_key");
    std::vector<std::string> padded_keys;
    if (padded) {
        for (const auto& row : rows.values) {
            std::string k(reinterpret_cast<const char*>(sqlite3_value_text(row[key])), std::size_t(sqlite3_value_bytes(row[key])));
            auto colon = k.rfind(':');
            std::string ordinal = k.substr(colon + 1);
            padded_keys.push_back(k.substr(0, colon + 1) + std::string(12 - std::min<std::size_t>(12, ordinal.size()), '0') + ordinal);
        }
    }

    Db db(target_path);
    open_like_edgectl(db);
    sqlite3_stmt* add = db.prepare(insert_sql("items", rows, "ON CONFLICT (source_key) DO NOTHING").c_str());
    double cpu = cpu_seconds();
    auto start = Clock::now();
    long in_tx = 0;
    db.exec("BEGIN IMMEDIATE");
    for (std::size_t i = 0; i < rows.values.size(); ++i) {
        bind_row(add, rows.values[i]);
        if (padded)
            sqlite3_bind_text64(add, int(key) + 1, padded_keys[i].data(), padded_keys[i].size(), SQLITE_STATIC, SQLITE_UTF8);
        db.run(add);
        if (++in_tx >= commit) {
            db.exec("COMMIT");
            db.exec("BEGIN IMMEDIATE");
            in_tx = 0;
        }
    }
    db.exec("COMMIT");
    double s = seconds_since(start);
    cpu = cpu_seconds() - cpu;
    sqlite3_finalize(add);
    report(s, cpu, long(rows.values.size()));
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        std::string what = argc > 1 ? argv[1] : "";
        if (what == "insights" && argc == 6) return insights(argv[2], argv[3], std::atol(argv[4]), std::atol(argv[5]));
        if (what == "items" && (argc == 5 || (argc == 6 && std::string(argv[5]) == "padded")))
            return items(argv[2], argv[3], std::atol(argv[4]), argc == 6);
        std::fprintf(stderr, "usage: bench-sqlite insights SCORED.db TARGET.db BATCH COMMIT\n"
                             "       bench-sqlite items INGESTED.db TARGET.db COMMIT [padded]\n");
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-sqlite: %s\n", e.what());
        return 1;
    }
}
