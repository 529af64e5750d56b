#include "planner/app/cli.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "planner/app/command_support.h"
#include "planner/app/commands.h"
#include "planner/base/build_info.h"
#include "planner/base/errors.h"
#include "planner/base/failure.h"
#include "planner/base/limits.h"
#include "planner/base/parallel.h"
#include "planner/base/printable.h"
#include "planner/engine/precision.h"

namespace capplan {

namespace {

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

// --precision: a relative half-width in kMinPrecision .. kMaxPrecision, as a
// percentage ("0.5%") or a fraction ("0.005").
double checked_precision(const std::string& text) {
  const std::string rule =
      fmt::format("--precision must be a relative half-width between {:g}% and {:g}% (e.g. 0.5% or 0.005), got '{}'",
                  100.0 * kMinPrecision, 100.0 * kMaxPrecision, text);
  double value = 0.0;
  try {
    value = parse_precision(text);
  } catch (const UsageError&) {
    throw UsageError(rule);
  }
  if (!(value >= kMinPrecision && value <= kMaxPrecision)) throw UsageError(rule);
  return value;
}

// --sigmas: finite, above 0, at most kMaxSigmas.
double checked_sigmas(double sigmas) {
  if (!(sigmas > 0.0 && sigmas <= kMaxSigmas)) {
    throw UsageError(fmt::format("--sigmas must be a number of standard errors above 0 and at most {:g}, got {}",
                                 kMaxSigmas, sigmas));
  }
  return sigmas;
}

// A count of trials that may be 0 (--drivers-sample: 0 turns it off).
std::uint64_t checked_count(std::int64_t count, const char* option, const char* zero_means) {
  if (count < 0 || static_cast<std::uint64_t>(count) > kMaxTrials) {
    throw UsageError(
        fmt::format("{} must be 0 ({}) or a number of trials up to {}, got {}", option, zero_means, kMaxTrials, count));
  }
  return static_cast<std::uint64_t>(count);
}

// A file or folder option given as an empty string (--out "") is a mistake,
// not a request for the default.
void require_path(const CLI::Option* option, const std::string& value, const char* what) {
  if (option && option->count() > 0 && value.empty()) {
    throw UsageError(option->get_name() + " must name " + what + ", got ''");
  }
}

// Whether `option` was given on the command line.
bool given(const CLI::Option* option) { return option && option->count() > 0; }

int checked_threads(int threads) {
  if (threads < 0 || threads > kMaxThreads) {
    throw UsageError("--threads must be 0 (all) or a number of threads up to " + std::to_string(kMaxThreads) +
                     ", got " + std::to_string(threads));
  }
  return threads;
}

// CAPPLAN_CUDA_SCRATCH_BYTES: the GPU's per-thread scratch budget [bytes]
// instead of min(half the free memory, 32 GiB); 0 or unset means the default.
// For tests of the out-of-memory path (a budget below one block).
std::size_t scratch_budget_from_environment() {
  const char* text = std::getenv("CAPPLAN_CUDA_SCRATCH_BYTES");
  if (!text || !*text) return 0;
  char* end = nullptr;
  errno = 0;
  const unsigned long long bytes = std::strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0' || text[0] == '-') {
    throw UsageError(std::string("CAPPLAN_CUDA_SCRATCH_BYTES must be a whole number of bytes, got '") + text + "'");
  }
  return static_cast<std::size_t>(bytes);
}

// How the cuda backend launches (CudaOptions); never changes a result. The
// defaults are backends/cuda_backend.cu's; docs/performance.md has what each
// variant measured.
struct CudaTuning {
  int block = 0;        // 0: the default
  int registers = 128;  // 128 or 0 (no cap)
  std::string steps = "inline";

  void add_to(CLI::App* command) {
    command->add_option("--cuda-block", block, "cuda backend: threads per block, a multiple of 32 (default 128)");
    command->add_option("--cuda-registers", registers,
                        "cuda backend: register cap per thread, 128 (default) or 0 (none)");
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
    options.memory_budget_bytes = scratch_budget_from_environment();
    check_cuda_options(options);  // here too, so that a bad value fails on a machine without a GPU
    return options;
  }
};

// Options shared by the commands that simulate.
struct SimulationArguments {
  std::vector<std::string> overrides;  // --set PATH=VALUE
  std::int64_t trials = 0;             // used only when --trials is given
  CLI::Option* trials_option = nullptr;
  std::string seed;  // used only when --seed is given
  CLI::Option* seed_option = nullptr;
  int threads = 0;
  bool quiet = false;
  std::string backend = "auto";
  CudaTuning cuda;
  std::string ledger;  // used only when --ledger is given
  CLI::Option* ledger_option = nullptr;

