// Tests of the CUDA backend (backends/cuda_backend.h).
//
// Everywhere: the build flag and the device probe behave (no throw, clear
// reasons), and a simulator cannot be made without a GPU.
// With a GPU: for every config in configs/ and the valid test specs
// (tests/specs/every-feature.yaml, tests/specs/parity-edge-values.yaml), the
// GPU gives forecast.csv, tranches.csv, targets.csv and completion_cdf.csv
// byte-identical to the CPU backend's (20,000 trials; 2,000 for bench-large),
// and identical again for other block sizes, trials in flight, launch sizes,
// register caps and run/download splits; the raw counters of a small config
// are equal too. Without a CUDA build or a GPU those tests are skipped with a
// visible "no CUDA GPU: <reason>".
//
// Debugging a difference on the CPU side: with CAPPLAN_PARITY_DUMP=DIR, a
// difference writes DIR/<spec>.txt (the first differing cells: table, line,
// date, metric or tranche, column, CPU and GPU values), and the small-config
// test writes both sides' raw counters to DIR/counters-minimal-{cpu,gpu}.txt.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "backends/cuda_backend.h"
#include "planner/base/errors.h"
#include "planner/engine/model_builder.h"
#include "planner/engine/run_driver.h"
#include "planner/engine/statistics.h"
#include "planner/output/reports.h"
#include "planner/spec/spec.h"
#include "planner/spec/spec_loader.h"
#include "tests/test_support.h"

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

// Every config, then the valid test specs, each with its parity trial count.
std::vector<std::pair<std::string, std::uint64_t>> parity_specs() {
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(source("configs"))) {
    if (entry.path().extension() == ".yaml") paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  paths.push_back(source("tests/specs/every-feature.yaml"));
  paths.push_back(source("tests/specs/parity-edge-values.yaml"));
  std::vector<std::pair<std::string, std::uint64_t>> specs;
  for (const std::string& path : paths) {
    // bench-large records 2,557 daily rows: fewer trials keep the CPU side short.
    const bool large = path.find("bench-large") != std::string::npos;
    specs.emplace_back(path, large ? 2000 : kTrials);
  }
  return specs;
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
  std::string forecast, tranches, targets, completion;
};

Reports reports_of(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats) {
  return {capplan::forecast_csv(spec, model, stats), capplan::tranches_csv(spec, model, stats),
          capplan::targets_csv(spec, model, stats), capplan::completion_cdf_csv(spec, model, stats)};
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, separator);) parts.push_back(part);
  return parts;
}

// The first differing lines of two CSV tables (at most `limit`), each as
// "table line N: <first column>=<value> ... column <name>: cpu <a>, gpu <b>".
std::string first_differences(const std::string& table, const std::string& cpu, const std::string& gpu,
                              int limit = 20) {
  const std::vector<std::string> a = split(cpu, '\n'), b = split(gpu, '\n');
  const std::vector<std::string> header = a.empty() ? std::vector<std::string>() : split(a[0], ',');
  std::ostringstream out;
  int found = 0;
  for (std::size_t line = 0; line < std::max(a.size(), b.size()) && found < limit; ++line) {
    const std::string x = line < a.size() ? a[line] : "(none)", y = line < b.size() ? b[line] : "(none)";
    if (x == y) continue;
    ++found;
    const std::vector<std::string> xs = split(x, ','), ys = split(y, ',');
    out << table << " line " << line + 1 << ":";
    for (std::size_t c = 0; c < std::min<std::size_t>(2, xs.size()); ++c) out << " " << xs[c];
    for (std::size_t c = 0; c < std::max(xs.size(), ys.size()); ++c) {
      const std::string u = c < xs.size() ? xs[c] : "", v = c < ys.size() ? ys[c] : "";
      if (u != v) {
        out << " | column " << (c < header.size() ? header[c] : std::to_string(c + 1)) << ": cpu " << u << ", gpu "
            << v;
      }
    }
    out << "\n";
  }
  return out.str();
}

// Writes `text` to $CAPPLAN_PARITY_DUMP/<name> when that variable is set.
void dump(const std::string& name, const std::string& text) {
  const char* dir = std::getenv("CAPPLAN_PARITY_DUMP");
  if (!dir || !*dir) return;
  std::filesystem::create_directories(dir);
  std::ofstream(std::filesystem::path(dir) / name, std::ios::app) << text;
}

