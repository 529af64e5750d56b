// capplan baseline and capplan check: storing a run as a regression baseline
// and comparing a fresh run with it (the document: baseline.h; the comparison:
// regression.h).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "planner/app/command_support.h"
#include "planner/app/commands.h"
#include "planner/base/errors.h"
#include "planner/base/failure.h"
#include "planner/base/limits.h"
#include "planner/base/text_file.h"
#include "planner/engine/engine.h"
#include "planner/output/output_files.h"

namespace capplan {

namespace {

// The baseline document at `path`, validated; a UsageError if it cannot be
// read, parsed or is not a valid baseline.
nlohmann::json read_baseline(const std::string& path) {
  std::string text;
  if (const auto problem = read_text_file(path, "baseline " + path, text, kMaxBaselineFileBytes)) {
    throw UsageError(*problem);
  }
  return parse_baseline(text, path);
}

// The scenario to check: the baseline's trial count, and its seed with --exact
// unless the request names one (noise is what --sigmas allows for).
// The baseline has passed validate_baseline: its trials and seed are in range.
Scenario load_checked_scenario(const CheckRequest& request, const nlohmann::json& baseline) {
  SimulationRequest simulation = request.simulation;
  simulation.trials = baseline["trials"].get<std::uint64_t>();
  if (request.exact && !simulation.seed) simulation.seed = baseline["seed"].get<std::uint64_t>();
  Scenario scenario = load_scenario(request.spec_path, simulation);
  check_baseline_spec(baseline, scenario.spec, request.baseline_path);
  return scenario;
}

}  // namespace

BaselineOutcome baseline_command(const BaselineRequest& request) {
  const Communicator& communicator = Communicator::world();
  Scenario scenario;
  on_every_rank(communicator, [&] { scenario = load_scenario(request.spec_path, request.simulation); });
  const Simulation simulation =
      simulate(scenario.spec, *scenario.model, run_options(scenario, request.simulation, request.backend, communicator),
               communicator, std::nullopt, request.simulation.log);
  BaselineOutcome outcome;
  outcome.trials = simulation.trials;
  outcome.seed = scenario.spec.seed;
  on_every_rank(communicator, [&] {
    if (!communicator.is_root()) return;
    const nlohmann::json baseline =
        make_baseline(scenario.spec, *scenario.model, *simulation.statistics,
                      checked_tables(scenario.spec, *scenario.model, *simulation.statistics));
    write_file_atomically(request.output, baseline.dump(1) + "\n");
    outcome.report =
        fmt::format("Wrote baseline {} ({} trials, seed {})\n", request.output, simulation.trials, scenario.spec.seed);
  });
  return outcome;
}

CheckOutcome check_command(const CheckRequest& request) {
  const auto wall_start = std::chrono::steady_clock::now();
  const Communicator& communicator = Communicator::world();
  Scenario scenario;
  nlohmann::json baseline;
  std::optional<Ledger> ledger;
  on_every_rank(communicator, [&] {
    ledger = open_ledger(request.simulation, communicator);
    if (!(request.sigmas > 0.0 && request.sigmas <= kMaxSigmas)) {
      throw UsageError(fmt::format("--sigmas must be a number of standard errors above 0 and at most {:g}, got {}",
                                   kMaxSigmas, request.sigmas));
    }
    baseline = read_baseline(request.baseline_path);
    scenario = load_checked_scenario(request, baseline);
    if (!request.exact) check_baseline_fits(baseline, scenario.spec, *scenario.model);  // before the long part
  });
  const Simulation simulation =
      simulate(scenario.spec, *scenario.model, run_options(scenario, request.simulation, request.backend, communicator),
               communicator, std::nullopt, request.simulation.log);
  CheckOutcome outcome;
  int code = 0;
  on_every_rank(communicator, [&] {
    if (!communicator.is_root()) return;
    const ForecastStatistics& stats = *simulation.statistics;
    outcome.check = request.exact ? check_exact(baseline, checked_tables(scenario.spec, *scenario.model, stats))
                                  : check_statistical(baseline, scenario.spec, *scenario.model, stats, request.sigmas,
                                                      !request.per_cell);
    outcome.report = scenario.spec.name + ": " + check_summary(outcome.check);
    if (!request.junit.empty()) write_file_atomically(request.junit, junit_xml({{scenario.spec.name, outcome.check}}));
    code = outcome.check.passed() ? 0 : 1;
    record_in_ledger(ledger, [&] {
      return std::vector<LedgerRun>{
          simulated_run("check", scenario, stats, simulation.backend, wall_start, code == 0 ? "ok" : "regression")};
    });
  });
  outcome.exit_code = communicator.agree(code, "").first;
  return outcome;
}

}  // namespace capplan
