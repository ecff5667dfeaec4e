// bench-limit: the limits scripts/bench.sh holds `edgectl score` to, each one stage of score's
// pipeline run alone by edgectl_core's own code, and the product's defaults the scripts need.
//
//   bench-limit defaults                  prints export_level=L score_batch=B score_commit=C score_threads=T
//                                         receive_level=R (the lake's zstd level)
//   bench-limit batch STORE               prints batch=B: the items per batch score uses for the store's
//                                         active model at the default --batch (fewer for an image model)
//   bench-limit forward STORE N THREADS   the forward stage alone: N items of the store's active
//                                         model as input rows already built (records' or frames'),
//                                         through Model::forward, interpret() and the probabilities'
//                                         JSON, in score's batches
//   bench-limit decode STORE N            the reading of frames alone: the store's first N frames,
//                                         each read, checked against its digest, decoded and
//                                         preprocessed into a batch by the function score's reader
//                                         calls (stored_frame_input), on one thread as there
//   bench-limit write SCORED TARGET       the write stage alone: the insight rows `edgectl score`
//                                         left in SCORED, held in memory, written into TARGET (a copy
//                                         of the store before scoring) over edgectl's Db in
//                                         transactions of ScoreOptions::commit_rows
//   bench-limit rows STORE                export's reading alone: the rows `edgectl export` selects
//                                         by default, through the queries its plan runs, each column
//                                         read as its type is, and no line made of them
//   bench-limit mark STORE                export's marking alone: those rows marked by the code that
//                                         marks a volume's rows (mark_exported) in one transaction
//
// Each prints "seconds=S items=N": the timed part only (loading and warm-up are left out, as the
// start-up run subtracts them from score); decode selects the frames' rows before it starts timing.
// A limit does no more than its stage does in score, so
// score can never be faster than it: scripts/bench.sh fails when it is. rows and mark are parts of
// export's work that the tools export is compared with do not do: scripts/bench-export.sh adds them
// up to show what two cores leave for the rest.

#include "export/export.hpp"
#include "export/ledger.hpp"
#include "export/records.hpp"
#include "hub/receive.hpp"
#include "model/model.hpp"
#include "model/spec.hpp"
#include "package/registry.hpp"
#include "score/score.hpp"
#include "store/store.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace edgectl;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

int defaults() {
    std::printf("export_level=%d score_batch=%zu score_commit=%zu score_threads=%d receive_level=%d\n",
                ExportOptions{}.level, ScoreOptions{}.batch, ScoreOptions{}.commit_rows, ScoreOptions{}.threads,
                ReceiveOptions{}.level);
    return 0;
}

// The store's first active model (the one a benchmark store holds).
ActiveModel active_model(Store& store) {
    auto models = active_models(store);
    if (models.empty()) throw Error("no active model in " + store.root().string());
    return models.front();
}

// The items per batch score reads for a model at the default --batch.
std::size_t batch_of(const ModelSpec& spec) { return score_batch_items(spec, ScoreOptions{}.batch); }

int batch(const fs::path& root) {
    Store store = Store::open(root);
    std::printf("batch=%zu\n", batch_of(active_model(store).spec));
    return 0;
}

// Input rows as the reader stage hands them over: `items` rows of the model's input (standardised
// record values, or preprocessed frames, shaped as the model takes them) in score's batches, drawn
// from N(0, 1): the forward's cost does not depend on the values. A thousand frames' batches are
// gigabytes, so at most max_distinct values are distinct and the full batches come round again.
struct InputBatches {
    std::vector<Matrix> pool;  ///< distinct full batches
    std::size_t full = 0;      ///< full batches to run: pool[i % pool.size()]
    Matrix tail;               ///< the short last batch (0 rows: none)
};

InputBatches input_batches(const ModelSpec& spec, std::size_t items) {
    constexpr std::size_t max_distinct = std::size_t(64) << 20;
    const std::size_t width = spec.input_width(), rows = batch_of(spec);
    std::mt19937 random(42);
    std::normal_distribution<float> normal;
    auto make = [&](std::size_t n) {
        Matrix m{n, width, std::vector<float>(n * width), spec.input_shape()};
        for (auto& v : m.values)
            v = normal(random);
        return m;
    };
    InputBatches b;
    b.full = items / rows;
    std::size_t distinct = std::min(b.full, std::max<std::size_t>(1, max_distinct / (rows * width)));
    for (std::size_t i = 0; i < distinct; ++i)
        b.pool.push_back(make(rows));
    b.tail = make(items % rows);
    return b;
}