  // --ledger FILE, for the commands that record their runs.
  void add_ledger_to(CLI::App* command) {
    ledger_option = command->add_option(
        "--ledger", ledger,
        "Record this invocation in the SQLite ledger FILE (created if missing; default $CAPPLAN_LEDGER)");
  }
  void add_to(CLI::App* command, bool with_trials = true, bool with_backend = true) {
    command->add_option("--set", overrides, "Change the spec: PATH=VALUE (repeatable), e.g. tranches.t1.units=900")
        ->allow_extra_args(false);  // one PATH=VALUE per --set, so a spec path after it stays positional
    if (with_trials) {
      trials_option = command->add_option("--trials", trials, "Number of trials (overrides simulation.trials)");
    }
    seed_option = command->add_option("--seed", seed, "Random seed, 0 .. 2^64-1 (overrides simulation.seed)");
    command->add_option("--threads", threads, "CPU threads (0 = all)");
    command->add_flag("--quiet", quiet,
                      "Errors only: no progress line, backend line or summary (check still prints its one-line "
                      "verdict)");
    if (with_backend) {
      command->add_option("--backend", backend,
                          "auto (the GPU when one is present), cpu or cuda; results are identical on every backend");
      cuda.add_to(command);
    }
  }
  SimulationRequest request() const {
    SimulationRequest request;
    request.overrides = overrides;
    request.threads = checked_threads(threads);
    if (given(trials_option)) request.trials = checked_trials(trials);
    if (given(seed_option)) request.seed = parse_seed(seed);
    request.progress = !quiet;
    request.log = quiet ? nullptr : &std::cerr;
    require_path(ledger_option, ledger, "a ledger file");
    if (given(ledger_option)) request.ledger = ledger;
    return request;
  }
  BackendRequest backend_request() const { return {parse_backend(backend), cuda.options()}; }
};

struct RunArguments {
  RunRequest request;  // spec_path, out_dir and plots are read straight into it
  SimulationArguments simulation;
  std::string precision;        // empty: run the trial count
  std::int64_t max_trials = 0;  // used only when given; else 100 x the starting trials, capped at kMaxTrials
  std::int64_t drivers_sample = 10000;
  std::string driver_date;  // used only when --driver-date is given; else the horizon end
  std::string driver_scope = "total";
  CLI::Option *out_option = nullptr, *precision_option = nullptr, *max_trials_option = nullptr,
              *driver_date_option = nullptr;

  CLI::App* add_to(CLI::App& app) {
    CLI::App* run = app.add_subcommand("run", "Run the Monte Carlo forecast of a spec");
    run->add_option("spec", request.spec_path, "Spec file (YAML)")->required();
    out_option = run->add_option("--out", request.out_dir, "Output directory (default out/<name>)");
    simulation.add_to(run);
    simulation.add_ledger_to(run);
    precision_option =
        run->add_option("--precision", precision,
                        "Run until every reported quantile of available_accelerators and effective_pflops has a 95% "
                        "interval within this relative half-width (e.g. 0.5%), and targets within +-the same");
    max_trials_option = run->add_option("--max-trials", max_trials,
                                        "Upper bound on trials with --precision, 1 .. 2^32-1 (default 100 x trials)");
    run->add_option("--drivers-sample", drivers_sample,
                    "Trials (the first N) used for sensitivity.csv; 0 turns the driver analysis off (default 10000)");
    driver_date_option =
        run->add_option("--driver-date", driver_date, "Date of the driver analysis (default the horizon end)");
    run->add_option("--driver-scope", driver_scope,
                    "Scope of the driver analysis: total (default), site:<id>, system:<id> or largest-site");
    run->add_flag("--plots", request.plots, "Also draw the charts and summary.md (needs gnuplot)");
    return run;
  }
  RunRequest make(const std::vector<std::string>& argv) const {
    RunRequest out = request;
    require_path(out_option, out.out_dir, "an output folder");
    out.drivers_sample = checked_count(drivers_sample, "--drivers-sample", "off");
    if (given(precision_option)) out.precision = PrecisionGoal{checked_precision(precision), 0};
    out.simulation = simulation.request();
    if (given(driver_date_option)) {
      out.driver_date = parse_date(driver_date);
      if (!out.driver_date) throw UsageError("--driver-date must be a date YYYY-MM-DD, got '" + driver_date + "'");
    }
    const auto scope = parse_scope(driver_scope);
    if (!scope) {
      throw UsageError("--driver-scope must be total, site:<id>, system:<id> or largest-site, got '" +
                       printable(driver_scope) + "'");
    }
    out.driver_scope = *scope;
    if (given(max_trials_option)) {
      const std::uint64_t cap = checked_trials(max_trials, "--max-trials");
      if (!out.precision) throw UsageError("--max-trials bounds a run to a precision: it needs --precision");
      out.precision->max_trials = cap;
    }
    out.backend = simulation.backend_request();
    out.argv = argv;
    return out;
  }
};

struct CompareArguments {
  std::vector<std::string> spec_paths;  // A, or A and B
  std::string out_dir;
  CLI::Option* out_option = nullptr;
  SimulationArguments simulation;

