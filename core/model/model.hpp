#pragma once
// The small interface through which the rest of edgectl sees a model. Only torch_model.cpp includes
// LibTorch headers (slow to compile, and TorchScript is deprecated upstream: the format stays
// behind this seam). It is built as a separate module, edgectl_torch.so, that these functions load
// on first use (model/loader.cpp, torch_module.hpp): commands that never run a model never load
// LibTorch.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace edgectl {

/// A dense row-major float32 matrix: the batch going into a model and what comes out.
struct Matrix {
    std::size_t rows = 0;
    std::size_t cols = 0;
    std::vector<float> values;
    /// The shape of one row as the model takes it, e.g. {3, 224, 224} for a frame (its product is
    /// cols); empty: {cols}.
    std::vector<std::int64_t> shape = {};
    const float* row(std::size_t r) const { return values.data() + r * cols; }
};

class Model {
  public:
    virtual ~Model() = default;
    /// Runs the model on a batch [rows, cols] (or [rows, shape...]) and returns its output
    /// [rows, k]. Throws Error
    /// (exit 1) if the model fails or returns something that is not a 2-D float tensor.
    virtual Matrix forward(const Matrix& input) = 0;
};

/// Loads a TorchScript archive from bytes (name is used in messages); eval mode, CPU. Throws
/// VerifyError if the bytes are not a loadable TorchScript module, Error if the LibTorch module
/// cannot be loaded.
std::unique_ptr<Model> load_torchscript(const std::string& bytes, std::string_view name);

/// Starts loading the LibTorch module on a background thread and returns at once, so that a caller
/// can open its store meanwhile; the next load_torchscript waits for it (and reports its failure).
/// Calling it again, or after a load, does nothing.
void preload_torch();

/// Whether this process has started loading the LibTorch module. LibTorch's static destructors
/// take ~0.06 s at exit (its operator registry, and the hundreds of libraries it brings): a process
/// that has committed and closed everything may skip them with _exit (tools/main.cpp).
bool torch_module_started();

/// Bounds inference to `threads` compute threads: LibTorch's intra-op pool, OpenBLAS's pool when
/// the BLAS is OpenBLAS, and one inter-op thread. The first call wins; call it before the first
/// forward. Does not load the module: if it is not loaded yet, the setting is applied when it is.
void set_inference_threads(int threads);

/// The LibTorch version the module was built against (loads the module).
std::string torch_version();

}  // namespace edgectl
