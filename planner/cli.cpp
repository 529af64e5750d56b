#include "planner/cli.h"

#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "planner/build_info.h"
#include "planner/errors.h"
#include "planner/model_builder.h"
#include "planner/output_files.h"
#include "planner/reports.h"
#include "planner/run_driver.h"
#include "planner/spec_loader.h"

namespace capplan {

namespace {

struct RunArguments {
  std::string spec_path;
  std::string out_dir;
  std::int64_t trials = -1;  // -1: the spec's
  std::string seed;          // empty: the spec's
  int threads = 0;
  bool quiet = false;
};

struct BenchArguments {
  std::vector<std::string> spec_paths;
  std::int64_t trials = 20000;
  int threads = 0;
};

std::uint64_t parse_seed(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || text.size() > 20) {
    throw UsageError("--seed must be an integer between 0 and 18446744073709551615, got '" + text + "'");
  }
  try {
    return std::stoull(text);
  } catch (const std::exception&) {
    throw UsageError("--seed must be an integer between 0 and 18446744073709551615, got '" + text + "'");
  }
}

void check_threads(int threads) {
  if (threads < 0) throw UsageError("--threads must be 0 (all) or a positive number, got " + std::to_string(threads));
}

int command_validate(const std::string& path) {
  const Spec spec = load_spec_file(path);
  build_model(spec);  // checks what only compiling can (stream ids, correlations)
  std::cout << fmt::format("{}: valid spec '{}' ({} tranches, {} sites, {} risks, horizon {} .. {})\n", path,
                           spec.name, spec.tranches.size(), spec.sites.size(), spec.risks.size(),
                           format_date(spec.horizon.start), format_date(spec.horizon.end));
  return 0;
}

int command_run(const RunArguments& args, const std::vector<std::string>& argv) {
  const auto wall_start = std::chrono::steady_clock::now();
  check_threads(args.threads);
  Spec spec = load_spec_file(args.spec_path);
  if (args.trials >= 0) {
    if (args.trials < 1 || static_cast<std::uint64_t>(args.trials) > kMaxTrials) {
      throw UsageError("--trials must be between 1 and " + std::to_string(kMaxTrials) + ", got " +
                       std::to_string(args.trials));
    }
    spec.trials = static_cast<std::uint64_t>(args.trials);
  }
  if (!args.seed.empty()) spec.seed = parse_seed(args.seed);
  const CompiledModel model = build_model(spec);

  RunOptions options;
  options.trials = spec.trials;
  options.seed = spec.seed;
  options.threads = args.threads;
  options.progress = !args.quiet;
  const RunResult result = run_simulation(model, options);

  const std::string out_dir = args.out_dir.empty() ? "out/" + spec.name : args.out_dir;
  RunRecord record;
  record.argv = argv;
  record.spec_sha256 = sha256_hex(spec.source_text);
  record.seed = spec.seed;
  record.trials = spec.trials;
  record.backend = result.backend;
  record.device = "cpu";
  record.threads = result.threads;
  record.batch_trials = result.batch_trials;
  record.simulate_seconds = result.simulate_seconds;
  record.outputs = {"forecast.csv", "tranches.csv", "targets.csv", "run.json"};
  const ForecastStatistics& stats = *result.statistics;
  std::vector<std::pair<std::string, std::string>> files = {
      {"forecast.csv", forecast_csv(spec, model, stats)},
      {"tranches.csv", tranches_csv(spec, model, stats)},
      {"targets.csv", targets_csv(spec, model, stats)}};
  record.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  files.emplace_back("run.json", run_json(spec, record));
  write_files_atomically(out_dir, files);
  std::cout << run_summary(spec, model, stats, record, out_dir);
  return 0;
}

int command_bench(const BenchArguments& args) {
  check_threads(args.threads);
  if (args.trials < 1 || static_cast<std::uint64_t>(args.trials) > kMaxTrials) {
    throw UsageError("--trials must be between 1 and " + std::to_string(kMaxTrials));
  }
  std::cout << fmt::format("{:<28}{:>9}{:>9}{:>12}{:>11}{:>16}\n", "scenario", "backend", "threads", "trials",
                           "seconds", "trials/s");
  for (const std::string& path : args.spec_paths) {
    const Spec spec = load_spec_file(path);
    const CompiledModel model = build_model(spec);
    std::vector<int> thread_counts = {1};
    RunOptions options;
    options.trials = static_cast<std::uint64_t>(args.trials);
    options.seed = spec.seed;
    options.progress = false;
    const int all = args.threads > 0 ? args.threads : 0;
    if (all != 1) thread_counts.push_back(all);
    for (int threads : thread_counts) {
      options.threads = threads;
      const RunResult result = run_simulation(model, options);
      std::cout << fmt::format("{:<28}{:>9}{:>9}{:>12}{:>11.3f}{:>16.0f}\n", spec.name, result.backend, result.threads,
                               options.trials, result.simulate_seconds,
                               static_cast<double>(options.trials) / result.simulate_seconds);
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
  CLI::App* validate = app.add_subcommand("validate", "Check a spec and exit (0 valid, 2 invalid)");
  validate->add_option("spec", validate_path, "Spec file (YAML)")->required();

  RunArguments run_args;
  CLI::App* run = app.add_subcommand("run", "Run the Monte Carlo forecast of a spec");
  run->add_option("spec", run_args.spec_path, "Spec file (YAML)")->required();
  run->add_option("--out", run_args.out_dir, "Output directory (default out/<name>)");
  run->add_option("--trials", run_args.trials, "Number of trials (overrides simulation.trials)");
  run->add_option("--seed", run_args.seed, "Random seed, 0 .. 2^64-1 (overrides simulation.seed)");
  run->add_option("--threads", run_args.threads, "CPU threads (0 = all)");
  run->add_flag("--quiet", run_args.quiet, "No progress line on stderr");

  BenchArguments bench_args;
  CLI::App* bench = app.add_subcommand("bench", "Measure trials per second on one or more specs");
  bench->add_option("specs", bench_args.spec_paths, "Spec files (YAML)")->required();
  bench->add_option("--trials", bench_args.trials, "Trials per measurement (default 20000)");
  bench->add_option("--threads", bench_args.threads, "CPU threads for the multi-threaded row (0 = all)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  try {
    if (*validate) return command_validate(validate_path);
    if (*run) return command_run(run_args, arguments);
    if (*bench) return command_bench(bench_args);
    return 2;
  } catch (const SpecError& e) {
    std::cerr << e.what() << "\n";
    std::cerr << fmt::format("capplan: {} error{} in the spec; nothing was written\n", e.diagnostics().size(),
                             e.diagnostics().size() == 1 ? "" : "s");
    return e.exit_code();
  } catch (const Error& e) {
    std::cerr << "capplan: error: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    std::cerr << "capplan: error: out of memory\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "capplan: internal error: " << e.what() << "\n";
    return 3;
  }
}

}  // namespace capplan
