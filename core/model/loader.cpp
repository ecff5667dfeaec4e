// model.hpp's functions, forwarded to the LibTorch module (torch_module.hpp), which is dlopen()ed
// on first use so that commands that never run a model never pay for LibTorch.
//
// The module is loaded once per process, on a std::async thread so that preload_torch() can overlap
// the load (~0.4 s) with other work; every caller waits on the same shared_future and sees the same
// module or the same Error. At exit the future's destructor joins a load still in progress (unless main()
// leaves by _exit, see torch_module_started). The
// handle is never closed: models and exceptions made by the module may live until exit.
//
// set_inference_threads() does not force the load (score calls it before anything else, which would
// defeat preloading): the setting is kept and applied by whichever comes second, the setting or the
// first caller to obtain the module. It is applied on that calling thread, never on the loader
// thread: OpenMP's thread count is per calling thread.

#include "model/model.hpp"

#include "model/torch_module.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <future>
#include <mutex>
#include <optional>

namespace edgectl {
namespace {

// dlerror() usually starts with the path it failed on; messages name the path once.
std::string dl_failure(const fs::path& path) {
    const char* error = dlerror();
    std::string text = error ? error : "unknown dlopen error";
    std::string prefix = path.string() + ": ";
    if (text.starts_with(prefix)) text.erase(0, prefix.size());
    // Appended rather than "'" + …: GCC 12's -O2 reports a false -Wrestrict for operator+(const
    // char*, std::string&&).
    std::string named = "'";
    named += path.string();
    named += "': ";
    named += text;
    return named;
}

// Resolves the module's entry point and checks that it was built from these sources' contract.
TorchModule checked_module(void* handle, const fs::path& path) {
    void* entry = dlsym(handle, torch_module_entry);
    if (!entry)
        throw Error(quote(path) + " is not edgectl's LibTorch module: it does not export " + torch_module_entry);
    const TorchModuleApi* api = reinterpret_cast<const TorchModuleApi* (*)()>(entry)();
    if (!api || api->abi != torch_module_abi)
        throw Error(quote(path) + " is a LibTorch module for another build of edgectl (ABI " +
                    std::to_string(api ? api->abi : 0) + ", expected " + std::to_string(torch_module_abi) +
                    "): install the module built with this edgectl");
    return {handle, api};
}

// What set_inference_threads asked for, and whether it has reached the module yet.
struct ThreadSetting {
    std::mutex mutex;
    std::optional<int> threads;
    const TorchModule* module = nullptr;
    bool applied = false;
};

ThreadSetting& thread_setting() {
    static ThreadSetting setting;
    return setting;
}

std::optional<int> requested_threads() {
    auto& s = thread_setting();
    std::lock_guard lock(s.mutex);
    return s.threads;
}

std::atomic<bool>& module_started() {
    static std::atomic<bool> started{false};
    return started;
}

// The one load per process, started by whoever asks first.
const std::shared_future<TorchModule>& module_future() {
    static std::once_flag once;
    static std::shared_future<TorchModule> future;
    std::call_once(once, [] {
        // LibTorch's OpenMP workers spin between parallel regions by default: with --threads 2 on
        // two cores they starved edgectl's own reading and writing threads (a compute-bound score
        // took 7.6 s instead of 1.95 s). Passive workers sleep. Read by libgomp when the module
        // brings it in, so set here, before the load and its thread; an operator's value wins.
        ::setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
        // OpenBLAS starts its pool (a thread per core) while the module loads, and its idle
        // threads spin in sched_yield for a while: a second core's worth of CPU taken from the
        // machine during every start-up, for threads that --threads 1 never uses. Sized here, when
        // the thread count is already known (score sets it before anything loads the module).
        if (std::optional<int> threads = requested_threads())
            ::setenv("OPENBLAS_NUM_THREADS", std::to_string(*threads).c_str(), 0);
        module_started() = true;
        future = std::async(std::launch::async, [] { return open_torch_module(torch_module_candidates()); }).share();
    });
    return future;
}

// Applies the setting once both it and the module are there; call with s.mutex held.
void apply_locked(ThreadSetting& s) {
    if (!s.threads || !s.module || s.applied) return;
    s.applied = true;
    s.module->api->set_threads(*s.threads);
    // OpenBLAS keeps a pool of its own (a thread per core) that at::set_num_threads does not bound.
    // The symbol is there only when the BLAS LibTorch loaded is OpenBLAS. It is looked up through
    // the module's handle, which searches the module's dependencies: RTLD_DEFAULT would not see
    // them, as they were loaded RTLD_LOCAL.
    if (void* set = dlsym(s.module->handle, "openblas_set_num_threads"))
        reinterpret_cast<void (*)(int)>(set)(*s.threads);
}

// Waits for the module (loading it if nobody has started to) and applies a pending thread setting.
const TorchModule& torch_module() {
    const TorchModule& module = module_future().get();
    auto& s = thread_setting();
    std::lock_guard lock(s.mutex);
    s.module = &module;
    apply_locked(s);
    return module;
}

}  // namespace

std::vector<fs::path> torch_module_candidates() {
    if (const char* env = std::getenv("EDGECTL_TORCH_MODULE"); env && *env) return {fs::path(env)};
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec)
        throw Error(std::string("cannot find the LibTorch module ") + torch_module_file +
                    ": cannot read /proc/self/exe (" + ec.message() + "); set EDGECTL_TORCH_MODULE to its path");
    fs::path dir = exe.parent_path();
    return {dir / torch_module_file, (dir / ".." / "lib" / "edgectl" / torch_module_file).lexically_normal()};
}

TorchModule open_torch_module(const std::vector<fs::path>& candidates) {
    std::string tried;
    for (const auto& path : candidates) {
        // RTLD_LAZY: the module (linked -z now) and libtorch_cpu (BIND_NOW in Debian) are bound
        // at once all the same; what binds lazily are the ~280 libraries Debian's LibTorch brings
        // (OpenCV, FFmpeg, Qt, GDAL …), of which a score calls nothing: 26,000 fewer relocations,
        // ~15 ms of every load.
        if (void* handle = dlopen(path.c_str(), RTLD_LAZY | RTLD_LOCAL)) return checked_module(handle, path);
        tried += (tried.empty() ? "" : "; ") + dl_failure(path);
        // The first file that exists is the module (like PATH): its failure is the error to report.
        std::error_code ec;
        if (fs::exists(path, ec)) break;
    }
    throw Error("cannot load the LibTorch module, needed to run models: " + tried +
                " (EDGECTL_TORCH_MODULE names the module to use)");
}

std::unique_ptr<Model> load_torchscript(const std::string& bytes, std::string_view name) {
    return torch_module().api->load_torchscript(bytes, name);
}

void preload_torch() { module_future(); }

bool torch_module_started() { return module_started().load(); }

void set_inference_threads(int threads) {
    auto& s = thread_setting();
    std::lock_guard lock(s.mutex);
    if (!s.threads) s.threads = threads;
    apply_locked(s);
}

std::string torch_version() { return torch_module().api->torch_version(); }

}  // namespace edgectl
