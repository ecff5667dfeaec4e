#include "model/model.hpp"

#include "fixture.hpp"
#include "model/torch_module.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <cmath>
#include <cstdlib>
#include <optional>

using namespace edgectl;

namespace {

// Sets (or unsets) EDGECTL_TORCH_MODULE for one test and puts back what ctest set.
class ModuleEnv {
  public:
    explicit ModuleEnv(const char* value) {
        if (const char* old = std::getenv(name)) old_ = old;
        put(value);
    }
    ~ModuleEnv() { put(old_ ? old_->c_str() : nullptr); }
    ModuleEnv(const ModuleEnv&) = delete;
    ModuleEnv& operator=(const ModuleEnv&) = delete;

  private:
    static constexpr const char* name = "EDGECTL_TORCH_MODULE";
    static void put(const char* value) {
        if (value == nullptr) {
            unsetenv(name);
        } else {
            setenv(name, value, 1);
        }
    }
    std::optional<std::string> old_;
};

Matrix batch(std::size_t rows, std::size_t cols) { return {rows, cols, std::vector<float>(rows * cols, 0.5f)}; }

}  // namespace

TEST_CASE("model loader: a VerifyError thrown in the module is caught as one here") {
    preload_torch();
    preload_torch();  // again: a no-op
    try {
        load_torchscript("this is not a zip archive", "junk.pt");
        FAIL("no exception");
    } catch (const VerifyError& e) {
        CHECK(e.code() == Exit::verify_failed);
        CHECK_THAT(e.what(), Catch::StartsWith("'junk.pt' is not a loadable TorchScript model: "));
    }
}

TEST_CASE("model loader: the sample model answers through the module") {
    auto model = test::load_model_file(test::sample_dir() / "model/model.pt");
    Matrix out = model->forward(batch(4, 13));
    CHECK(out.rows == 4);
    CHECK(out.cols == 3);
    for (float v : out.values)
        CHECK(std::isfinite(v));
    CHECK_FALSE(torch_version().empty());
}

TEST_CASE("model loader: OpenMP workers are made to sleep, not spin, unless the operator chose") {
    test::load_model_file(test::sample_dir() / "model/model.pt");
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    REQUIRE(policy != nullptr);
    // ctest does not set it: the loader did (an operator's own value would be kept).
    CHECK(std::string(policy) == "PASSIVE");
}

TEST_CASE("model loader: a failing forward is an Error with the model's name") {
    auto model = load_torchscript(test::slurp(test::sample_dir() / "model/model.pt"), "wine@1");
    try {
        model->forward(batch(2, 5));
        FAIL("no exception");
    } catch (const VerifyError&) { FAIL("a failing forward is not a verification failure"); } catch (const Error& e) {
        CHECK(e.code() == Exit::error);
        // The operator's own message, not the TorchScript interpreter's call stack before it.
        CHECK(std::string(e.what()) ==
              "model 'wine@1' failed: RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x5 and 13x16)");
    }
}

TEST_CASE("model loader: the module is looked for beside the executable, then in ../lib/edgectl") {
    {
        ModuleEnv env("/opt/x/edgectl_torch.so");
        CHECK(torch_module_candidates() == std::vector<fs::path>{"/opt/x/edgectl_torch.so"});
    }
    ModuleEnv env(nullptr);
    fs::path dir = fs::read_symlink("/proc/self/exe").parent_path();
    CHECK(torch_module_candidates() ==
          std::vector<fs::path>{dir / "edgectl_torch.so", dir.parent_path() / "lib/edgectl/edgectl_torch.so"});
}

TEST_CASE_METHOD(test::TempDirFixture, "model loader: a missing module is an Error naming every path tried") {
    try {
        open_torch_module({dir / "a/edgectl_torch.so", dir / "b/edgectl_torch.so"});
        FAIL("no exception");
    } catch (const Error& e) {
        std::string a = (dir / "a/edgectl_torch.so").string(), b = (dir / "b/edgectl_torch.so").string();
        CHECK(std::string(e.what()) == "cannot load the LibTorch module, needed to run models: '" + a +
                                           "': cannot open shared object file: No such file or directory; '" + b +
                                           "': cannot open shared object file: No such file or directory"
                                           " (EDGECTL_TORCH_MODULE names the module to use)");
    }
}

TEST_CASE_METHOD(test::TempDirFixture, "model loader: the first module that exists is the one used") {
    fs::path junk = dir / "edgectl_torch.so";
    {
        File f = File::create_new(junk, 0644);
        f.write_all(std::string(4096, 'x'));  // long enough to have its header read
        f.close();
    }
    try {
        open_torch_module({junk, dir / "never-tried.so"});
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK_THAT(e.what(), Catch::Contains("'" + junk.string() + "': ") && Catch::Contains("invalid ELF header") &&
                                 !Catch::Contains("never-tried"));
    }
}

TEST_CASE("model loader: a library without the entry point is refused") {
    Dl_info info{};
    REQUIRE(dladdr(reinterpret_cast<void*>(static_cast<double (*)(double)>(&::cos)), &info) != 0);
    CHECK_THROWS_WITH(open_torch_module({info.dli_fname}),
                      "'" + std::string(info.dli_fname) +
                          "' is not edgectl's LibTorch module: it does not export edgectl_torch_module");
}