int forward(const fs::path& root, std::size_t items, int threads) {
    Store store = Store::open(root);
    const ActiveModel m = active_model(store);
    set_inference_threads(threads);
    fs::path file = m.dir / "model.pt";
    auto model = load_torchscript(read_file(file, std::size_t(4) << 30), file.string());  // as score loads it
    InputBatches batches = input_batches(m.spec, items);
    // Warm-up: score's start-up run pays its first batch too.
    model->forward(batches.pool.empty() ? batches.tail : batches.pool.front());
    std::size_t kept = 0;
    auto run = [&](const Matrix& input) {
        Matrix output = model->forward(input);
        for (std::size_t r = 0; r < output.rows; ++r) {
            Prediction p = interpret(m.spec, output.row(r));
            std::string json = p.probabilities.empty() ? std::string() : Json(p.probabilities).dump();
            kept += check_storable(p).ok() && json.size() < (std::size_t(1) << 30);
        }
    };
    auto start = Clock::now();
    for (std::size_t i = 0; i < batches.full; ++i)
        run(batches.pool[i % batches.pool.size()]);
    if (batches.tail.rows > 0) run(batches.tail);
    std::printf("seconds=%.6f items=%zu\n", since(start), kept);
    return 0;
}

int decode(const fs::path& root, std::size_t items) {
    Store store = Store::open(root);
    const ActiveModel m = active_model(store);
    if (m.spec.input_kind != InputKind::image) throw Error(m.name + " is not an image model");
    std::vector<std::pair<std::string, std::string>> frames;  // payload and digest, as the reader selects them
    Statement select(store.db(), "SELECT payload, image FROM items WHERE image IS NOT NULL ORDER BY id LIMIT ?");
    select.bind(1, std::int64_t(items));
    while (select.step())
        frames.emplace_back(select.column_text(0), select.column_text(1));
    const std::size_t width = m.spec.input_width(), rows = batch_of(m.spec);
    std::size_t kept = 0;
    auto start = Clock::now();
    for (std::size_t at = 0; at < frames.size(); at += rows) {
        Matrix input{0, width, {}, m.spec.input_shape()};  // a batch as the reader makes it
        input.values.resize(rows * width);
        for (std::size_t i = at; i < std::min(frames.size(), at + rows); ++i) {
            float* row = input.values.data() + input.rows * width;
            if (stored_frame_input(store, m.spec, frames[i].first, frames[i].second, row).ok()) ++input.rows;
        }
        kept += input.rows;
    }
    std::printf("seconds=%.6f items=%zu\n", since(start), kept);
    return 0;
}

// A table's rows held in memory as score holds a batch, compactly (every text in one arena: a million
// separately allocated strings would make binding them slower than score's), each value bound as
// score binds it: integers and reals as numbers, text without copying. Every column is copied, ids
// included, so the rows follow the schema as it grows columns.
struct Value {
    enum { null, integer, real, text } type = null;
    std::int64_t i = 0;
    double d = 0;
    std::size_t at = 0, size = 0;
};
struct Rows {
    std::vector<std::string> columns;
    std::vector<Value> values;
    std::string arena;
};

Rows load_rows(Db& db, const std::string& table) {
    Rows rows;
    Statement names(db, "SELECT name FROM pragma_table_info(?)");
    names.bind(1, table);
    std::string list;
    while (names.step()) {
        rows.columns.push_back(names.column_text(0));
        list += (list.empty() ? "typeof(" : ", typeof(") + rows.columns.back() + "), " + rows.columns.back();
    }
    Statement all(db, "SELECT " + list + " FROM " + table + " ORDER BY id");
    while (all.step())
        for (int c = 0; c < 2 * int(rows.columns.size()); c += 2) {
            Value v;
            std::string_view type = all.column_view(c);
            if (type == "integer") v = {Value::integer, all.column_int(c + 1), 0, 0, 0};
            if (type == "real") v = {Value::real, 0, all.column_double(c + 1), 0, 0};
            if (type == "text" || type == "blob") {
                std::string_view text = all.column_view(c + 1);
                v = {Value::text, 0, 0, rows.arena.size(), text.size()};
                rows.arena.append(text);
            }
            rows.values.push_back(v);
        }
    return rows;
}

std::string insert_sql(const std::string& table, const Rows& rows) {
    std::string names, marks;
    for (const auto& c : rows.columns) {
        names += (names.empty() ? "" : ", ") + c;
        marks += marks.empty() ? "?" : ", ?";
    }
    return "INSERT INTO " + table + " (" + names + ") VALUES (" + marks + ")";
}

