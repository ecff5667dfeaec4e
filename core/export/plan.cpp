#include "export/plan.hpp"

#include "util/error.hpp"

#include <cerrno>
#include <cstring>
#include <sys/statvfs.h>
#include <unistd.h>

namespace edgectl {

void finish_payload(Store& store, Volume& v, bool with_summary) {
    auto write = [&](const std::string& file, const std::string& line) {
        auto it = v.files.find(file);
        if (it == v.files.end()) it = v.files.emplace(file, StagedFile(v.dir->path(), file, v.level)).first;
        it->second.write_line(line);
    };
    Statement model(store.db(), "SELECT digest, signer, imported_at, spec FROM models WHERE name = ? AND version = ?");
    for (const auto& [name, version] : v.models) {
        model.bind(1, name).bind(2, version);
        if (model.step())
            write("data/models.ndjson", Json{{"site", store.site()},
                                             {"model", name},
                                             {"model_version", version},
                                             {"digest", model.column_text(0)},
                                             {"signer", optional_text(model, 1)},
                                             {"imported_at", model.column_text(2)},
                                             {"spec", Json::parse(model.column_view(3))}}
                                            .dump());
        model.reset();
    }
    if (with_summary)
        for (const auto& [k, n] : v.summary)
            write("data/summary.ndjson", Json{{"site", store.site()},
                                              {"model", k.model},
                                              {"model_version", k.version},
                                              {"label", k.label.empty() ? Json() : Json(k.label)},
                                              {"hour", k.hour},
                                              {"insights", n.first},
                                              {"anomalies", n.second}}
                                             .dump());
    for (auto& [name, file] : v.files)
        v.payload.push_back(file.finish());
    for (const auto& [digest, frame] : v.frames)
        v.payload.push_back(frame);
}

std::optional<BagFile> Volume::new_frame(Category category, const RowLines& row) {
    if (row.image.empty() || images == ImageSelection::none || frames.count(row.image)) return std::nullopt;
    if (images == ImageSelection::anomalies && category != Category::anomalies) return std::nullopt;
    if (category == Category::quarantine) return std::nullopt;
    // fits() asks first, then add() for the same row.
    if (last_frame_ && last_frame_->first == row.image) return last_frame_->second;
    if (!frame_of_) frame_of_.emplace(store_->db(), "SELECT format, bytes FROM images WHERE digest = ?");
    frame_of_->bind(1, row.image);
    if (!frame_of_->step())
        throw Error("item of " + std::string(to_string(category)) + " row " + std::to_string(row.id) + " names frame " +
                    row.image + ", which the store does not hold");
    BagFile f{bag_image_path(row.image, frame_of_->column_view(0)), row.image, std::uint64_t(frame_of_->column_int(1))};
    frame_of_->reset();
    last_frame_.emplace(row.image, f);
    return f;
}

std::string_view to_string(ImageSelection images) {
    switch (images) {
    case ImageSelection::none: return "";
    case ImageSelection::anomalies: return "anomalies";
    case ImageSelection::all: return "all";
    }
    return "";
}

ImageSelection planned_images(const Ledger& l) {
    bool included = false;
    for (const auto& i : l.plan.value("include", Json::array()))
        included = included || i == "images";
    if (!included) return ImageSelection::none;
    return l.plan.value("images", std::string("anomalies")) == "all" ? ImageSelection::all : ImageSelection::anomalies;
}

std::uint64_t free_bytes(const fs::path& dir) {
    struct statvfs st {};
    if (::statvfs(dir.c_str(), &st) != 0)
        throw Error("cannot read the free space of '" + dir.string() + "': " + std::strerror(errno));
    return std::uint64_t(st.f_bavail) * st.f_frsize;
}

void check_target(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw Error("export target '" + dir.string() + "' does not exist or is not a directory");
    if (::access(dir.c_str(), W_OK) != 0)
        throw Error("cannot write to export target '" + dir.string() + "': " + std::strerror(errno));
}

Planned plan_volumes(Store& store, const ExportOptions& o, const fs::path& target) {
    Db& db = store.db();
    Planned p;
    p.max_insight_id = query_int(db, "SELECT coalesce(max(id), 0) FROM insights");
    std::uint64_t space = free_bytes(target), used = 0;
    // The next volume's budget: the volume limit, within what is left on the disk.
    auto next_budget = [&]() -> std::uint64_t {
        std::uint64_t reserve = (p.volumes.size() + 1) * sidecar_reserve;
        std::uint64_t left = space > used + reserve ? space - used - reserve : 0;
        return o.max_bytes ? std::min(o.max_bytes, left) : left;
    };
    auto open_volume = [&]() -> Volume* {
        std::uint64_t budget = next_budget();
        if (budget < min_volume_bytes) return nullptr;
        // The first volume is staged as it is planned (most exports have just one); the others
        // only count, and are staged one at a time when they are written.
        if (!o.dry_run && p.volumes.empty())
            p.volumes.push_back(std::make_unique<Volume>(store, budget, o.level, o.images()));
        else
            p.volumes.push_back(
                std::make_unique<Volume>(Unstaged{&store, p.max_insight_id}, budget, o.level, o.images()));
        return p.volumes.back().get();
    };
    // The rows of each category included, up to the last there is now.
    std::vector<RowQuery> queries;
    for (auto category : export_categories)
        if (o.include.count(std::string(to_string(category))))
            queries.push_back({category,
                               category_sql(category).select,
                               {0, query_int(db, category_sql(category).max_id), p.max_insight_id}});
    std::vector<std::int64_t> last(queries.size(), 0);  // the last row planned of each
    std::optional<std::size_t> out_of_space;            // the query whose rows found no room
    Volume* v = nullptr;
    {
        SerialisedRows rows(store, queries);
        while (!out_of_space) {
            const LineBatch* batch = rows.next();
            if (!batch) break;
            for (std::size_t i = 0; i < batch->size && !out_of_space; ++i) {
                const RowLines& row = batch->rows[i];
                if (!v && !(v = open_volume())) {
                    out_of_space = batch->query;
                    break;
                }
                if (!v->fits(batch->category, row) && !v->empty()) {
                    used += v->estimate() + 16384;  // the full volume, closed
                    v->close_plan(o.dry_run);
                    if (!(v = open_volume())) {
                        out_of_space = batch->query;
                        break;
                    }
                }
                if (!v->fits(batch->category, row)) {  // not even in an empty volume
                    if (o.max_bytes && v->budget == o.max_bytes)
                        throw Error("a " + std::string(to_string(batch->category)) + " record (id " +
                                    std::to_string(row.id) + ") is larger than --max-bytes allows");
                    out_of_space = batch->query;
                    break;
                }
                v->add(batch->category, row, last[batch->query]);
                last[batch->query] = row.id;
            }
        }
    }
    // What is left for later: the rest of the query that ran out of room, and the queries after it.
    for (std::size_t q = out_of_space.value_or(queries.size()); q < queries.size(); ++q) {
        Statement left(db, "SELECT coalesce(" + category_sql(queries[q].category).records + ", 0) FROM (" +
                               queries[q].sql + ")");
        left.bind(1, last[q]).bind(2, queries[q].binds[1]).bind(3, p.max_insight_id);
        p.left_pending += left.step() ? left.column_int(0) : 0;
    }
    if (!p.volumes.empty() && p.volumes.back()->empty()) p.volumes.pop_back();
    if (!p.volumes.empty()) p.volumes.back()->close_plan(o.dry_run);
    return p;
}

std::unique_ptr<Volume> restage(Store& store, const Ledger& l, int level) {
    bool complete = l.state == ExportState::complete;
    std::set<std::string> include;
    for (const auto& i : l.plan.value("include", Json::array()))
        include.insert(i.get<std::string>());
    const Json ranges = l.plan.value("ranges", Json::object());
    auto v = std::make_unique<Volume>(store, 0, level, planned_images(l));
    std::vector<RowQuery> queries;
    std::vector<std::int64_t> previous;  // the row before each query's first
    for (auto category : export_categories) {
        std::string name(to_string(category));
        if (!include.count(name) || (!complete && !ranges.contains(name))) continue;
        const CategorySql& sql = category_sql(category);
        if (complete) {
            queries.push_back({category, sql.resend, {l.seq}});
            previous.push_back(0);
        } else {
            std::int64_t lo = ranges[name][0].get<std::int64_t>(), hi = ranges[name][1].get<std::int64_t>();
            queries.push_back({category, sql.select, {lo, hi, l.max_insight_id}});
            previous.push_back(lo);
        }
    }
    SerialisedRows rows(store, queries);
    while (const LineBatch* batch = rows.next())
        for (std::size_t i = 0; i < batch->size; ++i) {
            v->add(batch->category, batch->rows[i], previous[batch->query]);
            previous[batch->query] = batch->rows[i].id;
        }
    finish_payload(store, *v, include.count("summary") > 0);
    return v;
}

bool matches_plan(const Volume& v, const Ledger& l) {
    // A volume staged when it was planned recorded its payload's digest; one planned unstaged
    // recorded its counts, which are enough: ids only grow, and no row changes once written, so
    // the rows of its ranges can only have been deleted since (by purge).
    if (l.plan.contains("manifest_sha256"))
        return sha256_hex(bag_manifest(v.payload)) == l.plan["manifest_sha256"].get<std::string>();
    return Json(v.counts) == l.counts;
}

void Volume::start_counting() {
    if (dir) {
        for (auto& [name, file] : files) {
            file.flush(true);
            read_zstd_chunks(staged_frames(dir->path(), name), chunk_bytes,
                             [&](std::string_view chunk) { counter.feed(chunk); });
        }
    } else {
        // The same bytes in the same chunks as reading the staged files would give: each payload
        // file (in name order) is its lines, category by category, in id order.
        ExportRecords records(unstaged.store->site());
        for (const auto& name : file_names) {
            std::string chunk;
            for (auto category : export_categories) {
                std::string category_name(to_string(category));
                if (!ranges.contains(category_name)) continue;
                Statement rows(unstaged.store->db(), category_sql(category).select);
                rows.bind(1, ranges[category_name][0].get<std::int64_t>());
                rows.bind(2, ranges[category_name][1].get<std::int64_t>());
                rows.bind(3, unstaged.max_insight_id);
                while (rows.step())
                    for (const auto& [file, line] : serialise(category, rows, records, unstaged.store->site()).lines) {
                        if (file != name) continue;
                        chunk += line;
                        chunk += '\n';
                        while (chunk.size() >= chunk_bytes) {
                            counter.feed(std::string_view(chunk).substr(0, chunk_bytes));
                            chunk.erase(0, chunk_bytes);
                        }
                    }
            }
            if (!chunk.empty()) counter.feed(chunk);
        }
    }
    counting = true;
}

}  // namespace edgectl
