#include "planner/app/command_support.h"

#include <fmt/format.h>

#include "planner/base/errors.h"
#include "planner/base/limits.h"
#include "planner/base/printable.h"
#include "planner/ledger/record.h"
#include "planner/spec/spec_loader.h"

namespace capplan {

Scenario load_scenario(const std::string& path, const SimulationRequest& request,
                       const std::vector<DayNumber>& extra_dates, const std::vector<Scope>& extra_scopes) {
  return compile_scenario(load_spec_file(path, request.overrides), request, extra_dates, extra_scopes);
}

Scenario compile_scenario(Spec spec, const SimulationRequest& request, const std::vector<DayNumber>& extra_dates,
                          const std::vector<Scope>& extra_scopes) {
  Scenario scenario;
  scenario.spec = std::move(spec);
  if (request.trials) scenario.spec.trials = checked_trials(*request.trials);
  if (request.seed) scenario.spec.seed = *request.seed;
  const Horizon& horizon = scenario.spec.horizon;
  for (const DayNumber date : extra_dates) {
    if (date < horizon.start || date > horizon.end) {
      throw UsageError("--driver-date must be a date YYYY-MM-DD inside the horizon " + format_date(horizon.start) +
                       " .. " + format_date(horizon.end) + ", got '" + format_date(date) + "'");
    }
  }
  for (const Scope& scope : extra_scopes) {
    const bool site = scope.kind == Scope::Kind::site;
    if ((site && scenario.spec.site_index(scope.id) < 0) ||
        (scope.kind == Scope::Kind::system && scenario.spec.system_index(scope.id) < 0)) {
      throw UsageError(fmt::format("--driver-scope names {} '{}', which the spec {} does not have",
                                   site ? "site" : "system", printable(scope.id), scenario.spec.name));
    }
  }
  scenario.model = std::make_unique<CompiledModel>(build_model(scenario.spec, extra_dates, extra_scopes));
  return scenario;
}

RunOptions run_options(const Scenario& scenario, const SimulationRequest& request, const BackendRequest& backend,
                       const Communicator& communicator) {
  RunOptions options;
  options.trials = scenario.spec.trials;
  options.seed = scenario.spec.seed;
  options.threads = request.threads;
  options.progress = request.progress && communicator.is_root();
  options.rank = communicator.rank();
  options.ranks = communicator.size();
  options.backend = backend.backend;
  options.cuda = backend.cuda;
  options.device = communicator.local_rank();
  if (options.device > 0 && !probe_cuda_device(options.device).available) options.device = 0;
  return options;
}

std::optional<Ledger> open_ledger(const SimulationRequest& request, const Communicator& communicator) {
  const std::optional<std::string> path = ledger_path(request.ledger);
  if (!path || !communicator.is_root()) return std::nullopt;
  return Ledger(*path);
}

LedgerRun simulated_run(const std::string& command, const Scenario& scenario, const ForecastStatistics& stats,
                        Backend backend, std::chrono::steady_clock::time_point wall_start, const std::string& status) {
  LedgerRun run = ledger_run(command, scenario.spec, stats.trials(), backend, Communicator::world().size());
  add_results(run, scenario.spec, *scenario.model, stats);
  set_timing(run, wall_start);
  run.status = status;
  return run;
}

void record_in_ledger(const std::optional<Ledger>& ledger, std::vector<LedgerRun> runs) {
  if (ledger) ledger->record(runs);
}

void record_in_ledger(const std::optional<Ledger>& ledger, const std::function<std::vector<LedgerRun>()>& make) {
  if (ledger) record_in_ledger(ledger, make());
}

std::uint64_t checked_trials(std::uint64_t trials, const char* option) {
  if (trials < 1 || trials > kMaxTrials) {
    throw UsageError(fmt::format("{} must be between 1 and {}, got {}", option, kMaxTrials, trials));
  }
  return trials;
}

std::uint64_t checked_trials(std::int64_t trials, const char* option) {
  if (trials < 1) throw UsageError(fmt::format("{} must be between 1 and {}, got {}", option, kMaxTrials, trials));
  return checked_trials(static_cast<std::uint64_t>(trials), option);
}

}  // namespace capplan