void bind(Statement& add, int index, const Rows& rows, const Value& v) {
    if (v.type == Value::integer) add.bind(index, v.i);
    if (v.type == Value::real) add.bind(index, v.d);
    if (v.type == Value::text) add.bind_static(index, std::string_view(rows.arena).substr(v.at, v.size));
    if (v.type == Value::null) add.bind(index, std::nullopt);
}

int write(const fs::path& scored, const fs::path& target) {
    Rows rows;
    {
        Store from = Store::open(scored);
        rows = load_rows(from.db(), "insights");
    }
    const std::size_t width = rows.columns.size(), n = rows.values.size() / width;
    const std::size_t commit = ScoreOptions{}.commit_rows;
    std::optional<Store> store = Store::open(target);
    store->db().set_synchronous(Db::Sync::normal);  // as score() sets it
    auto start = Clock::now();
    {
        Statement add(store->db(), insert_sql("insights", rows));
        for (std::size_t at = 0; at < n; at += commit) {
            Transaction tx(store->db(), "bench.insights");
            for (std::size_t i = at; i < std::min(n, at + commit); ++i) {
                for (std::size_t c = 0; c < width; ++c)
                    bind(add, int(c) + 1, rows, rows.values[i * width + c]);
                add.run();
            }
            tx.commit();
        }
    }
    store.reset();  // closing checkpoints the log, as score's exit does
    std::printf("seconds=%.6f items=%zu\n", since(start), n);
    return 0;
}

// The categories an export includes by default, with the binds plan_volumes() gives their queries.
std::vector<Category> default_categories() {
    std::vector<Category> out;
    for (auto category : export_categories)
        if (ExportOptions{}.include.count(std::string(to_string(category)))) out.push_back(category);
    return out;
}

int rows(const fs::path& root) {
    Store store = Store::open(root);
    Db reader = Db::open_reader(root / "edgectl.db");  // as export's serialising thread reads
    auto start = Clock::now();
    std::int64_t max_insight = query_int(reader, "SELECT coalesce(max(id), 0) FROM insights");
    std::size_t n = 0, bytes = 0;
    for (auto category : default_categories()) {
        Statement select(reader, category_sql(category).select);
        select.bind(1, std::int64_t(0)).bind(2, query_int(reader, category_sql(category).max_id)).bind(3, max_insight);
        while (select.step()) {
            ++n;
            for (int c = 0; c < select.column_count(); ++c) {
                Statement::Type type = select.column_type(c);
                if (type == Statement::Type::integer) bytes += std::size_t(select.column_int(c) & 1);
                if (type == Statement::Type::real) bytes += select.column_double(c) > 0;
                if (type == Statement::Type::text || type == Statement::Type::blob)
                    bytes += select.column_view(c).size();
            }
        }
    }
    std::printf("seconds=%.6f items=%zu bytes=%zu\n", since(start), n, bytes);
    return 0;
}

int mark(const fs::path& root) {
    Store store = Store::open(root);
    Ledger l;
    l.seq = query_int(store.db(), "SELECT coalesce(max(seq), 0) + 1 FROM exports");
    l.max_insight_id = query_int(store.db(), "SELECT coalesce(max(id), 0) FROM insights");
    for (auto category : default_categories())
        l.plan["ranges"][std::string(to_string(category))] = {0, query_int(store.db(), category_sql(category).max_id)};
    auto start = Clock::now();
    mark_exported(store.db(), l, 0, "", "");  // the ledger has no row of this sequence: rows only
    double seconds = since(start);
    std::int64_t n = query_int(store.db(), "SELECT count(*) FROM insights WHERE export_seq = " + std::to_string(l.seq));
    std::printf("seconds=%.6f items=%lld\n", seconds, static_cast<long long>(n));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        std::vector<std::string> a(argv + 1, argv + argc);
        if (a.size() == 1 && a[0] == "defaults") return defaults();
        if (a.size() == 2 && a[0] == "batch") return batch(a[1]);
        if (a.size() == 4 && a[0] == "forward") return forward(a[1], std::stoul(a[2]), std::stoi(a[3]));
        if (a.size() == 3 && a[0] == "decode") return decode(a[1], std::stoul(a[2]));
        if (a.size() == 3 && a[0] == "write") return write(a[1], a[2]);
        if (a.size() == 2 && a[0] == "rows") return rows(a[1]);
        if (a.size() == 2 && a[0] == "mark") return mark(a[1]);
        std::fprintf(stderr, "usage: bench-limit defaults | batch STORE | forward STORE N THREADS | decode STORE N | "
                             "write SCORED TARGET | rows STORE | mark STORE\n");
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-limit: error: %s\n", e.what());
        return 1;
    }
}