  CLI::App* add_to(CLI::App& app) {
    CLI::App* compare = app.add_subcommand(
        "compare", "Compare scenario B with A on common random numbers (B: a second spec, or A with --set changes)");
    compare->add_option("specs", spec_paths, "A.yaml [B.yaml]")->required()->expected(1, 2);
    out_option = compare->add_option("--out", out_dir, "Output directory (default out/compare-<A>-vs-<B>)");
    simulation.add_to(compare, true, false);
    simulation.add_ledger_to(compare);
    return compare;
  }
  CompareRequest make() const {
    if (spec_paths.empty() || spec_paths.size() > 2) throw UsageError("compare takes one or two specs");
    require_path(out_option, out_dir, "an output folder");
    CompareRequest request;
    request.spec_a = spec_paths[0];
    if (spec_paths.size() == 2) request.spec_b = spec_paths[1];
    request.out_dir = out_dir;
    request.simulation = simulation.request();
    return request;
  }
};

struct SweepArguments {
  SweepRequest request;  // spec_path, vary and out_dir are read straight into it
  SimulationArguments simulation;
  bool no_plots = false;
  CLI::Option* out_option = nullptr;

  CLI::App* add_to(CLI::App& app) {
    CLI::App* sweep = app.add_subcommand(
        "sweep", "Simulate a grid of input values on common random numbers: P(target) and milestones at each point");
    sweep->add_option("spec", request.spec_path, "Spec file (YAML)")->required();
    sweep
        ->add_option("--vary", request.vary,
                     "PATH=VALUES (repeatable; several form a grid, the first varying slowest): a YAML flow sequence "
                     "[600, 700], a comma list 600,700 or a range LO:HI[:STEP] of numbers or dates")
        ->required()
        ->allow_extra_args(false);
    out_option = sweep->add_option("--out", request.out_dir, "Output directory (default out/sweep-<name>)");
    simulation.add_to(sweep);
    simulation.add_ledger_to(sweep);
    sweep->add_flag("--no-plots", no_plots, "Do not draw the charts sweep-<target>.svg/.png");
    return sweep;
  }
  SweepRequest make(const std::vector<std::string>& argv) const {
    SweepRequest out = request;
    require_path(out_option, out.out_dir, "an output folder");
    out.simulation = simulation.request();
    out.backend = simulation.backend_request();
    out.plots = !no_plots;
    out.argv = argv;
    return out;
  }
};

struct SolveArguments {
  SolveRequest request;  // spec_path, target, probability, vary and out_dir are read straight into it
  SimulationArguments simulation;
  std::string direction = "min";
  CLI::Option* out_option = nullptr;

  CLI::App* add_to(CLI::App& app) {
    CLI::App* solve = app.add_subcommand(
        "solve",
        "Find the smallest (or largest) value of one input at which P(target met) reaches a probability "
        "(0 found, 1 not achievable in the range)");
    solve->add_option("spec", request.spec_path, "Spec file (YAML)")->required();
    solve->add_option("--target", request.target, "The target (an id under targets)")->required();
    solve->add_option("--probability", request.probability, "Required P(target met), between 0 and 1")->required();
    solve->add_option("--vary", request.vary, "PATH=LO:HI[:STEP]: the input and its grid (numbers or dates)")
        ->required();
    solve->add_option("--direction", direction,
                      "min (default): the smallest value that meets it; max: the largest (e.g. a latest date)");
    out_option = solve->add_option("--out", request.out_dir, "Output directory (default out/solve-<name>)");
    simulation.add_to(solve);
    simulation.add_ledger_to(solve);
    return solve;
  }
  SolveRequest make(const std::vector<std::string>& argv) const {
    SolveRequest out = request;
    require_path(out_option, out.out_dir, "an output folder");
    if (direction != "min" && direction != "max") {
      throw UsageError("--direction must be min or max, got '" + printable(direction) + "'");
    }
    out.maximize = direction == "max";
    out.simulation = simulation.request();
    out.backend = simulation.backend_request();
    out.argv = argv;
    return out;
  }
};

struct CheckArguments {
  CheckRequest request;  // spec_path, baseline_path, sigmas, per_cell, exact and junit are read straight into it
  SimulationArguments simulation;
  CLI::Option *baseline_option = nullptr, *junit_option = nullptr;

