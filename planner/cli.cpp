#include "planner/cli.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <nlohmann/json.hpp>

#include "backends/cuda_backend.h"
#include "planner/build_info.h"
#include "planner/compare.h"
#include "planner/errors.h"
#include "planner/model_builder.h"
#include "planner/output_files.h"
#include "planner/parallel.h"
#include "planner/plots.h"
#include "planner/precision.h"
#include "planner/regression.h"
#include "planner/reports.h"
#include "planner/run_driver.h"
#include "planner/schema.h"
#include "planner/sensitivity.h"
#include "planner/spec_loader.h"

namespace capplan {

namespace {

// A failure every rank has agreed on; printed once, by rank 0.
struct AgreedFailure {
  int exit_code;
  std::string message;
};

// Options shared by the commands that simulate.
// How the cuda backend launches (CudaOptions); never changes a result. The
// defaults are kernels/cuda_backend.cu's; docs/performance.md has what each
// variant measured.
struct CudaTuning {
  int block = 0;      // 0: the default
  int registers = 0;  // 0 (no cap) or 128
  std::string steps = "inline";

  void add_to(CLI::App* command) {
    command->add_option("--cuda-block", block, "cuda backend: threads per block, a multiple of 32 (default 128)");
    command->add_option("--cuda-registers", registers, "cuda backend: register cap per thread, 0 (none) or 128");
    command->add_option("--cuda-steps", steps,
                        "cuda backend: inline or called (the day's install and burn-in steps out of line)");
  }
  CudaOptions options() const {
    if (steps != "inline" && steps != "called") {
      throw UsageError("--cuda-steps must be inline or called, got '" + steps + "'");
    }
    CudaOptions options;
    options.block_size = block;
    options.registers = registers;
    options.out_of_line_steps = steps == "called";
    check_cuda_options(options);  // here too, so that a bad value fails on a machine without a GPU
    return options;
  }
};

struct SimulationArguments {
  std::vector<std::string> overrides;  // --set PATH=VALUE
  std::int64_t trials = -1;            // -1: the spec's
  std::string seed;                    // empty: the spec's
  int threads = 0;
  bool quiet = false;
  std::string backend = "auto";
  CudaTuning cuda;

  void add_to(CLI::App* command, bool with_trials = true, bool with_backend = true) {
    command->add_option("--set", overrides, "Change the spec: PATH=VALUE (repeatable), e.g. tranches.t1.units=900")
        ->allow_extra_args(false);  // one PATH=VALUE per --set, so a spec path after it stays positional
    if (with_trials) command->add_option("--trials", trials, "Number of trials (overrides simulation.trials)");
    command->add_option("--seed", seed, "Random seed, 0 .. 2^64-1 (overrides simulation.seed)");
    command->add_option("--threads", threads, "CPU threads (0 = all)");
    command->add_flag("--quiet", quiet, "No progress line on stderr");
    if (with_backend) {
      command->add_option("--backend", backend,
                          "auto (the GPU when one is present), cpu or cuda; results are identical on every backend");
      cuda.add_to(command);
    }
  }
};

struct RunArguments {
  std::string spec_path;
  std::string out_dir;
  SimulationArguments simulation;
  std::string precision;        // empty: run the trial count
  std::int64_t max_trials = 0;  // 0: 100 x the starting trials, capped at kMaxTrials
  std::int64_t drivers_sample = 10000;
  std::string driver_date;  // empty: the horizon end
  bool plots = false;
};

struct CompareArguments {
  std::vector<std::string> spec_paths;  // A, or A and B
  std::string out_dir;
  SimulationArguments simulation;
};

struct CheckArguments {
  std::string spec_path;
  std::string baseline;
  double sigmas = 4.0;
  bool per_cell = false;
  bool exact = false;
  std::string junit;
  SimulationArguments simulation;
};

struct BenchArguments {
  std::vector<std::string> spec_paths;
  std::int64_t trials = 20000;
  std::int64_t gpu_trials = 0;  // 0: 100 x --trials
  int threads = 0;
  std::string backend = "auto";
  std::string report;  // empty: each spec's own; day, week or month
  CudaTuning cuda;
  bool cuda_sweep = false;  // a GPU row for every kernel variant and block size
};

std::uint64_t parse_seed(const std::string& text) {
  const std::string message = "--seed must be an integer between 0 and 18446744073709551615, got '" + text + "'";
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || text.size() > 20) {
    throw UsageError(message);
  }
  try {
    return std::stoull(text);
  } catch (const std::exception&) {
    throw UsageError(message);
  }
}

std::uint64_t checked_trials(std::int64_t trials, const char* option = "--trials") {
  if (trials < 1 || static_cast<std::uint64_t>(trials) > kMaxTrials) {
    throw UsageError(fmt::format("{} must be between 1 and {}, got {}", option, kMaxTrials, trials));
  }
  return static_cast<std::uint64_t>(trials);
}

void check_threads(int threads) {
  if (threads < 0) throw UsageError("--threads must be 0 (all) or a positive number, got " + std::to_string(threads));
}

// What a failure prints and its exit code.
struct Failure {
  int exit_code = 0;
  std::string message;
};

Failure describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const SpecError& e) {
    return {e.exit_code(), std::string(e.what()) + "\n" +
                               fmt::format("capplan: {} error{} in the spec; nothing was written",
                                           e.diagnostics().size(), e.diagnostics().size() == 1 ? "" : "s")};
  } catch (const Error& e) {
    return {e.exit_code(), std::string("capplan: error: ") + e.what()};
  } catch (const std::bad_alloc&) {
    return {3, "capplan: error: out of memory"};
  } catch (const std::exception& e) {
    return {3, std::string("capplan: internal error: ") + e.what()};
  }
}

