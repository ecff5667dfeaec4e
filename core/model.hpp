#pragma once
// The small interface through which the rest of edgectl sees a model. Only torch_model.cpp includes
// LibTorch headers (slow to compile, and TorchScript is deprecated upstream: the format stays
// behind this seam).

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
    const float* row(std::size_t r) const { return values.data() + r * cols; }
};

class Model {
public:
    virtual ~Model() = default;
    /// Runs the model on a batch [rows, cols] and returns its output [rows, k]. Throws Error
    /// (exit 1) if the model fails or returns something that is not a 2-D float tensor.
    virtual Matrix forward(const Matrix& input) = 0;
};

/// Loads a TorchScript archive from bytes (name is used in messages); eval mode, CPU. Throws
/// VerifyError if the bytes are not a loadable TorchScript module.
std::unique_ptr<Model> load_torchscript(const std::string& bytes, std::string_view name);
std::unique_ptr<Model> load_torchscript_file(const std::filesystem::path& path);

/// Sets LibTorch's intra-op and inter-op thread counts; call once, before the first forward.
void set_inference_threads(int threads);

/// The LibTorch version this binary was built against.
std::string torch_version();

} // namespace edgectl
