// capplan compare: scenario B against A on common random numbers.
#include <chrono>
#include <optional>

#include "planner/analysis/compare.h"
#include "planner/app/command_support.h"
#include "planner/app/commands.h"
#include "planner/base/errors.h"
#include "planner/base/failure.h"
#include "planner/output/output_files.h"

namespace capplan {

namespace {

// The folder the comparison writes: --out, or out/compare-A-vs-B.
std::string compare_out_dir(const CompareRequest& request, const Spec& a, const Spec& b) {
  return request.out_dir.empty() ? "out/compare-" + a.name + "-vs-" + b.name : request.out_dir;
}

}  // namespace

CompareOutcome compare_command(const CompareRequest& request) {
  const auto wall_start = std::chrono::steady_clock::now();
  const Communicator& communicator = Communicator::world();
  Scenario a, b;
  std::optional<Ledger> ledger;
  on_every_rank(communicator, [&] {
    ledger = open_ledger(request.simulation, communicator);
    SimulationRequest base = request.simulation;
    base.overrides.clear();
    a = load_scenario(request.spec_a, base);
    if (!request.spec_b && request.simulation.overrides.empty()) {
      throw UsageError("compare needs a second spec or at least one --set to change the first");
    }
    SimulationRequest changed = request.simulation;
    if (!changed.trials) changed.trials = a.spec.trials;
    if (!changed.seed) changed.seed = a.spec.seed;  // common random numbers
    b = load_scenario(request.spec_b.value_or(request.spec_a), changed);
    check_comparable(a.spec, *a.model, b.spec, *b.model);
    if (communicator.is_root()) check_result_set_target(compare_out_dir(request, a.spec, b.spec));
  });
  const RunOptions options = run_options(a, request.simulation, BackendRequest{Backend::kCpu, {}}, communicator);
  std::optional<PairedSimulation> paired;
  on_every_rank(communicator, [&] {
    inject_rank_failure(communicator);
    paired.emplace(simulate_paired(*a.model, *b.model, options));
  });
  paired->reduce_to_root(communicator);

  CompareOutcome outcome;
  outcome.out_dir = compare_out_dir(request, a.spec, b.spec);
  on_every_rank(communicator, [&] {
    if (!communicator.is_root()) return;
    const ForecastStatistics& stats_a = *paired->a;
    const ForecastStatistics& stats_b = *paired->b;
    write_result_set(outcome.out_dir,
                     {{"compare.csv", compare_csv(a.spec, *a.model, stats_a, *b.model, stats_b, paired->paired)},
                      {"compare_targets.csv", compare_targets_csv(*a.model, stats_a, *b.model, stats_b)}});
    outcome.report = compare_summary(a.spec, b.spec, *a.model, stats_a, *b.model, stats_b, paired->paired) +
                     "\nWrote " + outcome.out_dir + "/{compare.csv,compare_targets.csv}\n";
    record_in_ledger(ledger, [&] {
      return std::vector<LedgerRun>{simulated_run("compare", a, stats_a, Backend::kCpu, wall_start),
                                    simulated_run("compare", b, stats_b, Backend::kCpu, wall_start)};
    });
  });
  return outcome;
}

}  // namespace capplan