// Runs one phase on every rank; if any rank failed, every rank throws the
// first failing rank's failure (so no rank waits forever in a collective).
template <typename Phase>
void on_every_rank(const Communicator& communicator, Phase phase) {
  Failure failure;
  try {
    phase();
  } catch (...) {
    failure = describe(std::current_exception());
  }
  const auto [code, message] = communicator.agree(failure.exit_code, failure.message);
  if (code != 0) throw AgreedFailure{code, message};
}

// A spec with its command-line changes applied, and its compiled model.
struct Scenario {
  Spec spec;
  std::unique_ptr<CompiledModel> model;
};

Scenario load_scenario(const std::string& path, const SimulationArguments& args,
                       const std::vector<std::string>& extra_dates = {}) {
  check_threads(args.threads);
  Scenario scenario;
  scenario.spec = load_spec_file(path, args.overrides);
  if (args.trials >= 0) scenario.spec.trials = checked_trials(args.trials);
  if (!args.seed.empty()) scenario.spec.seed = parse_seed(args.seed);
  std::vector<DayNumber> dates;
  for (const std::string& text : extra_dates) {
    const auto date = parse_date(text);
    if (!date || *date < scenario.spec.horizon.start || *date > scenario.spec.horizon.end) {
      throw UsageError("--driver-date must be a date YYYY-MM-DD inside the horizon " +
                       format_date(scenario.spec.horizon.start) + " .. " + format_date(scenario.spec.horizon.end) +
                       ", got '" + text + "'");
    }
    dates.push_back(*date);
  }
  scenario.model = std::make_unique<CompiledModel>(build_model(scenario.spec, dates));
  return scenario;
}

RunOptions options_for(const Scenario& scenario, const SimulationArguments& args, const Communicator& communicator) {
  RunOptions options;
  options.trials = scenario.spec.trials;
  options.seed = scenario.spec.seed;
  options.threads = args.threads;
  options.progress = !args.quiet && communicator.is_root();
  options.rank = communicator.rank();
  options.ranks = communicator.size();
  options.backend = args.backend;
  options.cuda = args.cuda.options();
  // One GPU per rank on a node; ranks beyond the node's GPUs share GPU 0.
  options.device = communicator.local_rank();
  if (options.device > 0 && !probe_cuda_device(options.device).available) options.device = 0;
  return options;
}

// Fault injection for the multi-rank failure tests: CAPPLAN_FAIL_RANK=r fails rank r.
void maybe_inject_failure(const Communicator& communicator) {
  const char* fail_rank = std::getenv("CAPPLAN_FAIL_RANK");
  if (fail_rank && std::to_string(communicator.rank()) == fail_rank) {
    throw RuntimeFailure("injected failure (CAPPLAN_FAIL_RANK) while simulating");
  }
}

