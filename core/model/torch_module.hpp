#pragma once
// The contract between edgectl_core and the LibTorch module (edgectl_torch.so, built from
// torch_model.cpp). The module is dlopen()ed on first use so that commands that never run a model
// do not pay LibTorch's start-up (~0.4 s of relocations and static initialisers) and memory
// (~160 MiB). It exports one extern "C" function that returns a table of C++ function pointers;
// both sides are built by the same compiler against the same libstdc++ from this header, so C++
// types (std::string, std::unique_ptr<Model>) and exceptions (Error, VerifyError: header-only, so
// their typeinfo is matched by name across the boundary) pass through the table unchanged.

#include "model/model.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace edgectl {

/// Bump when TorchModuleApi, Model, Matrix or the error types change shape: a module built from
/// other sources is then refused instead of crashing.
inline constexpr int torch_module_abi = 2;

/// The file name of the module, as built and installed.
inline constexpr const char* torch_module_file = "edgectl_torch.so";

/// The module's entry point, looked up with dlsym.
inline constexpr const char* torch_module_entry = "edgectl_torch_module";

/// What the module provides. The functions throw edgectl::Error / VerifyError like the model.hpp
/// functions they implement.
struct TorchModuleApi {
    int abi;
    std::unique_ptr<Model> (*load_torchscript)(const std::string& bytes, std::string_view name);
    /// at::set_num_threads(threads) and one inter-op thread.
    void (*set_threads)(int threads);
    const char* (*torch_version)();
};

/// Where the module is looked for: $EDGECTL_TORCH_MODULE alone when it is set and not empty;
/// otherwise beside the running executable, then in ../lib/edgectl/ relative to its directory.
std::vector<std::filesystem::path> torch_module_candidates();

/// A loaded module: its dlopen handle (never closed: models and exceptions from it may outlive any
/// owner) and its table.
struct TorchModule {
    void* handle = nullptr;
    const TorchModuleApi* api = nullptr;
};

/// Loads the first candidate that exists (RTLD_NOW | RTLD_LOCAL) and checks its entry point and ABI.
/// Throws Error naming every path tried and the dlerror() of the one that failed.
TorchModule open_torch_module(const std::vector<std::filesystem::path>& candidates);

}  // namespace edgectl

extern "C" {
/// Defined in the module; returns its table (static storage).
const edgectl::TorchModuleApi* edgectl_torch_module();
}