void expect_same(const Reports& expected, const Reports& actual, const std::string& what) {
  SCOPED_TRACE(what);
  std::string differences;
  const std::pair<const char*, std::string Reports::*> tables[] = {{"forecast.csv", &Reports::forecast},
                                                                   {"tranches.csv", &Reports::tranches},
                                                                   {"targets.csv", &Reports::targets},
                                                                   {"completion_cdf.csv", &Reports::completion}};
  for (const auto& [name, member] : tables) {
    EXPECT_EQ(expected.*member, actual.*member) << name << " differs";
    if (expected.*member != actual.*member) differences += first_differences(name, expected.*member, actual.*member);
  }
  if (differences.empty()) return;
  std::cout << "[          ] " << what << ": first differences\n" << differences;
  dump(std::filesystem::path(what.substr(0, what.find(':'))).stem().string() + ".txt", what + "\n" + differences);
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
  for (const auto& [path, trials] : parity_specs()) {
    const Spec spec = capplan::load_spec_file(path);
    const CompiledModel model = capplan::build_model(spec);
    const Reports cpu = cpu_reports(spec, model, trials);
    const Reports gpu = gpu_reports(spec, model, {trials}, CudaOptions{}, false);
    expect_same(cpu, gpu, path + ": cpu vs cuda (defaults), " + std::to_string(trials) + " trials");
  }
}

// Every counter, not only what the tables show, on a small config; both sides
// are written out (CAPPLAN_PARITY_DUMP) so that a difference can be traced.
TEST(CudaParity, RawCountersOfASmallConfig) {
  CAPPLAN_REQUIRE_GPU();
  const Spec spec = capplan::load_spec_file(source("configs/minimal.yaml"));
  const CompiledModel model = capplan::build_model(spec);
  capplan::RunOptions options;
  options.trials = 3000;
  options.seed = spec.seed;
  options.progress = false;
  const capplan::RunResult cpu = capplan::run_simulation(model, options);
  ForecastStatistics stats(model);
  const std::unique_ptr<CudaSimulator> simulator = capplan::make_cuda_simulator(model, stats, 0, CudaOptions{});
  capplan::StatisticsCounters gpu = stats.empty_counters();
  simulator->run(spec.seed, 0, options.trials);
  gpu.trials += simulator->download(gpu.view());
  const capplan::StatisticsCounters& reference = cpu.statistics->counters();
  auto text = [](const capplan::StatisticsCounters& c) {
    std::ostringstream out;
    out.precision(17);
    auto list = [&out](const char* name, const auto& values) {
      out << name;
      for (const auto& v : values) out << " " << v;
      out << "\n";
    };
    out << "trials " << c.trials << "\n";
    list("sums", c.sums);
    list("minima", c.minima);
    list("maxima", c.maxima);
    list("completion", c.completion);
    list("target_hits", c.target_hits);
    list("critical", c.critical);
    list("bins", c.bins);
    return out.str();
  };
  dump("counters-minimal-cpu.txt", text(reference));
  dump("counters-minimal-gpu.txt", text(gpu));
  EXPECT_EQ(reference.trials, gpu.trials);
  EXPECT_EQ(reference.bins, gpu.bins);
  EXPECT_EQ(reference.sums, gpu.sums);
  EXPECT_EQ(reference.completion, gpu.completion);
  EXPECT_EQ(reference.target_hits, gpu.target_hits);
  EXPECT_EQ(reference.critical, gpu.critical);
  for (std::size_t i = 0; i < reference.minima.size(); ++i) {
    EXPECT_EQ(std::memcmp(&reference.minima[i], &gpu.minima[i], sizeof(double)), 0) << "minimum of cell " << i;
    EXPECT_EQ(std::memcmp(&reference.maxima[i], &gpu.maxima[i], sizeof(double)), 0) << "maximum of cell " << i;
  }
}

