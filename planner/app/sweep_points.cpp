#include "planner/app/sweep_points.h"

#include <cstdio>
#include <utility>

#include <fmt/format.h>

#include "planner/base/errors.h"
#include "planner/engine/engine.h"
#include "planner/ledger/record.h"
#include "planner/spec/spec_loader.h"

namespace capplan {

PointRunner::PointRunner(const std::string& spec_path, SimulationRequest simulation, BackendRequest backend)
    : spec_path_(spec_path),
      spec_text_(read_spec_file(spec_path)),
      simulation_(std::move(simulation)),
      backend_(std::move(backend)) {}

Scenario PointRunner::load(const std::vector<std::string>& changes, const std::string& label) const {
  std::vector<std::string> overrides = simulation_.overrides;
  overrides.insert(overrides.end(), changes.begin(), changes.end());
  try {
    return compile_scenario(load_spec_text(spec_text_, spec_path_, overrides), simulation_);
  } catch (const SpecError& error) {
    if (label.empty()) throw;
    std::vector<Diagnostic> labelled = error.diagnostics();
    for (Diagnostic& diagnostic : labelled) diagnostic.message = label + ": " + diagnostic.message;
    throw SpecError(std::move(labelled));
  }
}

PointOutcome PointRunner::simulate(const Scenario& scenario) {
  const Communicator& communicator = Communicator::world();
  RunOptions options = run_options(scenario, simulation_, backend_, communicator);
  options.progress = false;
  options.driver_sample = 0;
  const Simulation simulation = capplan::simulate(scenario.spec, *scenario.model, options, communicator);
  simulate_seconds_ += simulation.simulate_seconds;
  backend_used_ = simulation.backend;
  threads_used_ = simulation.threads;
  if (!communicator.is_root()) return {};
  return point_outcome(scenario.spec, *scenario.model, *simulation.statistics);
}

LedgerRun PointRunner::ledger_run(const std::string& command, const Scenario& scenario, const PointOutcome& outcome,
                                  std::chrono::steady_clock::time_point start) const {
  LedgerRun run =
      capplan::ledger_run(command, scenario.spec, scenario.spec.trials, backend_used_, Communicator::world().size());
  add_point_results(run, scenario.spec, outcome);
  set_timing(run, start);
  return run;
}

std::string point_label(std::uint64_t point, std::uint64_t points, const std::vector<std::string>& changes) {
  std::string list;
  for (const std::string& change : changes) list += (list.empty() ? "" : ", ") + change;
  return fmt::format("point {} of {} ({})", point + 1, points, list);
}

void show_progress(bool show, const std::string& text, bool last) {
  if (!show) return;
  std::fprintf(stderr, "\r%-60s%s", text.c_str(), last ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace capplan