// The outcome of simulating one scenario across all ranks (complete on rank 0).
struct Simulated : RunResult {
  std::uint64_t trials = 0;
  bool precision_requested = false;
  double precision = 0.0;
  std::uint64_t max_trials = 0;
  PrecisionAssessment assessment;
};

// Simulates `options.trials` trials, or with a precision, checkpoints at
// trials x 1, 2, 4, ... (capped by max_trials) until the precision is met: the
// checkpoints depend only on the arguments, so the same spec and seed stop at
// the same trial count on any number of threads or ranks.
Simulated simulate(const Scenario& scenario, RunOptions options, const Communicator& communicator,
                   double precision = 0.0, std::uint64_t max_trials = 0) {
  Simulated out;
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<TrialRunner> runner;
  on_every_rank(communicator, [&] {
    maybe_inject_failure(communicator);
    runner = std::make_unique<TrialRunner>(*scenario.model, options);
  });
  if (communicator.is_root()) {
    std::cerr << fmt::format("capplan: {} backend: {}{}\n", runner->backend(), runner->device(),
                             communicator.size() > 1 ? fmt::format(" (rank 0 of {})", communicator.size()) : "");
  }
  std::uint64_t done = 0, next = options.trials;
  if (precision > 0.0) {
    out.precision_requested = true;
    out.precision = precision;
    out.max_trials = std::max(max_trials, options.trials);
  }
  while (true) {
    on_every_rank(communicator, [&] { runner->run_range(done, next, options); });
    done = next;
    // A run to a precision keeps this rank's own counts for the next round and
    // reduces a copy; otherwise the counts are reduced in place (no second copy
    // of the histograms).
    out.statistics = out.precision_requested ? std::make_unique<ForecastStatistics>(runner->statistics())
                                             : std::make_unique<ForecastStatistics>(std::move(runner->statistics()));
    out.statistics->reduce_to_root(communicator);
    if (!out.precision_requested) break;
    bool stop = false;
    if (communicator.is_root()) {
      out.assessment = assess_precision(scenario.spec, *scenario.model, *out.statistics, precision);
      stop = out.assessment.met || done >= out.max_trials;
    }
    if (communicator.broadcast_flag(stop)) break;
    next = std::min<std::uint64_t>(out.max_trials, 2 * done);
  }
  out.drivers = runner->drivers();
  out.drivers.gather_to_root(communicator);
  out.trials = done;
  out.backend = runner->backend();
  out.device = runner->device();
  out.threads = runner->threads();
  out.batch_trials = runner->batch_capacity();
  out.simulate_seconds = communicator.size() > 1
                             ? std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
                             : runner->simulate_seconds();
  return out;
}

std::vector<std::string> process_records(const Communicator& communicator, const Simulated& result) {
  nlohmann::ordered_json process = {{"rank", communicator.rank()},
                                    {"host", communicator.processor_name()},
                                    {"backend", result.backend},
                                    {"device", result.device},
                                    {"threads", result.threads}};
  return communicator.gather_to_root(process.dump());
}

int command_validate(const std::string& path, const std::vector<std::string>& overrides) {
  const Spec spec = load_spec_file(path, overrides);
  build_model(spec);  // checks what only compiling can (stream ids, correlations)
  if (Communicator::world().is_root()) {
    std::cout << fmt::format("{}: valid spec '{}' ({} tranches, {} sites, {} risks, horizon {} .. {})\n", path,
                             spec.name, spec.tranches.size(), spec.sites.size(), spec.risks.size(),
                             format_date(spec.horizon.start), format_date(spec.horizon.end));
  }
  return 0;
}

void write_plots_and_summary(const std::string& out_dir) {
  write_plots(out_dir);
  write_files_atomically(out_dir, {{"summary.md", summary_markdown(out_dir)}});
}

