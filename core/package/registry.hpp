#pragma once
// The model registry: which versions are installed (models/<name>/<version>/ plus a row in
// `models`) and which one of each name is active. Activation is one transaction.

#include "model/spec.hpp"
#include "store/store.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace edgectl {

struct ModelVersion {
    std::string name, version, digest, imported_at;
    std::optional<std::string> signer;
    bool active = false;
    bool shadow = false;  ///< scores beside the active version (models shadow)
};

/// Every installed version, by name then version.
std::vector<ModelVersion> list_models(Db& db);

/// Makes name@version the active version of name (remembering the previous one for rollback).
/// Throws Error if it is not installed. `check`, when given, runs inside the activation's
/// transaction before anything changes, and refuses the activation by throwing. A version that was
/// name's shadow stops being one: it now scores as the active version.
void activate_model(Db& db, const StoreLock& lock, const std::string& name, const std::string& version,
                    const std::function<void()>& check = {});

/// Rolls name back to the version active before the current one; returns that version.
std::string rollback_model(Db& db, const StoreLock& lock, const std::string& name);

/// Removes an installed version that is not active: marks its registry row removed (the row stays,
/// as the lineage of the insights it made), then deletes its directory.
void remove_model(Store& store, const StoreLock& lock, const std::string& name, const std::string& version);

/// The active version of name, if any.
std::optional<std::string> active_version(Db& db, const std::string& name);

/// Makes name@version the shadow of name's active version: from the next score on, it scores every
/// item the active version scores, from the same input, its answers kept apart (docs/shadow.md).
/// It replaces a shadow name had. Throws Error if it is not installed, is the active version, if
/// name has no active version, or if it does not take the same input as the active version (the
/// same fields, or the same image input) or give the same kind of output.
void shadow_model(Db& db, const StoreLock& lock, const std::string& name, const std::string& version);

/// Stops name's shadow; returns the version that was it, if any.
std::optional<std::string> unshadow_model(Db& db, const StoreLock& lock, const std::string& name);

/// The shadow version of name, if any.
std::optional<std::string> shadow_version(Db& db, const std::string& name);

/// Why a version with spec `shadow` cannot score beside one with spec `active` from the same input.
Result<> shadow_compatible(const ModelSpec& active, const ModelSpec& shadow);

/// Semantic-version order (MAJOR.MINOR.PATCH, a pre-release sorts before its release): <0, 0, >0.
int compare_versions(const std::string& a, const std::string& b);

/// An active model as score uses it, or its shadow.
struct ActiveModel {
    std::string name, version, digest;
    ModelSpec spec;
    fs::path dir;  ///< models/<name>/<version>
};

/// The SQL condition on `items` that selects a model's kind of item: records for a feature model,
/// frames for an image model.
std::string_view items_of_kind(const ModelSpec& spec);

/// The active versions (only `name`'s when given), read once: a swap during a run does not change it.
std::vector<ActiveModel> active_models(Store& store, const std::string& name = {});

/// The shadow of an active model, read with it, if it has one.
std::optional<ActiveModel> shadow_of(Store& store, const ActiveModel& active);

/// Parses "NAME@VERSION"; throws a usage Error otherwise.
std::pair<std::string, std::string> parse_model_ref(const std::string& ref);

Json to_json(const std::vector<ModelVersion>& models);

}  // namespace edgectl
