// capplan bench: trials per second of the CPU and GPU backends.
#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "planner/app/commands.h"
#include "planner/base/errors.h"
#include "planner/base/limits.h"
#include "planner/base/parallel.h"
#include "planner/engine/model_builder.h"
#include "planner/engine/run_driver.h"
#include "planner/spec/spec_loader.h"

namespace capplan {

namespace {

// The GPU rows' launch variants: the chosen one, or with a sweep every
// compiled kernel variant (register cap x steps) at block sizes 64, 128 and 256.
std::vector<CudaOptions> cuda_variants(const CudaOptions& chosen, bool sweep) {
  if (!sweep) return {chosen};
  std::vector<CudaOptions> variants;
  for (const bool called : {false, true}) {
    for (const int registers : {0, 128}) {
      for (const int block : {64, 128, 256}) {
        CudaOptions variant;
        variant.block_size = block;
        variant.registers = registers;
        variant.out_of_line_steps = called;
        variants.push_back(variant);
      }
    }
  }
  return variants;
}

const char* report_name(Report::Every every) {
  switch (every) {
    case Report::Every::day:
      return "day";
    case Report::Every::week:
      return "week";
    case Report::Every::month:
      return "month";
    case Report::Every::dates:
      return "dates";
  }
  return "dates";
}

// Simulates `trials` trials of `model` once and measures the rate.
BenchRow measure(const Spec& spec, const CompiledModel& model, Backend backend, int threads, std::uint64_t trials,
                 const CudaOptions& cuda) {
  RunOptions options;
  options.trials = trials;
  options.seed = spec.seed;
  options.progress = false;
  options.threads = threads;
  options.backend = backend;
  options.cuda = cuda;
  TrialRunner runner(model, options);
  runner.run_range(0, trials, options);
  BenchRow row;
  row.scenario = spec.name;
  row.report = report_name(spec.report.every);
  // A GPU row names its variant: block size, register cap (r0 = none), i(nline) or c(alled) steps.
  row.label = backend == Backend::kCpu ? fmt::format("cpu x{}", runner.threads())
                                       : fmt::format("cuda b{} r{} {}", runner.cuda_block_size(), cuda.registers,
                                                     cuda.out_of_line_steps ? "c" : "i");
  row.trials = trials;
  row.seconds = runner.simulate_seconds();
  row.trials_per_second = static_cast<double>(trials) / row.seconds;
  return row;
}

void print_row(std::ostream& table, const BenchRow& row) {
  // The ratio needs a one-thread CPU row of this run: "-" with --backend cuda.
  const std::string ratio = row.vs_cpu > 0.0 ? fmt::format("{:.2f}", row.vs_cpu) : std::string("-");
  table << fmt::format("{:<28}{:>7}{:>18}{:>12}{:>11.3f}{:>16.0f}{:>11}\n", row.scenario, row.report, row.label,
                       row.trials, row.seconds, row.trials_per_second, ratio);
  table.flush();
}

}  // namespace

BenchOutcome bench_command(const BenchRequest& request, std::ostream& table) {
  if (Communicator::world().size() > 1) {
    throw UsageError("bench measures one process; to measure scaling over ranks, time `capplan run` under mpirun");
  }
  const Backend backend = request.backend.backend;
  // With --backend cuda, --trials is the GPU row's count; with auto the GPU row
  // runs 100x the CPU rows' trials (a GPU needs millions to reach full speed).
  const std::uint64_t gpu_trials = request.gpu_trials          ? *request.gpu_trials
                                   : backend == Backend::kCuda ? request.trials
                                                               : std::min(kMaxTrials, 100 * request.trials);
  const bool gpu = resolve_backend(backend, 0) == Backend::kCuda;
  const std::vector<CudaOptions> variants = cuda_variants(request.backend.cuda, request.cuda_sweep);
  table << fmt::format("{:<28}{:>7}{:>18}{:>12}{:>11}{:>16}{:>11}\n", "scenario", "report", "backend", "trials",
                       "seconds", "trials/s", "vs cpu x1");
  BenchOutcome outcome;
  for (const std::string& path : request.spec_paths) {
    const std::vector<std::string> overrides =
        request.report ? std::vector<std::string>{std::string("report.every=") + report_name(*request.report)}
                       : std::vector<std::string>{};
    const Spec spec = load_spec_file(path, overrides);
    const CompiledModel model = build_model(spec);
    double cpu_rate = 0.0;  // the one-thread CPU row's, the reference for the last column
    auto add = [&](BenchRow row, bool reference) {
      if (reference) cpu_rate = row.trials_per_second;
      row.vs_cpu = cpu_rate > 0.0 ? row.trials_per_second / cpu_rate : 0.0;
      print_row(table, row);
      outcome.rows.push_back(row);
    };
    if (backend != Backend::kCuda) {
      add(measure(spec, model, Backend::kCpu, 1, request.trials, request.backend.cuda), true);
      if (request.threads != 1) {
        add(measure(spec, model, Backend::kCpu, request.threads, request.trials, request.backend.cuda), false);
      }
    }
    if (gpu) {
      for (const CudaOptions& variant : variants)
        add(measure(spec, model, Backend::kCuda, 0, gpu_trials, variant), false);
    }
  }
  return outcome;
}

}  // namespace capplan
