// Tests of the CUDA backend (backends/cuda_backend.h).
//
// Everywhere: the build flag and the device probe behave (no throw, clear
// reasons), and a simulator cannot be made without a GPU.
// With a GPU: for every config in configs/, 20000 trials on the GPU give
// forecast.csv, tranches.csv and targets.csv byte-identical to the CPU
// backend's, and identical again for other block sizes, trials in flight,
// launch sizes, register caps and run/download splits. Without a CUDA build
// or a GPU those tests are skipped with a visible "no CUDA GPU: <reason>".
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "backends/cuda_backend.h"
#include "planner/base/errors.h"
#include "planner/engine/model_builder.h"
#include "planner/engine/run_driver.h"
#include "planner/engine/statistics.h"
#include "planner/output/reports.h"
#include "planner/spec/spec.h"
#include "planner/spec/spec_loader.h"

namespace {

using capplan::CompiledModel;
using capplan::CudaOptions;
using capplan::CudaSimulator;
using capplan::ForecastStatistics;
using capplan::Spec;

constexpr std::uint64_t kTrials = 20000;

// The source tree: CAPPLAN_SOURCE_DIR from the build, unless the environment
// variable of that name points elsewhere (a build carried to another machine).
std::string source(const std::string& relative) {
  const char* root = std::getenv("CAPPLAN_SOURCE_DIR");
  return std::string(root && *root ? root : CAPPLAN_SOURCE_DIR) + "/" + relative;
}

std::vector<std::string> config_paths() {
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(source("configs"))) {
    if (entry.path().extension() == ".yaml") paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// Empty when a GPU can run the backend, else why not.
std::string gpu_unavailable_reason() {
  if (!capplan::cuda_compiled()) return capplan::probe_cuda_device(0).reason;
  const capplan::CudaDeviceInfo info = capplan::probe_cuda_device(0);
  return info.available ? std::string() : info.reason;
}

#define CAPPLAN_REQUIRE_GPU()                                 \
  do {                                                        \
    const std::string why = gpu_unavailable_reason();         \
    if (!why.empty()) GTEST_SKIP() << "no CUDA GPU: " << why; \
  } while (0)

struct Reports {
  std::string forecast, tranches, targets;
};

Reports reports_of(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats) {
  return {capplan::forecast_csv(spec, model, stats), capplan::tranches_csv(spec, model, stats),
          capplan::targets_csv(spec, model, stats)};
}

void expect_same(const Reports& expected, const Reports& actual, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(expected.forecast, actual.forecast) << "forecast.csv differs";
  EXPECT_EQ(expected.tranches, actual.tranches) << "tranches.csv differs";
  EXPECT_EQ(expected.targets, actual.targets) << "targets.csv differs";
}

// The CPU backend through the run driver.
Reports cpu_reports(const Spec& spec, const CompiledModel& model, std::uint64_t trials) {
  capplan::RunOptions options;
  options.trials = trials;
  options.seed = spec.seed;
  options.threads = 0;
  options.progress = false;
  const capplan::RunResult result = capplan::run_simulation(model, options);
  EXPECT_EQ(result.backend, capplan::Backend::kCpu);
  return reports_of(spec, model, *result.statistics);
}

// The GPU: trials 0 .. sum(pieces) - 1, run piece by piece; with
// `download_each`, the counters are downloaded after every piece (checking
// that download adds and then zeroes).
Reports gpu_reports(const Spec& spec, const CompiledModel& model, const std::vector<std::uint64_t>& pieces,
                    const CudaOptions& options, bool download_each) {
  ForecastStatistics stats(model);
  const std::unique_ptr<CudaSimulator> simulator = capplan::make_cuda_simulator(model, stats, 0, options);
  const std::size_t bytes = simulator->device_bytes();
  capplan::StatisticsCounters counters = stats.empty_counters();
  std::uint64_t first = 0;
  for (const std::uint64_t piece : pieces) {
    simulator->run(spec.seed, first, piece);
    first += piece;
    if (download_each) counters.trials += simulator->download(counters.view());
  }
  counters.trials += simulator->download(counters.view());
  EXPECT_EQ(counters.trials, first);
  EXPECT_EQ(simulator->device_bytes(), bytes) << "device memory must not grow with the trials";
  stats.add(counters);
  return reports_of(spec, model, stats);
}

// ---- everywhere -------------------------------------------------------------

TEST(CudaBuild, CompiledMatchesTheBuildDefinition) {
#if defined(CAPPLAN_HAVE_CUDA)
  EXPECT_TRUE(capplan::cuda_compiled());
#else
  EXPECT_FALSE(capplan::cuda_compiled());
#endif
}

TEST(CudaBuild, ProbeNeverThrows) {
  capplan::CudaDeviceInfo info;
  EXPECT_NO_THROW(info = capplan::probe_cuda_device(0));
  EXPECT_EQ(info.device, 0);
  if (info.available) {
    EXPECT_TRUE(info.reason.empty());
    EXPECT_FALSE(info.name.empty());
    EXPECT_GT(info.multiprocessors, 0);
    EXPECT_GT(info.memory_gib, 0.0);
  } else {
    EXPECT_FALSE(info.reason.empty()) << "an unavailable device must say why";
    std::cout << "[          ] CUDA device 0 unavailable: " << info.reason << "\n";
  }
  for (const int bad : {-1, 4096}) {
    capplan::CudaDeviceInfo invalid;
    EXPECT_NO_THROW(invalid = capplan::probe_cuda_device(bad));
    EXPECT_FALSE(invalid.available) << "device " << bad;
    EXPECT_FALSE(invalid.reason.empty()) << "device " << bad;
  }
}

TEST(CudaBuild, SimulatorWithoutGpuThrowsRuntimeFailure) {
  const std::string why = gpu_unavailable_reason();
  if (why.empty()) GTEST_SKIP() << "a CUDA GPU is present (covered by CudaParity)";
  const Spec spec = capplan::load_spec_file(source("configs/minimal.yaml"));
  const CompiledModel model = capplan::build_model(spec);
  ForecastStatistics stats(model);
  EXPECT_THROW(capplan::make_cuda_simulator(model, stats, 0, CudaOptions{}), capplan::RuntimeFailure);
}

// ---- with a GPU -------------------------------------------------------------

TEST(CudaParity, EveryConfigMatchesTheCpu) {
  CAPPLAN_REQUIRE_GPU();
  const std::vector<std::string> paths = config_paths();
  ASSERT_FALSE(paths.empty());
  for (const std::string& path : paths) {
    const Spec spec = capplan::load_spec_file(path);
    const CompiledModel model = capplan::build_model(spec);
    const Reports cpu = cpu_reports(spec, model, kTrials);
    const Reports gpu = gpu_reports(spec, model, {kTrials}, CudaOptions{}, false);
    expect_same(cpu, gpu, path + ": cpu vs cuda (defaults)");
  }
}

TEST(CudaParity, IndependentOfBlockSizeBatchesRegistersAndSteps) {
  CAPPLAN_REQUIRE_GPU();
  for (const std::string name : {"openai-aws-2026", "example-all-features"}) {
    const std::string path = source("configs/" + name + ".yaml");
    const Spec spec = capplan::load_spec_file(path);
    const CompiledModel model = capplan::build_model(spec);
    const Reports cpu = cpu_reports(spec, model, kTrials);

    CudaOptions small;  // few threads, many launches, capped registers, downloads in between
    small.block_size = 64;
    small.trials_in_flight = 1000;
    small.launch_trials = 3000;
    small.registers = 128;
    expect_same(cpu, gpu_reports(spec, model, {7000, 1, 12999}, small, true), path + ": block 64, 1000 in flight");

    CudaOptions wide;  // bigger blocks, one launch
    wide.block_size = 256;
    wide.launch_trials = static_cast<std::int64_t>(kTrials);
    expect_same(cpu, gpu_reports(spec, model, {kTrials}, wide, false), path + ": block 256, one launch");

    CudaOptions called = small;  // the out-of-line steps variant, capped and not
    called.out_of_line_steps = true;
    expect_same(cpu, gpu_reports(spec, model, {7000, 1, 12999}, called, true), path + ": steps called, 128 registers");
    called.registers = 0;
    called.block_size = 128;
    expect_same(cpu, gpu_reports(spec, model, {kTrials}, called, false), path + ": steps called, no register cap");

    CudaOptions tight;  // a tiny scratch budget: one block in flight
    tight.block_size = 32;
    tight.memory_budget_bytes = 1;  // below one block: must throw, not crash
    EXPECT_THROW(gpu_reports(spec, model, {kTrials}, tight, false), capplan::RuntimeFailure);
  }
}

TEST(CudaParity, InvalidDeviceIsReportedNotFatal) {
  CAPPLAN_REQUIRE_GPU();
  const capplan::CudaDeviceInfo info = capplan::probe_cuda_device(4096);
  EXPECT_FALSE(info.available);
  EXPECT_NE(info.reason.find("does not exist"), std::string::npos) << info.reason;
  const Spec spec = capplan::load_spec_file(source("configs/minimal.yaml"));
  const CompiledModel model = capplan::build_model(spec);
  ForecastStatistics stats(model);
  EXPECT_THROW(capplan::make_cuda_simulator(model, stats, 4096, CudaOptions{}), capplan::RuntimeFailure);
  CudaOptions bad_block;
  bad_block.block_size = 48;
  EXPECT_THROW(capplan::make_cuda_simulator(model, stats, 0, bad_block), capplan::Error);
  // The device still works after those failures.
  const Reports cpu = cpu_reports(spec, model, 2000);
  expect_same(cpu, gpu_reports(spec, model, {2000}, CudaOptions{}, false), "after failed constructions");
}

TEST(CudaParity, DescribesItsDevice) {
  CAPPLAN_REQUIRE_GPU();
  const Spec spec = capplan::load_spec_file(source("configs/openai-aws-2026.yaml"));
  const CompiledModel model = capplan::build_model(spec);
  ForecastStatistics stats(model);
  const std::unique_ptr<CudaSimulator> simulator = capplan::make_cuda_simulator(model, stats, 0, CudaOptions{});
  EXPECT_GT(simulator->trials_in_flight(), 0);
  EXPECT_EQ(simulator->trials_in_flight() % simulator->block_size(), 0);
  EXPECT_GT(simulator->scratch_bytes_per_trial(), 0u);
  EXPECT_NE(simulator->describe().find(simulator->device_info().name), std::string::npos);
  std::cout << "[          ] " << simulator->describe() << "\n";
  CudaSimulator moved(std::move(*simulator));
  EXPECT_NO_THROW(moved.run(spec.seed, 0, 1000));
}

// A small run for compute-sanitizer (tools/device-check.sh runs memcheck and
// racecheck on this test alone): every feature of the model, several warps
// with partial last warps, several launches, two downloads.
TEST(CudaSanitizer, SmallRun) {
  CAPPLAN_REQUIRE_GPU();
  const Spec spec = capplan::load_spec_file(source("configs/example-all-features.yaml"));
  const CompiledModel model = capplan::build_model(spec);
  CudaOptions options;
  options.block_size = 64;
  options.trials_in_flight = 256;
  options.launch_trials = 300;
  const Reports cpu = cpu_reports(spec, model, 777);
  expect_same(cpu, gpu_reports(spec, model, {500, 277}, options, true), "small run");
}

}  // namespace