  CLI::App* add_to(CLI::App& app) {
    CLI::App* check = app.add_subcommand("check", "Re-run a spec and compare with a baseline (0 pass, 1 regression)");
    check->add_option("spec", request.spec_path, "Spec file (YAML)")->required();
    baseline_option =
        check->add_option("--baseline", request.baseline_path, "Baseline file from `capplan baseline`")->required();
    check->add_option("--sigmas", request.sigmas,
                      "False-alarm level of the whole check in combined standard errors, above 0 and at most 100 "
                      "(default 4); each cell's "
                      "limit is raised for the number of cells compared (docs/nightly.md)");
    check->add_flag("--per-cell", request.per_cell,
                    "Apply --sigmas to each cell as it is, without raising it for the number of cells");
    check->add_flag("--exact", request.exact, "Demand byte-identical tables (the baseline's seed and trials)");
    junit_option = check->add_option("--junit", request.junit, "Also write the result as JUnit XML");
    simulation.add_to(check, false);
    simulation.add_ledger_to(check);
    return check;
  }
  CheckRequest make() const {
    CheckRequest out = request;
    require_path(baseline_option, out.baseline_path, "a baseline file");
    require_path(junit_option, out.junit, "a file");
    out.sigmas = checked_sigmas(out.sigmas);
    out.simulation = simulation.request();
    out.backend = simulation.backend_request();
    return out;
  }
};

// "A,B": two run ids.
std::pair<std::int64_t, std::int64_t> parse_run_pair(const std::string& text) {
  const std::string rule = "--runs must be two run ids A,B (e.g. 12,17), got '" + printable(text) + "'";
  const std::size_t comma = text.find(',');
  if (comma == std::string::npos) throw UsageError(rule);
  const auto id = [&](const std::string& part) {
    if (part.empty() || part.size() > 18 || part.find_first_not_of("0123456789") != std::string::npos) {
      throw UsageError(rule);
    }
    return static_cast<std::int64_t>(std::stoll(part));
  };
  return {id(text.substr(0, comma)), id(text.substr(comma + 1))};
}

struct HistoryArguments {
  HistoryRequest request;  // filter.all, filter.spec, filter.target and plot_dir are read straight into it
  std::string ledger, since, format = "table", runs;
  std::int64_t last = 0;
  CLI::Option *ledger_option = nullptr, *spec_option = nullptr, *target_option = nullptr, *last_option = nullptr,
              *since_option = nullptr, *plot_option = nullptr, *runs_option = nullptr;

