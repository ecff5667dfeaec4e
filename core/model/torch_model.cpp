// The one translation unit that includes LibTorch. Everything torch-specific (loading, threads,
// inference mode, c10::Error) stays here, behind the Model interface of model.hpp. It is built
// alone into the module edgectl_torch.so, which model/loader.cpp dlopens on first use; its only
// export is the table of torch_module.hpp. It uses nothing of edgectl_core but header-only types.

#include "model/torch_module.hpp"

#include "util/error.hpp"

#include <ATen/Parallel.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>
#include <torch/version.h>

#include <sstream>

namespace edgectl {
namespace {

// The line of a LibTorch exception that says what went wrong: the first of a c10::Error (a backtrace
// follows), the last of anything else (the TorchScript interpreter rethrows an operator's failure as
// a std::runtime_error whose earlier lines are the script's call stack).
std::string reason(const std::exception& e) {
    if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) {
        std::string text = c10_error->what_without_backtrace();
        return text.substr(0, text.find('\n'));
    }
    std::string text = e.what();
    while (!text.empty() && text.back() == '\n')
        text.pop_back();
    return text.substr(text.rfind('\n') + 1);  // npos + 1 == 0: a single line is kept whole
}

class TorchScriptModel final : public Model {
  public:
    TorchScriptModel(torch::jit::Module module, std::string name) : module_(std::move(module)), name_(std::move(name)) {
        module_.eval();
    }

    Matrix forward(const Matrix& input) override {
        c10::InferenceMode guard;
        try {
            // from_blob borrows the batch; the model never writes to its input in inference mode.
            std::vector<std::int64_t> sizes = {std::int64_t(input.rows)};
            if (input.shape.empty())
                sizes.push_back(std::int64_t(input.cols));
            else
                sizes.insert(sizes.end(), input.shape.begin(), input.shape.end());
            auto tensor = torch::from_blob(const_cast<float*>(input.values.data()), sizes, torch::kFloat32);
            // Frames go in channels-last: LibTorch's CPU convolutions ran a mobilenet_v3_small
            // batch about 40 % faster that way than from the NCHW the input is laid out in, with
            // outputs within 3e-6 (docs/benchmarks-images.md).
            if (tensor.dim() == 4) tensor = tensor.contiguous(at::MemoryFormat::ChannelsLast);
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
        } catch (const Error&) { throw; } catch (const std::exception& e) {
            throw Error("model '" + name_ + "' failed: " + reason(e));
        }
    }

  private:
    static std::string shape(const torch::Tensor& t) {
        std::string s = "[";
        for (std::int64_t i = 0; i < t.dim(); ++i)
            s += (i ? ", " : "") + std::to_string(t.size(i));
        return s + "]";
    }
    torch::jit::Module module_;
    std::string name_;
};

// TorchScript's profiling executor spends its first runs recording shapes and then re-optimises the
// graph: ~30 ms of a score run's fixed cost on the sample model, for specialisations that pay off
// on GPUs and in training, not in a CPU forward of a small network (throughput was the same or
// better without it, docs/benchmarks.md). The simple executor optimises once; results are the same.
void use_simple_executor() {
    static const bool done = [] {
        torch::jit::getProfilingMode() = false;
        return true;
    }();
    (void)done;
}

std::unique_ptr<Model> load_bytes(const std::string& bytes, std::string_view name) {
    use_simple_executor();
    try {
        std::istringstream in(bytes);
        auto module = torch::jit::load(in, torch::kCPU);
        return std::make_unique<TorchScriptModel>(std::move(module), std::string(name));
    } catch (const std::exception& e) {
        throw VerifyError("'" + std::string(name) + "' is not a loadable TorchScript model: " + reason(e));
    }
}

void set_threads(int threads) {
    try {
        at::set_num_threads(threads);
        at::set_num_interop_threads(1);
    } catch (const c10::Error& e) { throw Error("cannot set LibTorch's thread counts: " + reason(e)); }
}

const char* version() { return TORCH_VERSION; }

constexpr TorchModuleApi api{torch_module_abi, load_bytes, set_threads, version};

}  // namespace
}  // namespace edgectl

extern "C" const edgectl::TorchModuleApi* edgectl_torch_module() { return &edgectl::api; }