int command_run(const RunArguments& args, const std::vector<std::string>& argv) {
  const auto wall_start = std::chrono::steady_clock::now();
  const Communicator& communicator = Communicator::world();
  Scenario scenario;
  double precision = 0.0;
  std::uint64_t max_trials = 0;
  on_every_rank(communicator, [&] {
    if (args.drivers_sample < 0) throw UsageError("--drivers-sample must be 0 (off) or a positive number of trials");
    if (!args.precision.empty()) precision = parse_precision(args.precision);
    std::vector<std::string> dates;
    if (!args.driver_date.empty()) dates.push_back(args.driver_date);
    scenario = load_scenario(args.spec_path, args.simulation, dates);
    if (args.max_trials != 0) max_trials = checked_trials(args.max_trials, "--max-trials");
    if (precision > 0.0 && max_trials == 0) {
      max_trials = std::min<std::uint64_t>(kMaxTrials, 100 * scenario.spec.trials);
    }
  });
  const Spec& spec = scenario.spec;
  const CompiledModel& model = *scenario.model;
  const DayNumber driver_date = args.driver_date.empty() ? spec.horizon.end : *parse_date(args.driver_date);

  RunOptions options = options_for(scenario, args.simulation, communicator);
  options.driver_sample = static_cast<std::uint64_t>(args.drivers_sample);
  options.driver_row = record_row(model, driver_date);
  const Simulated result = simulate(scenario, options, communicator, precision, max_trials);
  const std::vector<std::string> processes = process_records(communicator, result);

  on_every_rank(communicator, [&] {
    if (!communicator.is_root()) return;
    const std::string out_dir = args.out_dir.empty() ? "out/" + spec.name : args.out_dir;
    const ForecastStatistics& stats = *result.statistics;
    RunRecord record;
    record.argv = argv;
    record.spec_sha256 = sha256_hex(spec.source_text);
    record.seed = spec.seed;
    record.trials = result.trials;
    record.backend = result.backend;
    record.device = result.device;
    record.threads = result.threads;
    record.batch_trials = result.batch_trials;
    record.ranks = communicator.size();
    record.processes = processes;
    record.simulate_seconds = result.simulate_seconds;
    record.outputs = {"forecast.csv",       "tranches.csv",    "targets.csv",
                      "completion_cdf.csv", "sensitivity.csv", "run.json"};
    std::vector<std::pair<std::string, std::string>> files = {
        {"forecast.csv", forecast_csv(spec, model, stats)},
        {"tranches.csv", tranches_csv(spec, model, stats)},
        {"targets.csv", targets_csv(spec, model, stats)},
        {"completion_cdf.csv", completion_cdf_csv(spec, model, stats)},
        {"sensitivity.csv",
         sensitivity_csv(compute_drivers(result.drivers, model.slot_names), format_date(driver_date))}};
    nlohmann::ordered_json extra;
    extra["overrides"] = spec.overrides;
    extra["drivers"] = {{"date", format_date(driver_date)}, {"sample_trials", result.drivers.trials.size()}};
    if (result.precision_requested) {
      extra["precision"] = {{"requested", result.precision},
                            {"met", result.assessment.met},
                            {"trials_used", result.trials},
                            {"max_trials", result.max_trials},
                            {"worst_cell", result.assessment.worst_cell},
                            {"worst_half_width_over_tolerance", result.assessment.worst_ratio}};
    }
    record.extra = extra.dump();
    record.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    files.emplace_back("run.json", run_json(spec, record));
    write_files_atomically(out_dir, files);
    if (args.plots) write_plots_and_summary(out_dir);
    std::cout << run_summary(spec, model, stats, record, out_dir);
    if (result.precision_requested) {
      std::cout << fmt::format(
          "Precision {:.3g}%: {} after {} trials (worst cell: {}, half-width {:.2f} x tolerance)\n",
          100.0 * result.precision, result.assessment.met ? "met" : "NOT met (--max-trials reached)", result.trials,
          result.assessment.worst_cell, result.assessment.worst_ratio);
    }
  });
  return 0;
}