  CLI::App* add_to(CLI::App& app) {
    CLI::App* history = app.add_subcommand(
        "history",
        "Show how target probabilities moved from run to run in a ledger, and which spec changes moved them");
    ledger_option = history->add_option("--ledger", ledger, "The SQLite ledger to read (default $CAPPLAN_LEDGER)");
    spec_option = history->add_option("--spec", request.filter.spec, "Only the runs of this spec name");
    target_option = history->add_option("--target", request.filter.target, "Only this target");
    last_option = history->add_option("--last", last, "Only the last N runs (after the other filters)");
    since_option = history->add_option("--since", since, "Only runs started on or after this date (YYYY-MM-DD, UTC)");
    history->add_flag("--all", request.filter.all, "Also compare, sweep and solve runs (default: run and check)");
    history->add_option("--format", format, "table (default), csv, json or md");
    plot_option = history->add_option("--plot", request.plot_dir,
                                      "Also write a trend chart per target, history.md and history.csv into DIR");
    runs_option = history->add_option("--runs", runs, "A,B: everything that differs between runs A and B");
    return history;
  }
  HistoryRequest make() const {
    HistoryRequest out = request;
    require_path(ledger_option, ledger, "a ledger file");
    require_path(plot_option, out.plot_dir, "an output folder");
    if (given(ledger_option)) out.ledger = ledger;
    const auto format_value = parse_table_format(format);
    if (!format_value) throw UsageError("--format must be table, csv, json or md, got '" + printable(format) + "'");
    out.format = *format_value;
    if (given(last_option)) {
      if (last < 1) throw UsageError("--last must be a number of runs of at least 1, got " + std::to_string(last));
      out.filter.last = static_cast<std::size_t>(last);
    }
    if (given(since_option)) {
      if (!parse_date(since)) throw UsageError("--since must be a date YYYY-MM-DD, got '" + printable(since) + "'");
      out.filter.since = since;
    }
    if (given(runs_option)) {
      for (const CLI::Option* other : {spec_option, target_option, last_option, since_option, plot_option}) {
        if (given(other)) throw UsageError("--runs compares two runs and takes no " + other->get_name());
      }
      if (out.filter.all) throw UsageError("--runs compares two runs and takes no --all");
      out.runs = parse_run_pair(runs);
    }
    return out;
  }
};

struct BenchArguments {
  std::vector<std::string> spec_paths;
  std::int64_t trials = 20000;
  std::int64_t gpu_trials = 0;  // 0: 100 x --trials
  int threads = 0;
  std::string backend = "auto";
  std::string report;  // used only when given: day, week or month
  CLI::Option *report_option = nullptr, *gpu_trials_option = nullptr;
  CudaTuning cuda;
  bool cuda_sweep = false;  // a GPU row for every kernel variant and block size

  CLI::App* add_to(CLI::App& app) {
    CLI::App* bench = app.add_subcommand("bench", "Measure trials per second on one or more specs");
    bench->add_option("specs", spec_paths, "Spec files (YAML)")->required();
    bench->add_option("--trials", trials, "Trials per measurement (default 20000)");
    bench->add_option("--threads", threads, "CPU threads for the multi-threaded row (0 = all)");
    bench->add_option("--backend", backend, "auto (CPU rows, plus the GPU when present), cpu or cuda");
    gpu_trials_option =
        bench->add_option("--gpu-trials", gpu_trials,
                          "Trials for the GPU row (default: --trials with --backend cuda, else 100 x --trials)");
    report_option = bench->add_option("--report", report, "Override the report dates: day, week or month");
    cuda.add_to(bench);
    bench->add_flag("--cuda-sweep", cuda_sweep,
                    "GPU rows for every kernel variant (register cap x steps) at block sizes 64, 128 and 256");
    return bench;
  }
  BenchRequest make() const {
    BenchRequest request;
    request.spec_paths = spec_paths;
    request.threads = checked_threads(threads);
    request.backend.backend = parse_backend(backend);
    if (report == "day") request.report = Report::Every::day;
    if (report == "week") request.report = Report::Every::week;
    if (report == "month") request.report = Report::Every::month;
    if (given(report_option) && !request.report) {
      throw UsageError("--report must be day, week or month, got '" + report + "'");
    }
    request.trials = checked_trials(trials);
    if (given(gpu_trials_option)) request.gpu_trials = checked_trials(gpu_trials, "--gpu-trials");
    request.backend.cuda = cuda.options();
    request.cuda_sweep = cuda_sweep;
    return request;
  }
};

// Prints a command's report on stdout, its user text escaped (printable.h).
void print_report(const std::string& report) { std::cout << printable(report, Newlines::kKeep); }

// A report's first line: check's verdict, all that --quiet keeps of it.
std::string first_line(const std::string& report) {
  const std::size_t end = report.find('\n');
  return end == std::string::npos ? report : report.substr(0, end + 1);
}

// Every command's options, registered on one CLI11 app.
struct CommandLine {
  CLI::App app{"capplan: Monte Carlo capacity planner for AI training clusters"};
  ValidateRequest validate_request;
  RunArguments run_args;
  CompareArguments compare_args;
  PlotRequest plot_request;
  BaselineRequest baseline_request;  // spec_path and output are read straight into it
  SimulationArguments baseline_simulation;
  CLI::Option* baseline_output = nullptr;
  CheckArguments check_args;
  SweepArguments sweep_args;
  SolveArguments solve_args;
  BenchArguments bench_args;
  HistoryArguments history_args;
  CLI::App *validate, *run, *compare, *plot, *baseline, *check, *sweep, *solve, *schema, *bench, *history;

