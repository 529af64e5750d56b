#include "planner/cli.h"

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <exception>
#include <memory>
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
#include "planner/parallel.h"
#include "planner/reports.h"
#include "planner/run_driver.h"
#include "planner/spec_loader.h"

namespace capplan {

namespace {

// A failure every rank has agreed on; printed once, by rank 0.
struct AgreedFailure {
  int exit_code;
  std::string message;
};

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
  if (Communicator::world().is_root()) std::cout << fmt::format("{}: valid spec '{}' ({} tranches, {} sites, {} risks, horizon {} .. {})\n", path,
                           spec.name, spec.tranches.size(), spec.sites.size(), spec.risks.size(),
                           format_date(spec.horizon.start), format_date(spec.horizon.end));
  return 0;
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

// Runs one phase of a run on every rank; if any rank failed, every rank
// throws the first failing rank's failure (so no rank waits forever).
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

int command_run(const RunArguments& args, const std::vector<std::string>& argv) {
  const auto wall_start = std::chrono::steady_clock::now();
  const Communicator& communicator = Communicator::world();
  Spec spec;
  std::unique_ptr<CompiledModel> model;
  on_every_rank(communicator, [&] {
    check_threads(args.threads);
    spec = load_spec_file(args.spec_path);
    if (args.trials >= 0) {
      if (args.trials < 1 || static_cast<std::uint64_t>(args.trials) > kMaxTrials) {
        throw UsageError("--trials must be between 1 and " + std::to_string(kMaxTrials) + ", got " +
                         std::to_string(args.trials));
      }
      spec.trials = static_cast<std::uint64_t>(args.trials);
    }
    if (!args.seed.empty()) spec.seed = parse_seed(args.seed);
    model = std::make_unique<CompiledModel>(build_model(spec));
  });

  RunOptions options;
  options.trials = spec.trials;
  options.seed = spec.seed;
  options.threads = args.threads;
  options.progress = !args.quiet && communicator.is_root();
  options.rank = communicator.rank();
  options.ranks = communicator.size();
  RunResult result;
  on_every_rank(communicator, [&] {
    // Fault injection for the multi-rank failure tests: CAPPLAN_FAIL_RANK=r fails rank r here.
    const char* fail_rank = std::getenv("CAPPLAN_FAIL_RANK");
    if (fail_rank && std::to_string(communicator.rank()) == fail_rank) {
      throw RuntimeFailure("injected failure (CAPPLAN_FAIL_RANK) while simulating");
    }
    result = run_simulation(*model, options);
  });
  result.statistics->reduce_to_root(communicator);
  const double simulate_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const std::vector<std::string> processes = communicator.gather_to_root(
      fmt::format("{{\"rank\": {}, \"host\": \"{}\", \"backend\": \"{}\", \"device\": \"cpu\", \"threads\": {}}}",
                  communicator.rank(), communicator.processor_name(), result.backend, result.threads));

  on_every_rank(communicator, [&] {
    if (!communicator.is_root()) return;
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
    record.ranks = communicator.size();
    record.processes = processes;
    // With several ranks the slowest rank sets the pace: use this rank's whole span.
    record.simulate_seconds = communicator.size() > 1 ? simulate_seconds : result.simulate_seconds;
    record.outputs = {"forecast.csv", "tranches.csv", "targets.csv", "run.json"};
    const ForecastStatistics& stats = *result.statistics;
    std::vector<std::pair<std::string, std::string>> files = {
        {"forecast.csv", forecast_csv(spec, *model, stats)},
        {"tranches.csv", tranches_csv(spec, *model, stats)},
        {"targets.csv", targets_csv(spec, *model, stats)}};
    record.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    files.emplace_back("run.json", run_json(spec, record));
    write_files_atomically(out_dir, files);
    std::cout << run_summary(spec, *model, stats, record, out_dir);
  });
  return 0;
}

int command_bench(const BenchArguments& args) {
  check_threads(args.threads);
  if (Communicator::world().size() > 1) {
    throw UsageError("bench measures one process; to measure scaling over ranks, time `capplan run` under mpirun");
  }
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

  const Communicator& communicator = Communicator::world();
  int code = 0;
  try {
    if (*validate) {
      code = command_validate(validate_path);
    } else if (*run) {
      code = command_run(run_args, arguments);
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
