// capplan run and capplan plot.
#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "planner/analysis/sensitivity.h"
#include "planner/app/command_support.h"
#include "planner/app/commands.h"
#include "planner/base/failure.h"
#include "planner/base/limits.h"
#include "planner/engine/engine.h"
#include "planner/output/output_files.h"
#include "planner/output/plots.h"
#include "planner/output/reports.h"

namespace capplan {

namespace {

// Draws the charts into `out_dir` and returns summary.md, written after them.
OutputFiles plots_and_summary(const std::string& out_dir) {
  write_plots(out_dir);
  return {{"summary.md", summary_markdown(out_dir)}};
}

// The folder the run writes: --out, or out/NAME.
std::string out_dir_for(const RunRequest& request, const Spec& spec) {
  return request.out_dir.empty() ? "out/" + spec.name : request.out_dir;
}

// The precision goal with its default cap: 100 x the spec's trials, at most kMaxTrials.
std::optional<PrecisionGoal> goal_for(const RunRequest& request, const Spec& spec) {
  std::optional<PrecisionGoal> goal = request.precision;
  if (goal && goal->max_trials == 0) goal->max_trials = std::min<std::uint64_t>(kMaxTrials, 100 * spec.trials);
  return goal;
}

// The tables of a run, named as written: forecast.csv, forecast_by.csv (with
// report.by), tranches.csv, targets.csv, completion_cdf.csv, milestones.csv and
// milestone_cdf.csv (with milestones) and sensitivity.csv (drivers at driver_date).
// Where the driver analysis looks: a date and a scope.
struct DriverPoint {
  DayNumber date = 0;
  Scope scope;
};

// The tables that grow with the model are written straight into the result
// set, row by row, while it is written (spec, model and statistics outlive it).
OutputFiles run_tables(const Spec& spec, const CompiledModel& model, const Simulation& simulation,
                       const DriverPoint& drivers) {
  const ForecastStatistics& stats = *simulation.statistics;
  OutputFiles tables = {{"forecast.csv", [&](std::ostream& out) { write_forecast_csv(out, spec, model, stats); }}};
  if (model.breakdown_blocks > 0) {
    tables.emplace_back("forecast_by.csv", [&](std::ostream& out) { write_forecast_by_csv(out, spec, model, stats); });
  }
  tables.emplace_back("tranches.csv", tranches_csv(spec, model, stats));
  tables.emplace_back("targets.csv", targets_csv(spec, model, stats));
  tables.emplace_back("completion_cdf.csv",
                      [&](std::ostream& out) { write_completion_cdf_csv(out, spec, model, stats); });
  if (!model.milestone_specs.empty()) {
    tables.emplace_back("milestones.csv", milestones_csv(spec, model, stats));
    tables.emplace_back("milestone_cdf.csv", [&](std::ostream& out) { write_milestone_cdf_csv(out, model, stats); });
  }
  tables.emplace_back("sensitivity.csv", sensitivity_csv(compute_drivers(simulation.drivers, model.slot_names),
                                                         format_date(drivers.date), drivers.scope.text()));
  return tables;
}

// Writes the run's files (rank 0) and returns the summary for stdout. `record`
// comes with its argv, ranks and processes; wall_seconds counts from wall_start.
std::string write_outputs(const std::string& out_dir, bool plots, const Scenario& scenario,
                          const Simulation& simulation, const DriverPoint& drivers, RunRecord record,
                          std::chrono::steady_clock::time_point wall_start) {
  const Spec& spec = scenario.spec;
  OutputFiles files = run_tables(spec, *scenario.model, simulation, drivers);
  record.outputs.clear();
  for (const OutputFile& file : files) record.outputs.push_back(file.name);
  record.outputs.push_back("run.json");
  record.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  files.emplace_back("run.json", run_json(spec, record));
  // Charts go into the set before it is published; if drawing fails, the
  // tables are published without them and the failure is reported after.
  std::exception_ptr plot_failure;
  std::function<void(const std::string&)> add_plots;
  if (plots) {
    add_plots = [&plot_failure](const std::string& staging) {
      try {
        for (const OutputFile& file : plots_and_summary(staging)) write_new_file(staging + "/" + file.name, file.write);
      } catch (...) {
        plot_failure = std::current_exception();
      }
    };
  }
  write_result_set(out_dir, files, add_plots);
  if (plot_failure) std::rethrow_exception(plot_failure);
  std::string report = run_summary(spec, *scenario.model, *simulation.statistics, record, out_dir);
  if (simulation.precision) report += precision_summary(*simulation.precision);
  return report;
}

}  // namespace

RunOutcome run_command(const RunRequest& request) {
  const auto wall_start = std::chrono::steady_clock::now();
  const Communicator& communicator = Communicator::world();
  Scenario scenario;
  std::optional<Ledger> ledger;
  on_every_rank(communicator, [&] {
    ledger = open_ledger(request.simulation, communicator);
    std::vector<DayNumber> dates;
    if (request.driver_date) dates.push_back(*request.driver_date);
    scenario = load_scenario(request.spec_path, request.simulation, dates, {request.driver_scope});
    if (communicator.is_root()) check_result_set_target(out_dir_for(request, scenario.spec));
  });
  const Spec& spec = scenario.spec;
  const DayNumber driver_date = request.driver_date.value_or(spec.horizon.end);

  RunOptions options = run_options(scenario, request.simulation, request.backend, communicator);
  const std::optional<PrecisionGoal> goal = goal_for(request, spec);
  // Only trials that run keep their inputs: the sample's memory is checked on those.
  options.driver_sample =
      std::min(request.drivers_sample, goal ? std::max(goal->max_trials, options.trials) : options.trials);
  options.driver_row =
      scope_block(*scenario.model, request.driver_scope) * static_cast<int>(scenario.model->record_days.size()) +
      record_row(*scenario.model, driver_date);
  const Simulation simulation = simulate(spec, *scenario.model, options, communicator, goal, request.simulation.log);
  nlohmann::ordered_json processes = gather_processes(simulation, communicator);

  RunOutcome outcome;
  outcome.out_dir = out_dir_for(request, spec);
  outcome.trials = simulation.trials;
  outcome.seed = spec.seed;
  outcome.backend = simulation.backend;
  outcome.precision = simulation.precision;
  on_every_rank(communicator, [&] {
    if (!communicator.is_root()) return;
    RunRecord record = make_run_record(spec, simulation, driver_date);
    record.argv = request.argv;
    record.ranks = communicator.size();
    record.processes = std::move(processes);
    outcome.report = write_outputs(outcome.out_dir, request.plots, scenario, simulation,
                                   DriverPoint{driver_date, request.driver_scope}, std::move(record), wall_start);
    record_in_ledger(ledger, [&] {
      return std::vector<LedgerRun>{
          simulated_run("run", scenario, *simulation.statistics, simulation.backend, wall_start)};
    });
  });
  return outcome;
}

PlotOutcome plot_command(const PlotRequest& request) {
  PlotOutcome outcome;
  if (!Communicator::world().is_root()) return outcome;
  update_result_set(request.out_dir, [&] { return plots_and_summary(request.out_dir); });
  outcome.report = "Wrote the charts and summary.md in " + request.out_dir + "\n";
  return outcome;
}

}  // namespace capplan