TEST(CudaParity, IndependentOfBlockSizeBatchesRegistersAndSteps) {
  CAPPLAN_REQUIRE_GPU();
  for (const std::string name : {"openai-aws-2026", "example-all-features"}) {
    const std::string path = source("configs/" + name + ".yaml");
    const Spec spec = capplan::load_spec_file(path);
    const CompiledModel model = capplan::build_model(spec);
    const Reports cpu = cpu_reports(spec, model, kTrials);

    // Every kernel variant (register cap x steps inlined or called) at block
    // sizes 64, 128 and 256, as `capplan bench --cuda-sweep` runs them.
    for (const int registers : {0, 128}) {
      for (const bool called : {false, true}) {
        for (const int block : {64, 128, 256}) {
          CudaOptions variant;
          variant.registers = registers;
          variant.out_of_line_steps = called;
          variant.block_size = block;
          expect_same(cpu, gpu_reports(spec, model, {kTrials}, variant, false),
                      path + ": block " + std::to_string(block) + ", registers " + std::to_string(registers) +
                          (called ? ", steps called" : ", steps inlined"));
        }
      }
    }

    CudaOptions small;  // few threads, many launches, capped registers, downloads in between
    small.block_size = 64;
    small.trials_in_flight = 1000;
    small.launch_trials = 3000;
    small.registers = 128;
    expect_same(cpu, gpu_reports(spec, model, {7000, 1, 12999}, small, true), path + ": block 64, 1000 in flight");

    CudaOptions wide;  // one launch
    wide.block_size = 256;
    wide.launch_trials = static_cast<std::int64_t>(kTrials);
    expect_same(cpu, gpu_reports(spec, model, {kTrials}, wide, false), path + ": block 256, one launch");

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

// ---- GPU faults are user errors: a clear message, an exit code, nothing written

namespace capplan_cuda_errors {

namespace fs = std::filesystem;

fs::path fresh_out(const std::string& name) {
  const fs::path out = fs::temp_directory_path() / ("capplan-cuda-errors-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(out);
  return out;
}

capplan::testing::Outcome run_cuda(const std::string& environment, const std::string& options, const fs::path& out) {
  return capplan::testing::shell(environment + " '" + std::string(CAPPLAN_BINARY) + "' run '" +
                                 source("configs/minimal.yaml") + "' --backend cuda --trials 500 --quiet " + options +
                                 " --out '" + out.string() + "'");
}

// CUDA_VISIBLE_DEVICES= hides every GPU, so this runs on every machine.
TEST(CudaErrors, NoDeviceExitsThreeAndWritesNothing) {
  const fs::path out = fresh_out("no-device");
  const capplan::testing::Outcome outcome = run_cuda("CUDA_VISIBLE_DEVICES=", "", out);
  EXPECT_EQ(outcome.exit_code, 3) << outcome.output;
  EXPECT_NE(outcome.output.find("CUDA"), std::string::npos) << outcome.output;
  EXPECT_FALSE(fs::exists(out));
}

TEST(CudaErrors, BadLaunchOptionsExitTwoAndWriteNothing) {
  const fs::path out = fresh_out("bad-options");
  for (const auto& [environment, options] :
       std::vector<std::pair<std::string, std::string>>{{"", "--cuda-block 48"},
                                                        {"", "--cuda-block 512"},
                                                        {"", "--cuda-registers 64"},
                                                        {"CAPPLAN_CUDA_SCRATCH_BYTES=lots", ""},
                                                        {"CAPPLAN_CUDA_SCRATCH_BYTES=-5", ""}}) {
    const capplan::testing::Outcome outcome = run_cuda(environment, options, out);
    EXPECT_EQ(outcome.exit_code, 2) << environment << " " << options << ": " << outcome.output;
    EXPECT_FALSE(fs::exists(out)) << environment << " " << options;
  }
}

// A scratch budget below one block's (one byte) is the out-of-memory path.
TEST(CudaErrors, ScratchBudgetBelowOneBlockExitsThreeAndWritesNothing) {
  CAPPLAN_REQUIRE_GPU();
  const fs::path out = fresh_out("budget");
  const capplan::testing::Outcome outcome = run_cuda("CAPPLAN_CUDA_SCRATCH_BYTES=1", "", out);
  EXPECT_EQ(outcome.exit_code, 3) << outcome.output;
  EXPECT_NE(outcome.output.find("budget"), std::string::npos) << outcome.output;
  EXPECT_FALSE(fs::exists(out));
}

TEST(CudaParityHelpers, FirstDifferencesNameTheCellAndBothValues) {
  const std::string cpu = "date,metric,mean,p10\n2026-01-31,online_systems,10,8\n2026-02-28,online_systems,20,18\n";
  const std::string gpu = "date,metric,mean,p10\n2026-01-31,online_systems,10,8\n2026-02-28,online_systems,20,-0\n";
  EXPECT_EQ(first_differences("forecast.csv", cpu, gpu),
            "forecast.csv line 3: 2026-02-28 online_systems | column p10: cpu 18, gpu -0\n");
  EXPECT_EQ(first_differences("forecast.csv", cpu, cpu), "");
  EXPECT_EQ(first_differences("t.csv", "a,b\n1,2\n", "a,b\n"),
            "t.csv line 2: 1 2 | column a: cpu 1, gpu (none) | column b: cpu 2, gpu \n");
}

}  // namespace capplan_cuda_errors

}  // namespace
