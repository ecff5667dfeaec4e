// The one translation unit that includes LibTorch. Everything torch-specific (loading, threads,
// inference mode, c10::Error) stays here, behind the Model interface of model.hpp.

#include "model.hpp"

#include "error.hpp"
#include "fs.hpp"

#include <torch/script.h>
#include <torch/version.h>
#include <ATen/Parallel.h>

#include <sstream>

namespace edgectl {
namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

class TorchScriptModel final : public Model {
public:
    TorchScriptModel(torch::jit::Module module, std::string name) : module_(std::move(module)), name_(std::move(name)) {
        module_.eval();
    }

    Matrix forward(const Matrix& input) override {
        c10::InferenceMode guard;
        try {
            // from_blob borrows the batch; the model never writes to its input in inference mode.
            auto tensor = torch::from_blob(const_cast<float*>(input.values.data()),
                                           {std::int64_t(input.rows), std::int64_t(input.cols)}, torch::kFloat32);
            torch::jit::IValue out = module_.forward({tensor});
            if (!out.isTensor()) throw Error("model '" + name_ + "' returned " + out.tagKind() + ", not a tensor");
            auto result = out.toTensor().to(torch::kFloat32).contiguous();
            if (result.dim() == 1) result = result.unsqueeze(1);
            if (result.dim() != 2 || result.size(0) != std::int64_t(input.rows))
                throw Error("model '" + name_ + "' returned a tensor of shape " + shape(result) + " for a batch of " +
                            std::to_string(input.rows));
            Matrix m{input.rows, std::size_t(result.size(1)), {}};
            m.values.assign(result.data_ptr<float>(), result.data_ptr<float>() + result.numel());
            return m;
        } catch (const c10::Error& e) {
            throw Error("model '" + name_ + "' failed: " + first_line(e.what_without_backtrace()));
        }
    }

private:
    static std::string shape(const torch::Tensor& t) {
        std::string s = "[";
        for (std::int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
        return s + "]";
    }
    torch::jit::Module module_;
    std::string name_;
};

} // namespace

std::unique_ptr<Model> load_torchscript(const std::string& bytes, std::string_view name) {
    try {
        std::istringstream in(bytes);
        auto module = torch::jit::load(in, torch::kCPU);
        return std::make_unique<TorchScriptModel>(std::move(module), std::string(name));
    } catch (const c10::Error& e) {
        throw VerifyError("'" + std::string(name) + "' is not a loadable TorchScript model: " +
                          first_line(e.what_without_backtrace()));
    }
}

std::unique_ptr<Model> load_torchscript_file(const std::filesystem::path& path) {
    return load_torchscript(read_file(path, std::size_t(4) << 30), path.string());
}

void set_inference_threads(int threads) {
    static bool done = false;
    if (done) return;
    done = true;
    at::set_num_threads(threads);
    at::set_num_interop_threads(1);
}

std::string torch_version() { return TORCH_VERSION; }

} // namespace edgectl
