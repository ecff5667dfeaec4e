// bench-forward: limit (a) of `edgectl score` in scripts/bench.sh.
//
//   bench-forward MODEL.pt WIDTH ITEMS BATCH THREADS
//
// Bare TorchScript forward throughput: ITEMS random float32 rows of WIDTH features, already in
// memory as [BATCH, WIDTH] tensors, run through the model with the settings edgectl uses
// (core/model/torch_model.cpp, core/model/loader.cpp): OMP_WAIT_POLICY=PASSIVE unless set,
// at::set_num_threads(THREADS), one inter-op thread, openblas_set_num_threads(THREADS) when the BLAS
// is OpenBLAS, TorchScript's simple (not profiling) executor, eval(), c10::InferenceMode. Only the loop of forward
// calls is timed. Prints: "seconds=S cpu_seconds=C items=N items_per_s=R openblas=0|1 omp_passive=0|1" (C: CPU time of
// all threads during the loop; openblas=1: OpenBLAS's pool was bounded too; omp_passive=1:
// OpenMP's idle workers sleep). Links LibTorch alone, not edgectl's core.

#include <ATen/Parallel.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>

#include <dlfcn.h>
#include <unistd.h>

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

// OpenBLAS runs a pool of its own (a thread per core) that at::set_num_threads does not bound;
// edgectl bounds it with --threads, so the limit must too, or the two would not use the same
// cores. The symbol exists only when the BLAS LibTorch links is OpenBLAS; this harness links
// LibTorch directly, so its dependencies are in the global scope that RTLD_DEFAULT searches.
bool bound_openblas(int threads) {
    void* set = dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
    if (set) reinterpret_cast<void (*)(int)>(set)(threads);
    return set != nullptr;
}

int forward(const char* model_path, long width, long items, long batch, int threads) {
    at::set_num_threads(threads);
    at::set_num_interop_threads(1);
    bool openblas = bound_openblas(threads);
    torch::jit::getProfilingMode() = false;  // as core/model/torch_model.cpp
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
    const char* wait_policy = std::getenv("OMP_WAIT_POLICY");
    std::printf("openblas=%d omp_passive=%d\n", openblas ? 1 : 0,
                wait_policy && (wait_policy[0] == 'p' || wait_policy[0] == 'P') ? 1 : 0);
    std::fprintf(stderr, "checksum %g\n", sink);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    // edgectl sets OMP_WAIT_POLICY=PASSIVE unless the operator did, before LibTorch's libgomp is
    // loaded (core/model/loader.cpp). This harness links LibTorch, so libgomp has read its
    // environment before main: run again with the variable set.
    if (!std::getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
        execv("/proc/self/exe", argv);
        std::fprintf(stderr, "bench-forward: cannot re-run itself with OMP_WAIT_POLICY set\n");
        return 1;
    }
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