int command_compare(const CompareArguments& args) {
  const Communicator& communicator = Communicator::world();
  if (args.spec_paths.empty() || args.spec_paths.size() > 2) throw UsageError("compare takes one or two specs");
  Scenario a, b;
  on_every_rank(communicator, [&] {
    SimulationArguments base = args.simulation;
    base.overrides.clear();
    a = load_scenario(args.spec_paths[0], base);
    if (args.spec_paths.size() == 1 && args.simulation.overrides.empty()) {
      throw UsageError("compare needs a second spec or at least one --set to change the first");
    }
    SimulationArguments changed = args.simulation;
    if (changed.trials < 0) changed.trials = static_cast<std::int64_t>(a.spec.trials);
    if (changed.seed.empty()) changed.seed = std::to_string(a.spec.seed);  // common random numbers
    b = load_scenario(args.spec_paths.size() == 2 ? args.spec_paths[1] : args.spec_paths[0], changed);
    check_comparable(a.spec, *a.model, b.spec, *b.model);
  });
  RunOptions options = options_for(a, args.simulation, communicator);
  options.backend = "cpu";  // pairing needs each trial's records, which only the CPU backend keeps
  PairedCounts paired(*a.model, *b.model);
  std::unique_ptr<TrialRunner> runner_a, runner_b;
  on_every_rank(communicator, [&] {
    maybe_inject_failure(communicator);
    runner_a = std::make_unique<TrialRunner>(*a.model, options);
    runner_b = std::make_unique<TrialRunner>(*b.model, options);
    const auto [first, share] = trial_share(options.trials, options.rank, options.ranks);
    const std::uint64_t batch =
        static_cast<std::uint64_t>(std::min(runner_a->batch_capacity(), runner_b->batch_capacity()));
    for (std::uint64_t done = 0; done < share; done += batch) {
      const std::int64_t count = static_cast<std::int64_t>(std::min(batch, share - done));
      runner_a->run_batch(first + done, count);
      runner_b->run_batch(first + done, count);
      paired.add(runner_a->records(), runner_b->records(), count);
    }
  });
  ForecastStatistics& stats_a = runner_a->statistics();
  ForecastStatistics& stats_b = runner_b->statistics();
  stats_a.reduce_to_root(communicator);
  stats_b.reduce_to_root(communicator);
  paired.reduce_to_root(communicator);
  on_every_rank(communicator, [&] {
    if (!communicator.is_root()) return;
    const std::string out_dir =
        args.out_dir.empty() ? "out/compare-" + a.spec.name + "-vs-" + b.spec.name : args.out_dir;
    write_files_atomically(out_dir,
                           {{"compare.csv", compare_csv(a.spec, *a.model, stats_a, *b.model, stats_b, paired)},
                            {"compare_targets.csv", compare_targets_csv(*a.model, stats_a, *b.model, stats_b)}});
    std::cout << compare_summary(a.spec, b.spec, *a.model, stats_a, *b.model, stats_b, paired);
    std::cout << "\nWrote " << out_dir << "/{compare.csv,compare_targets.csv}\n";
  });
  return 0;
}

RunTables tables_of(const Scenario& scenario, const ForecastStatistics& stats) {
  return {forecast_csv(scenario.spec, *scenario.model, stats), tranches_csv(scenario.spec, *scenario.model, stats),
          targets_csv(scenario.spec, *scenario.model, stats)};
}

