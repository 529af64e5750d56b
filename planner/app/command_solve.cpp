// capplan solve: the smallest or largest value of one input that meets a
// target with a required probability.
#include <chrono>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "planner/analysis/solve.h"
#include "planner/app/command_support.h"
#include "planner/app/commands.h"
#include "planner/app/sweep_points.h"
#include "planner/base/errors.h"
#include "planner/base/failure.h"
#include "planner/base/printable.h"
#include "planner/engine/intervals.h"
#include "planner/output/output_files.h"

namespace capplan {

namespace {

std::string solve_out_dir(const SolveRequest& request, const Spec& spec) {
  return request.out_dir.empty() ? "out/solve-" + spec.name : request.out_dir;
}

// The --vary option as a range of numbers or dates; a UsageError otherwise.
VaryOption solve_range(const SolveRequest& request) {
  VaryOption vary = parse_vary(request.vary);
  if (!vary.range) {
    throw UsageError("solve --vary " + printable(request.vary) +
                     ": the values must be a range LO:HI[:STEP] of numbers or of ISO dates");
  }
  check_vary_paths({vary}, request.simulation.overrides);
  return vary;
}

// The index of the target the request names in the spec; a UsageError listing the targets otherwise.
std::size_t target_index(const Spec& spec, const std::string& target) {
  std::string known;
  for (std::size_t k = 0; k < spec.targets.size(); ++k) {
    if (spec.targets[k].id == target) return k;
    known += (known.empty() ? "" : ", ") + spec.targets[k].id;
  }
  throw UsageError(fmt::format("--target {}: the spec {} has no such target ({})", printable(target), spec.name,
                               known.empty() ? "it has none" : "its targets: " + known));
}

void check_probability(double probability) {
  if (!(probability > 0.0 && probability < 1.0)) {
    throw UsageError(fmt::format("--probability must lie strictly between 0 and 1, got {}", probability));
  }
}

}  // namespace

SolveOutcome solve_command(const SolveRequest& request) {
  const Communicator& communicator = Communicator::world();
  std::optional<PointRunner> runner;
  std::optional<VaryOption> vary;
  Spec spec;
  std::size_t target = 0;
  std::optional<Ledger> ledger;
  std::vector<LedgerRun> recorded;  // one run per evaluation, when there is a ledger
  on_every_rank(communicator, [&] {
    ledger = open_ledger(request.simulation, communicator);
    check_probability(request.probability);
    vary.emplace(solve_range(request));
    runner.emplace(request.spec_path, request.simulation, request.backend);
    spec = runner->load({}, "").spec;
    target = target_index(spec, request.target);
    if (communicator.is_root()) check_result_set_target(solve_out_dir(request, spec));
  });
  const bool progress = request.simulation.progress && communicator.is_root();
  // One grid value, simulated on every rank; rank 0 holds the probability.
  auto evaluate = [&](std::uint64_t index) {
    SolveEvaluation evaluation;
    evaluation.index = index;
    evaluation.value = vary->range->value(index);
    const std::vector<std::string> changes = {vary->path + "=" + evaluation.value.text};
    std::optional<Scenario> scenario;
    on_every_rank(communicator,
                  [&] { scenario.emplace(runner->load(changes, point_label(index, vary->range->count, changes))); });
    show_progress(progress, fmt::format("solve: {} = {}", vary->path, evaluation.value.text));
    const auto point_start = std::chrono::steady_clock::now();
    const PointOutcome outcome = runner->simulate(*scenario);
    if (!communicator.is_root()) return evaluation;
    if (ledger) recorded.push_back(runner->ledger_run("solve", *scenario, outcome, point_start));
    const TargetOutcome& met = outcome.targets[target];
    evaluation.hits = met.hits;
    evaluation.trials = met.trials;
    evaluation.probability = met.probability;
    std::tie(evaluation.ci_lo, evaluation.ci_hi) = wilson_interval(met.hits, met.trials);
    return evaluation;
  };
  // Rank 0 decides; every rank follows its branch.
  auto passes = [&](const SolveEvaluation& evaluation) {
    return communicator.broadcast_flag(evaluation.probability >= request.probability);
  };
  const GridRange& grid = *vary->range;
  const SolveResult result =
      solve_on_grid(grid, request.maximize ? SolveDirection::kMax : SolveDirection::kMin, evaluate, passes);
  show_progress(progress, fmt::format("solve: {} values evaluated", result.evaluations.size()), true);

  SolveOutcome outcome;
  outcome.out_dir = solve_out_dir(request, spec);
  outcome.achievable = result.answer.has_value();
  outcome.exit_code = outcome.achievable ? 0 : 1;
  on_every_rank(communicator, [&] {
    if (!communicator.is_root()) return;
    SolveRecord record;
    record.target = request.target;
    record.probability_required = request.probability;
    record.path = vary->path;
    record.direction = request.maximize ? SolveDirection::kMax : SolveDirection::kMin;
    record.trials = spec.trials;
    record.seed = spec.seed;
    record.argv = request.argv;
    record.spec_path = request.spec_path;
    record.spec_name = spec.name;
    record.spec_sha256 = sha256_hex(runner->spec_text());
    record.overrides = request.simulation.overrides;
    write_result_set(outcome.out_dir, {{"solve.json", solve_json(record, result)}});
    outcome.report = solve_summary(record, result) + "\nWrote " + outcome.out_dir + "/{solve.json}\n";
    outcome.warnings = solve_warnings(record, result);
    for (LedgerRun& run : recorded) run.status = outcome.achievable ? "ok" : "not-achievable";
    record_in_ledger(ledger, std::move(recorded));
  });
  return outcome;
}

}  // namespace capplan