  CommandLine() {
    app.set_version_flag("--version", std::string(tool_version()) + " (" + git_revision() + ")");
    app.require_subcommand(1);
    validate = app.add_subcommand("validate", "Check a spec and exit (0 valid, 2 invalid)");
    validate->add_option("spec", validate_request.spec_path, "Spec file (YAML)")->required();
    validate->add_option("--set", validate_request.overrides, "Change the spec: PATH=VALUE (repeatable)")
        ->allow_extra_args(false);
    run = run_args.add_to(app);
    compare = compare_args.add_to(app);
    plot = app.add_subcommand("plot", "Draw the charts and summary.md of a run's output directory");
    plot->add_option("outdir", plot_request.out_dir, "Output directory of a run")->required();
    baseline = app.add_subcommand("baseline", "Run a spec and store its forecast as a regression baseline");
    baseline->add_option("spec", baseline_request.spec_path, "Spec file (YAML)")->required();
    baseline_output =
        baseline->add_option("-o,--output", baseline_request.output, "Baseline file to write (JSON)")->required();
    baseline_simulation.add_to(baseline);
    check = check_args.add_to(app);
    sweep = sweep_args.add_to(app);
    solve = solve_args.add_to(app);
    schema = app.add_subcommand("schema", "Print the JSON Schema of the spec format");
    bench = bench_args.add_to(app);
    history = history_args.add_to(app);
  }

  // Builds the parsed command's request (on every rank, so that a bad option
  // is reported once), runs it and prints its report; returns the exit code.
  int execute(const std::vector<std::string>& argv) {
    const Communicator& communicator = Communicator::world();
    if (*validate) print_report(validate_command(validate_request).report);
    if (*run) {
      RunRequest request;
      on_every_rank(communicator, [&] { request = run_args.make(argv); });
      const RunOutcome outcome = run_command(request);
      if (!run_args.simulation.quiet) print_report(outcome.report);
    }
    if (*compare) {
      CompareRequest request;
      on_every_rank(communicator, [&] { request = compare_args.make(); });
      const CompareOutcome outcome = compare_command(request);
      if (!compare_args.simulation.quiet) print_report(outcome.report);
    }
    if (*plot) print_report(plot_command(plot_request).report);
    if (*baseline) {
      BaselineRequest request = baseline_request;
      on_every_rank(communicator, [&] {
        require_path(baseline_output, request.output, "a baseline file to write");
        request.simulation = baseline_simulation.request();
        request.backend = baseline_simulation.backend_request();
      });
      const BaselineOutcome outcome = baseline_command(request);
      if (!baseline_simulation.quiet) print_report(outcome.report);
    }
    if (*check) {
      CheckRequest request;
      on_every_rank(communicator, [&] { request = check_args.make(); });
      const CheckOutcome outcome = check_command(request);
      print_report(check_args.simulation.quiet ? first_line(outcome.report) : outcome.report);
      return outcome.exit_code;
    }
    if (*sweep) {
      SweepRequest request;
      on_every_rank(communicator, [&] { request = sweep_args.make(argv); });
      const SweepOutcome outcome = sweep_command(request);
      if (!sweep_args.simulation.quiet) print_report(outcome.report);
    }
    if (*solve) {
      SolveRequest request;
      on_every_rank(communicator, [&] { request = solve_args.make(argv); });
      const SolveOutcome outcome = solve_command(request);
      print_report(solve_args.simulation.quiet ? first_line(outcome.report) : outcome.report);
      std::cerr << printable(outcome.warnings, Newlines::kKeep);
      return outcome.exit_code;
    }
    if (*schema) print_report(schema_command().report);
    if (*bench) bench_command(bench_args.make(), std::cout);
    if (*history) {
      HistoryRequest request;
      on_every_rank(communicator, [&] { request = history_args.make(); });
      print_report(history_command(request).report);
    }
    return 0;
  }
};

}  // namespace

int run_cli(int argc, char** argv) {
  CommandLine line;
  try {
    line.app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11's message quotes the arguments: printed escaped, like every error.
    std::ostringstream out, err;
    const int code = line.app.exit(e, out, err);
    std::cout << out.str();
    std::cerr << printable(err.str(), Newlines::kKeep);
    Communicator::world().finalize();
    return code == 0 ? 0 : 2;
  }
  int code = 0;
  try {
    code = line.execute(std::vector<std::string>(argv, argv + argc));
  } catch (...) {
    const Failure failure = describe_failure(std::current_exception());
    if (failure.print) std::cerr << failure.message << "\n";
    code = failure.exit_code;
  }
  Communicator::world().finalize();
  return code;
}

}  // namespace capplan