std::string read_text_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(std::string("cannot read the ") + what + " " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int command_baseline(const std::string& spec_path, const std::string& output, const SimulationArguments& args) {
  const Communicator& communicator = Communicator::world();
  Scenario scenario;
  on_every_rank(communicator, [&] { scenario = load_scenario(spec_path, args); });
  const Simulated result = simulate(scenario, options_for(scenario, args, communicator), communicator);
  on_every_rank(communicator, [&] {
    if (!communicator.is_root()) return;
    const nlohmann::json baseline =
        make_baseline(scenario.spec, *scenario.model, *result.statistics, tables_of(scenario, *result.statistics));
    const std::filesystem::path path(output);
    const std::string directory = path.has_parent_path() ? path.parent_path().string() : ".";
    write_files_atomically(directory, {{path.filename().string(), baseline.dump(1) + "\n"}});
    std::cout << fmt::format("Wrote baseline {} ({} trials, seed {})\n", output, result.trials, scenario.spec.seed);
  });
  return 0;
}

int command_check(const CheckArguments& args) {
  const Communicator& communicator = Communicator::world();
  Scenario scenario;
  nlohmann::json baseline;
  on_every_rank(communicator, [&] {
    if (!(args.sigmas > 0.0)) throw UsageError("--sigmas must be positive");
    try {
      baseline = nlohmann::json::parse(read_text_file(args.baseline, "baseline"));
    } catch (const nlohmann::json::exception& e) {
      throw UsageError("the baseline " + args.baseline + " is not valid JSON: " + e.what());
    }
    SimulationArguments simulation = args.simulation;
    // The baseline's trial count; its seed only for --exact (noise is what --sigmas allows for).
    if (!baseline.contains("trials") || !baseline["trials"].is_number_unsigned()) {
      throw UsageError("the baseline " + args.baseline + " has no trial count");
    }
    simulation.trials = baseline["trials"].get<std::int64_t>();
    if (args.exact && simulation.seed.empty() && baseline.contains("seed")) {
      simulation.seed = std::to_string(baseline["seed"].get<std::uint64_t>());
    }
    scenario = load_scenario(args.spec_path, simulation);
    if (!args.exact) check_baseline_fits(baseline, scenario.spec, *scenario.model);  // before the long part
  });
  const Simulated result = simulate(scenario, options_for(scenario, args.simulation, communicator), communicator);
  int code = 0;
  on_every_rank(communicator, [&] {
    if (!communicator.is_root()) return;
    const CheckReport report = args.exact ? check_exact(baseline, tables_of(scenario, *result.statistics))
                                          : check_statistical(baseline, scenario.spec, *scenario.model,
                                                              *result.statistics, args.sigmas, !args.per_cell);
    std::cout << scenario.spec.name << ": " << check_summary(report);
    if (!args.junit.empty()) {
      const std::filesystem::path path(args.junit);
      const std::string directory = path.has_parent_path() ? path.parent_path().string() : ".";
      write_files_atomically(directory, {{path.filename().string(), junit_xml({{scenario.spec.name, report}})}});
    }
    code = report.passed() ? 0 : 1;
  });
  const auto [agreed, message] = communicator.agree(code, "");
  return agreed;
}

int command_bench(const BenchArguments& args) {
  check_threads(args.threads);
  if (Communicator::world().size() > 1) {
    throw UsageError("bench measures one process; to measure scaling over ranks, time `capplan run` under mpirun");
  }
  if (args.backend != "auto" && args.backend != "cpu" && args.backend != "cuda") {
    throw UsageError("--backend must be auto, cpu or cuda, got '" + args.backend + "'");
  }
  if (!args.report.empty() && args.report != "day" && args.report != "week" && args.report != "month") {
    throw UsageError("--report must be day, week or month, got '" + args.report + "'");
  }
  const std::uint64_t trials = checked_trials(args.trials);
  // With --backend cuda, --trials is the GPU row's count; with auto the GPU row
  // runs 100x the CPU rows' trials (a GPU needs millions to reach full speed).
  const std::uint64_t gpu_trials = args.gpu_trials > 0      ? checked_trials(args.gpu_trials, "--gpu-trials")
                                   : args.backend == "cuda" ? trials
                                                            : std::min(kMaxTrials, 100 * trials);
  const bool gpu = args.backend == "cuda" || (args.backend == "auto" && probe_cuda_device(0).available);
  const CudaOptions chosen = args.cuda.options();
  // The GPU rows: the chosen variant, or with --cuda-sweep every compiled
  // kernel variant (register cap x steps) at block sizes 64, 128 and 256.
  std::vector<CudaOptions> variants{chosen};
  if (args.cuda_sweep) {
    variants.clear();
    for (const bool called : {false, true}) {
      for (const int registers : {0, 128}) {
        for (const int block : {64, 128, 256}) {
          CudaOptions v;
          v.block_size = block;
          v.registers = registers;
          v.out_of_line_steps = called;
          variants.push_back(v);
        }
      }
    }
  }
  std::cout << fmt::format("{:<28}{:>7}{:>18}{:>12}{:>11}{:>16}{:>11}\n", "scenario", "report", "backend", "trials",
                           "seconds", "trials/s", "vs cpu x1");
  for (const std::string& path : args.spec_paths) {
    const std::vector<std::string> overrides =
        args.report.empty() ? std::vector<std::string>{} : std::vector<std::string>{"report.every=" + args.report};
    const Spec spec = load_spec_file(path, overrides);
    const CompiledModel model = build_model(spec);
    const std::string report = spec.report.every == Report::Every::day     ? "day"
                               : spec.report.every == Report::Every::week  ? "week"
                               : spec.report.every == Report::Every::month ? "month"
                                                                           : "dates";
    double cpu_rate = 0.0;  // the one-thread CPU row's, the reference for the last column
    auto measure = [&](const std::string& backend, int threads, std::uint64_t count, const CudaOptions& cuda) {
      RunOptions options;
      options.trials = count;
      options.seed = spec.seed;
      options.progress = false;
      options.threads = threads;
      options.backend = backend;
      options.cuda = cuda;
      TrialRunner runner(model, options);
      runner.run_range(0, count, options);
      const double rate = static_cast<double>(count) / runner.simulate_seconds();
      if (backend == "cpu" && cpu_rate == 0.0) cpu_rate = rate;  // measured first, on one thread
      // A GPU row names its variant: block size, register cap (r0 = none), i(nline) or c(alled) steps.
      const std::string label = backend == "cpu" ? fmt::format("cpu x{}", runner.threads())
                                                 : fmt::format("cuda b{} r{} {}", runner.cuda_block_size(),
                                                               cuda.registers, cuda.out_of_line_steps ? "c" : "i");
      // The ratio needs a one-thread CPU row of this run: "-" with --backend cuda.
      const std::string ratio = cpu_rate > 0.0 ? fmt::format("{:.2f}", rate / cpu_rate) : std::string("-");
      std::cout << fmt::format("{:<28}{:>7}{:>18}{:>12}{:>11.3f}{:>16.0f}{:>11}\n", spec.name, report, label, count,
                               runner.simulate_seconds(), rate, ratio);
      std::cout.flush();
    };
    if (args.backend != "cuda") {
      measure("cpu", 1, trials, chosen);
      if (args.threads != 1) measure("cpu", args.threads, trials, chosen);
    }
    if (gpu) {
      for (const CudaOptions& variant : variants) measure("cuda", 0, gpu_trials, variant);
    }
  }
  return 0;
}

}  // namespace

