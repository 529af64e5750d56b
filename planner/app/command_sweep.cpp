// capplan sweep: the targets and milestones at every point of a grid of inputs.
#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "planner/analysis/sweep.h"
#include "planner/app/command_support.h"
#include "planner/app/commands.h"
#include "planner/app/sweep_points.h"
#include "planner/base/errors.h"
#include "planner/base/failure.h"
#include "planner/engine/intervals.h"
#include "planner/output/output_files.h"
#include "planner/output/plot_sweep_chart.h"
#include "planner/output/reports.h"

namespace capplan {

namespace {

std::string sweep_out_dir(const SweepRequest& request, const Spec& spec) {
  return request.out_dir.empty() ? "out/sweep-" + spec.name : request.out_dir;
}

// What the sweep writes besides its tables: how it was made.
nlohmann::ordered_json sweep_record(const SweepRequest& request, const PointRunner& runner, const Spec& spec,
                                    const SweepGrid& grid, double wall_seconds) {
  nlohmann::ordered_json json =
      provenance_json(request.argv, runner.spec_path(), spec.name, sha256_hex(runner.spec_text()));
  json["command"] = "sweep";
  json["overrides"] = request.simulation.overrides;
  json["vary"] = nlohmann::ordered_json::array();
  for (const auto& option : grid.options()) json["vary"].push_back({{"path", option.path}, {"values", option.size()}});
  json["points"] = grid.points();
  json["seed"] = spec.seed;
  json["trials"] = spec.trials;
  json["backend"] = backend_name(runner.backend_used());
  json["threads"] = runner.threads_used();
  json["ranks"] = Communicator::world().size();
  json["wall_seconds"] = wall_seconds;
  json["simulate_seconds"] = runner.simulate_seconds();
  return json;
}

// The sweep's charts: P(target) against the one varied value (with its
// interval band), or a heat map over two; none for three or more.
void draw_sweep_charts(const std::string& staging, const Spec& spec, const SweepGrid& grid,
                       const std::vector<PointOutcome>& outcomes) {
  if (grid.options().size() > 2 || outcomes.empty()) return;
  std::vector<plots::SweepAxis> axes;
  for (const auto& option : grid.options()) {
    plots::SweepAxis axis;
    axis.path = option.path;
    for (std::uint64_t k = 0; k < option.size(); ++k) {
      const VaryValue value = option.value(k);
      axis.labels.push_back(value.text);
      axis.numbers.push_back(value.number);
      axis.dates = k == 0 ? value.is_date : axis.dates && value.is_date;
    }
    axes.push_back(std::move(axis));
  }
  for (std::size_t t = 0; t < outcomes.front().targets.size(); ++t) {
    plots::SweepCurve curve;
    curve.target = outcomes.front().targets[t].id;
    for (const PointOutcome& outcome : outcomes) {
      const TargetOutcome& target = outcome.targets[t];
      const auto [low, high] = wilson_interval(target.hits, target.trials);
      curve.probability.push_back(target.probability);
      curve.ci_lo.push_back(low);
      curve.ci_hi.push_back(high);
    }
    plots::write_sweep_chart(staging, spec.name, axes, curve);
  }
}

// P(target) per point, for stdout: one line per point (the first 50).
std::string sweep_summary(const Spec& spec, const SweepGrid& grid, const std::vector<PointOutcome>& outcomes,
                          const std::string& out_dir, const std::vector<std::string>& files) {
  std::string out = fmt::format("capplan sweep: {} ({} points, {} trials each, seed {})\n", spec.name, grid.points(),
                                spec.trials, spec.seed);
  const std::uint64_t shown = std::min<std::uint64_t>(grid.points(), 50);
  for (std::uint64_t p = 0; p < shown; ++p) {
    std::string line = fmt::format("  {:>5}", p + 1);
    for (const std::string& change : grid.overrides(p)) line += "  " + change;
    for (const TargetOutcome& target : outcomes[p].targets) {
      line += fmt::format("  P({}) = {:.4f}", target.id, target.probability);
    }
    out += line + "\n";
  }
  if (shown < grid.points()) out += fmt::format("  ... {} more points in sweep.csv\n", grid.points() - shown);
  std::string names;
  for (const auto& file : files) names += (names.empty() ? "" : ",") + file;
  return out + "\nWrote " + out_dir + "/{" + names + "}\n";
}

// Every point's spec must load and compile before any point runs.
void validate_points(const PointRunner& runner, const SweepGrid& grid) {
  for (std::uint64_t p = 0; p < grid.points(); ++p) {
    const std::vector<std::string> changes = grid.overrides(p);
    (void)runner.load(changes, point_label(p, grid.points(), changes));
  }
}

}  // namespace

SweepOutcome sweep_command(const SweepRequest& request) {
  const auto wall_start = std::chrono::steady_clock::now();
  const Communicator& communicator = Communicator::world();
  std::optional<PointRunner> runner;
  std::optional<SweepGrid> grid;
  Spec spec;
  std::optional<Ledger> ledger;
  on_every_rank(communicator, [&] {
    ledger = open_ledger(request.simulation, communicator);
    if (request.vary.empty()) throw UsageError("sweep needs at least one --vary PATH=VALUES");
    std::vector<VaryOption> options;
    for (const std::string& vary : request.vary) options.push_back(parse_vary(vary));
    check_vary_paths(options, request.simulation.overrides);
    grid.emplace(std::move(options));
    runner.emplace(request.spec_path, request.simulation, request.backend);
    spec = runner->load({}, "").spec;
    if (spec.targets.empty() && spec.milestones.empty()) {
      throw UsageError("sweep reports targets and milestones, and the spec " + spec.name + " has neither");
    }
    validate_points(*runner, *grid);
    if (communicator.is_root()) check_result_set_target(sweep_out_dir(request, spec));
  });
  std::vector<PointOutcome> outcomes;
  std::vector<LedgerRun> recorded;  // one run per point, when there is a ledger
  const bool progress = request.simulation.progress && communicator.is_root();
  for (std::uint64_t p = 0; p < grid->points(); ++p) {
    show_progress(progress, fmt::format("sweep: point {}/{}", p + 1, grid->points()));
    std::optional<Scenario> scenario;
    on_every_rank(communicator, [&] { scenario.emplace(runner->load(grid->overrides(p), "")); });
    const auto point_start = std::chrono::steady_clock::now();
    outcomes.push_back(runner->simulate(*scenario));
    if (ledger) recorded.push_back(runner->ledger_run("sweep", *scenario, outcomes.back(), point_start));
  }
  show_progress(progress, fmt::format("sweep: {} points done", grid->points()), true);

  SweepOutcome outcome;
  outcome.out_dir = sweep_out_dir(request, spec);
  outcome.points = grid->points();
  on_every_rank(communicator, [&] {
    if (!communicator.is_root()) return;
    OutputFiles files = {{"sweep.csv", sweep_csv(*grid, outcomes)},
                         {"sweep_forecast.csv", sweep_forecast_csv(*grid, outcomes, spec.report.quantiles)}};
    if (!spec.milestones.empty()) {
      files.emplace_back("sweep_milestones.csv", sweep_milestones_csv(*grid, outcomes, spec.report.quantiles));
    }
    std::vector<std::string> names;
    for (const OutputFile& file : files) names.push_back(file.name);
    names.push_back("run.json");
    nlohmann::ordered_json record = sweep_record(request, *runner, spec, *grid, 0.0);
    record["outputs"] = names;
    record["wall_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    files.emplace_back("run.json", record.dump(2) + "\n");
    std::exception_ptr plot_failure;
    auto add_plots = [&](const std::string& staging) {
      try {
        draw_sweep_charts(staging, spec, *grid, outcomes);
      } catch (...) {
        plot_failure = std::current_exception();
      }
    };
    write_result_set(outcome.out_dir, files,
                     request.plots ? std::function<void(const std::string&)>(add_plots) : nullptr);
    if (plot_failure) std::rethrow_exception(plot_failure);
    outcome.report = sweep_summary(spec, *grid, outcomes, outcome.out_dir, names);
    record_in_ledger(ledger, std::move(recorded));
  });
  return outcome;
}

}  // namespace capplan
