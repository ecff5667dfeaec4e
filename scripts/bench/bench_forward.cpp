// bench-forward: limit (a) of `edgectl score` in scripts/bench.sh.
//
//   bench-forward MODEL.pt WIDTH ITEMS BATCH THREADS
//
// Bare TorchScript forward throughput: ITEMS random float32 rows of WIDTH features, already in
// memory as [BATCH, WIDTH] tensors, run through the model with the settings of
// core/torch_model.cpp (at::set_num_threads(THREADS), one inter-op thread, eval(),
// c10::InferenceMode). Only the loop of forward calls is timed. Prints one line:
// "seconds=S cpu_seconds=C items=N items_per_s=R" (C: CPU time of all threads during the loop).
// Links LibTorch alone, not edgectl's core.

#include <torch/script.h>
#include <ATen/Parallel.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <vector>

#include "timing.hpp"

namespace {

using bench::Clock;
using bench::cpu_seconds;
using bench::report;
using bench::seconds_since;

int forward(const char* model_path, long width, long items, long batch, int threads) {
    at::set_num_threads(threads);
    at::set_num_interop_threads(1);
    torch::jit::Module module = torch::jit::load(model_path, torch::kCPU);
    module.eval();
    c10::InferenceMode guard;
    torch::manual_seed(42);
    std::vector<torch::Tensor> batches;
    for (long done = 0; done < items; done += batch)
        batches.push_back(torch::randn({std::min(batch, items - done), width}, torch::kFloat32).contiguous());
    // One untimed warm-up pass (edgectl's first batch pays the same, inside its run).
    module.forward({batches.front()});
    double sink = 0;
    double cpu = cpu_seconds();
    auto start = Clock::now();
    for (const auto& input : batches) {
        torch::Tensor out = module.forward({input}).toTensor();
        sink += out.data_ptr<float>()[0];
    }
    double s = seconds_since(start);
    report(s, cpu_seconds() - cpu, items);
    std::fprintf(stderr, "checksum %g\n", sink);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        if (argc == 6)
            return forward(argv[1], std::atol(argv[2]), std::atol(argv[3]), std::atol(argv[4]), std::atoi(argv[5]));
        std::fprintf(stderr, "usage: bench-forward MODEL.pt WIDTH ITEMS BATCH THREADS\n");
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-forward: %s\n", e.what());
        return 1;
    }
}