int run_cli(int argc, char** argv) {
  const std::vector<std::string> arguments(argv, argv + argc);
  CLI::App app{"capplan: Monte Carlo capacity planner for AI training clusters"};
  app.set_version_flag("--version", std::string(tool_version()) + " (" + git_revision() + ")");
  app.require_subcommand(1);

  std::string validate_path;
  std::vector<std::string> validate_overrides;
  CLI::App* validate = app.add_subcommand("validate", "Check a spec and exit (0 valid, 2 invalid)");
  validate->add_option("spec", validate_path, "Spec file (YAML)")->required();
  validate->add_option("--set", validate_overrides, "Change the spec: PATH=VALUE (repeatable)")
      ->allow_extra_args(false);

  RunArguments run_args;
  CLI::App* run = app.add_subcommand("run", "Run the Monte Carlo forecast of a spec");
  run->add_option("spec", run_args.spec_path, "Spec file (YAML)")->required();
  run->add_option("--out", run_args.out_dir, "Output directory (default out/<name>)");
  run_args.simulation.add_to(run);
  run->add_option("--precision", run_args.precision,
                  "Run until every reported quantile of available_accelerators and effective_pflops has a 95% "
                  "interval within this relative half-width (e.g. 0.5%), and targets within +-the same");
  run->add_option("--max-trials", run_args.max_trials, "Upper bound on trials with --precision (default 100 x trials)");
  run->add_option("--drivers-sample", run_args.drivers_sample,
                  "Trials (the first N) used for sensitivity.csv; 0 turns the driver analysis off (default 10000)");
  run->add_option("--driver-date", run_args.driver_date, "Date of the driver analysis (default the horizon end)");
  run->add_flag("--plots", run_args.plots, "Also draw the charts and summary.md (needs gnuplot)");

  CompareArguments compare_args;
  CLI::App* compare = app.add_subcommand(
      "compare", "Compare scenario B with A on common random numbers (B: a second spec, or A with --set changes)");
  compare->add_option("specs", compare_args.spec_paths, "A.yaml [B.yaml]")->required()->expected(1, 2);
  compare->add_option("--out", compare_args.out_dir, "Output directory (default out/compare-<A>-vs-<B>)");
  compare_args.simulation.add_to(compare, true, false);

  std::string plot_dir;
  CLI::App* plot = app.add_subcommand("plot", "Draw the charts and summary.md of a run's output directory");
  plot->add_option("outdir", plot_dir, "Output directory of a run")->required();

  std::string baseline_spec, baseline_output;
  SimulationArguments baseline_args;
  CLI::App* baseline = app.add_subcommand("baseline", "Run a spec and store its forecast as a regression baseline");
  baseline->add_option("spec", baseline_spec, "Spec file (YAML)")->required();
  baseline->add_option("-o,--output", baseline_output, "Baseline file to write (JSON)")->required();
  baseline_args.add_to(baseline);

  CheckArguments check_args;
  CLI::App* check = app.add_subcommand("check", "Re-run a spec and compare with a baseline (0 pass, 1 regression)");
  check->add_option("spec", check_args.spec_path, "Spec file (YAML)")->required();
  check->add_option("--baseline", check_args.baseline, "Baseline file from `capplan baseline`")->required();
  check->add_option("--sigmas", check_args.sigmas,
                    "False-alarm level of the whole check in combined standard errors (default 4); each cell's "
                    "limit is raised for the number of cells compared (docs/nightly.md)");
  check->add_flag("--per-cell", check_args.per_cell,
                  "Apply --sigmas to each cell as it is, without raising it for the number of cells");
  check->add_flag("--exact", check_args.exact, "Demand byte-identical tables (the baseline's seed and trials)");
  check->add_option("--junit", check_args.junit, "Also write the result as JUnit XML");
  check_args.simulation.add_to(check, false);

  CLI::App* schema = app.add_subcommand("schema", "Print the JSON Schema of the spec format");

  BenchArguments bench_args;
  CLI::App* bench = app.add_subcommand("bench", "Measure trials per second on one or more specs");
  bench->add_option("specs", bench_args.spec_paths, "Spec files (YAML)")->required();
  bench->add_option("--trials", bench_args.trials, "Trials per measurement (default 20000)");
  bench->add_option("--threads", bench_args.threads, "CPU threads for the multi-threaded row (0 = all)");
  bench->add_option("--backend", bench_args.backend, "auto (CPU rows, plus the GPU when present), cpu or cuda");
  bench->add_option("--gpu-trials", bench_args.gpu_trials,
                    "Trials for the GPU row (default: --trials with --backend cuda, else 100 x --trials)");
  bench->add_option("--report", bench_args.report, "Override the report dates: day, week or month");
  bench_args.cuda.add_to(bench);
  bench->add_flag("--cuda-sweep", bench_args.cuda_sweep,
                  "GPU rows for every kernel variant (register cap x steps) at block sizes 64, 128 and 256");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    Communicator::world().finalize();
    return code == 0 ? 0 : 2;
  }

  const Communicator& communicator = Communicator::world();
  int code = 0;
  try {
    if (*validate) {
      code = command_validate(validate_path, validate_overrides);
    } else if (*run) {
      code = command_run(run_args, arguments);
    } else if (*compare) {
      code = command_compare(compare_args);
    } else if (*plot) {
      if (communicator.is_root()) {
        write_plots_and_summary(plot_dir);
        std::cout << "Wrote the charts and summary.md in " << plot_dir << "\n";
      }
    } else if (*baseline) {
      code = command_baseline(baseline_spec, baseline_output, baseline_args);
    } else if (*check) {
      code = command_check(check_args);
    } else if (*schema) {
      if (communicator.is_root()) std::cout << spec_json_schema();
    } else if (*bench) {
      code = command_bench(bench_args);
    } else {
      code = 2;
    }
  } catch (const AgreedFailure& failure) {
    if (communicator.is_root()) std::cerr << failure.message << "\n";
    code = failure.exit_code;
  } catch (...) {
    const Failure failure = describe(std::current_exception());
    std::cerr << failure.message << "\n";
    code = failure.exit_code;
  }
  Communicator::world().finalize();
  return code;
}

}  // namespace capplan
