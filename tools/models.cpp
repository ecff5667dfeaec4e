#include "cli.hpp"
#include "package/registry.hpp"
#include "score/shadow.hpp"

namespace edgectl::cli {
namespace {

// What models compare prints: agreement, anomaly rates, score differences, and the label confusion.
void say_comparison(const Globals& g, const ShadowComparison& c) {
    say(g, c.model + "@" + c.shadow + " (shadow) beside " + c.model + "@" + c.active + " (active), its last " +
               std::to_string(c.items) + " items (window " + std::to_string(c.window) + ")");
    if (c.items == 0) {
        say(g, "  no answers yet: the shadow answers from the next 'edgectl score' on");
        return;
    }
    say(g, "  agreement " + fixed(*c.agreement()) + " (" + std::to_string(c.agreeing) + " of " +
               std::to_string(c.items) + (c.kind == "classification" ? ", same label)" : ", same anomaly verdict)"));
    auto rate = [](std::int64_t n, std::int64_t of) { return of > 0 ? fixed(double(n) / double(of)) : "-"; };
    say(g, "  anomaly rate: active " + rate(c.active_anomalies, c.items - c.active_unanswered) + ", shadow " +
               rate(c.shadow_anomalies, c.items - c.shadow_failed));
    if (c.shadow_failed > 0 || c.active_unanswered > 0)
        say(g, "  unanswered: shadow " + std::to_string(c.shadow_failed) + " (NaN or infinity), active " +
                   std::to_string(c.active_unanswered));
    if (!c.differences.empty()) {
        std::string line = "  score difference (shadow - active):";
        for (auto [name, q] : {std::pair{"min", 0.0}, {"p05", 0.05}, {"p50", 0.5}, {"p95", 0.95}, {"max", 1.0}})
            line += std::string(" ") + name + " " + fixed(*c.difference_quantile(q));
        say(g, line);
    }
    if (c.confusion.empty()) return;
    say(g, "  labels (active -> shadow):");
    for (const auto& [active, row] : c.confusion)
        for (const auto& [shadow, n] : row)
            say(g, "    " + active + " -> " + shadow + ": " + std::to_string(n));
}

}  // namespace

void add_models(CLI::App& app, Globals& g, Commands& commands) {
    auto* cmd = app.add_subcommand("models", "the model registry");
    cmd->require_subcommand(1);

    auto* list = cmd->add_subcommand("list", "list installed model versions");
    commands.add(list, [&g] {
        Store store = open_store(g);
        auto models = list_models(store.db());
        if (g.json) {
            print_json(to_json(models));
            return Exit::ok;
        }
        if (models.empty()) say(g, "no models installed");
        for (const auto& m : models)
            say(g, (m.active ? "* " : "  ") + m.name + "@" + m.version + "  imported " + m.imported_at +
                       "  sha256:" + m.digest.substr(0, 16) + "  " +
                       (m.signer ? "signed by " + *m.signer : "unsigned") + (m.shadow ? "  shadow" : ""));
        return Exit::ok;
    });

    struct Activate {
        std::string ref;
        std::optional<double> min_agreement;
        std::int64_t window = default_compare_window;
    };
    auto a = std::make_shared<Activate>();
    auto* activate = cmd->add_subcommand("activate", "make NAME@VERSION the active version of NAME");
    activate->add_option("MODEL", a->ref, "NAME@VERSION")->required();
    activate->add_option("--min-agreement", a->min_agreement,
                         "only if NAME@VERSION is the shadow and agrees with the active version on at least this "
                         "share (0 to 1) of its latest answers");
    activate->add_option("--window", a->window, "the shadow's latest N answers that --min-agreement looks at")
        ->default_val(default_compare_window);
    commands.add(activate, [&g, a] {
        auto [name, version] = parse_model_ref(a->ref);
        Store store = open_store(g);
        auto lock = store.lock("import-model");
        Json out = {{"name", name}, {"version", version}, {"active", true}};
        if (a->min_agreement) {
            ShadowComparison c = promote_shadow(store.db(), lock, name, version, *a->min_agreement, a->window);
            out["comparison"] = to_json(c);
            if (!g.json)
                say(g, name + "@" + version + " agrees with " + name + "@" + c.active + " on " + fixed(*c.agreement()) +
                           " of its last " + std::to_string(c.items) + " items (at least " + fixed(*a->min_agreement) +
                           " asked)");
        } else {
            activate_model(store.db(), lock, name, version);
        }
        if (g.json)
            print_json(out);
        else
            say(g, name + "@" + version + " is now active");
        return Exit::ok;
    });

    auto shadow_ref = std::make_shared<std::string>();
    auto* shadow = cmd->add_subcommand("shadow", "make NAME@VERSION score beside the active version of NAME, "
                                                 "its answers kept apart, to compare them");
    shadow->add_option("MODEL", *shadow_ref, "NAME@VERSION")->required();
    commands.add(shadow, [&g, shadow_ref] {
        auto [name, version] = parse_model_ref(*shadow_ref);
        Store store = open_store(g);
        auto lock = store.lock("import-model");
        shadow_model(store.db(), lock, name, version);
        if (g.json)
            print_json({{"name", name}, {"version", version}, {"shadow", true}});
        else
            say(g, name + "@" + version + " now scores beside " + name + "@" +
                       active_version(store.db(), name).value() +
                       " from the next 'edgectl score' on; compare them with 'edgectl models compare " + name + "'");
        return Exit::ok;
    });

    auto unshadowed = std::make_shared<std::string>();
    auto* unshadow = cmd->add_subcommand("unshadow", "stop NAME's shadow (its answers so far stay)");
    unshadow->add_option("NAME", *unshadowed, "model name")->required();
    commands.add(unshadow, [&g, unshadowed] {
        Store store = open_store(g);
        auto lock = store.lock("import-model");
        auto version = unshadow_model(store.db(), lock, *unshadowed);
        if (g.json)
            print_json({{"name", *unshadowed}, {"version", version ? Json(*version) : Json()}, {"shadow", false}});
        else
            say(g, version ? *unshadowed + "@" + *version + " no longer scores as a shadow"
                           : *unshadowed + " has no shadow");
        return Exit::ok;
    });

    struct Compare {
        std::string ref;
        std::int64_t window = default_compare_window;
    };
    auto c = std::make_shared<Compare>();
    auto* compare = cmd->add_subcommand("compare", "compare NAME's shadow with its active version on the shadow's "
                                                   "latest answers");
    compare->add_option("MODEL", c->ref, "NAME, or NAME@VERSION for a version that was the shadow")->required();
    compare->add_option("--window", c->window, "the shadow's latest N answers")->default_val(default_compare_window);
    commands.add(compare, [&g, c] {
        std::string name = c->ref;
        std::optional<std::string> version;
        if (c->ref.find('@') != std::string::npos) std::tie(name, version) = parse_model_ref(c->ref);
        Store store = open_store(g);
        ShadowComparison result = compare_shadow(store.db(), name, version, c->window);
        if (g.json)
            print_json(to_json(result));
        else
            say_comparison(g, result);
        return Exit::ok;
    });

    auto model = std::make_shared<std::string>();
    auto* rollback = cmd->add_subcommand("rollback", "make the previously active version of NAME active again");
    rollback->add_option("NAME", *model, "model name")->required();
    commands.add(rollback, [&g, model] {
        Store store = open_store(g);
        auto lock = store.lock("import-model");
        std::string version = rollback_model(store.db(), lock, *model);
        if (g.json)
            print_json({{"name", *model}, {"version", version}, {"active", true}});
        else
            say(g, "rolled back: " + *model + "@" + version + " is now active");
        return Exit::ok;
    });

    auto victim = std::make_shared<std::string>();
    auto* remove = cmd->add_subcommand("remove", "remove an installed version that is not active");
    remove->add_option("MODEL", *victim, "NAME@VERSION")->required();
    commands.add(remove, [&g, victim] {
        auto [name, version] = parse_model_ref(*victim);
        Store store = open_store(g);
        auto lock = store.lock("import-model");
        remove_model(store, lock, name, version);
        if (g.json)
            print_json({{"name", name}, {"version", version}, {"removed", true}});
        else
            say(g, "removed " + name + "@" + version);
        return Exit::ok;
    });
}

}  // namespace edgectl::cli
