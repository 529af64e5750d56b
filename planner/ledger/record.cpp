#include "planner/ledger/record.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <ctime>

#include "kernels/metrics.h"
#include "planner/base/build_info.h"
#include "planner/engine/intervals.h"
#include "planner/output/number_format.h"
#include "planner/output/output_files.h"
#include "planner/output/plot_csv.h"
#include "planner/output/reports.h"

namespace capplan {

namespace {

// A table cell as a statistic: a number when it reads as one, else text (a date, "after-horizon").
Statistic statistic_of(const std::string& name, const std::string& cell) {
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(cell.c_str(), &end);
  if (!cell.empty() && errno == 0 && end == cell.c_str() + cell.size() && std::isfinite(value)) {
    return {name, value, ""};
  }
  return {name, std::nullopt, cell};
}

// Each row's cells from column `first` on, as named statistics.
std::vector<Statistic> row_statistics(const plots::CsvTable& table, std::size_t row, std::size_t first) {
  std::vector<Statistic> statistics;
  for (std::size_t c = first; c < table.header().size(); ++c) {
    statistics.push_back(statistic_of(table.header()[c], table.rows()[row][c]));
  }
  return statistics;
}

void add_forecast_table(LedgerRun& run, const std::string& name, const std::string& text, bool scoped) {
  const plots::CsvTable table(name, text);
  const std::size_t first = scoped ? 3 : 2;
  for (std::size_t r = 0; r < table.rows().size(); ++r) {
    const auto& row = table.rows()[r];
    run.forecast.push_back({row[0], scoped ? row[1] : "total", row[first - 1], row_statistics(table, r, first)});
  }
}

}  // namespace

LedgerRun ledger_run(const std::string& command, const Spec& spec, std::uint64_t trials, Backend backend, int ranks) {
  LedgerRun run;
  run.command = command;
  run.spec_name = spec.name;
  run.spec_path = spec.source_file;
  run.spec_text = spec.effective_text;
  run.spec_sha256 = sha256_hex(spec.effective_text);
  run.spec_file_sha256 = sha256_hex(spec.source_text);
  run.overrides = spec.overrides;
  run.seed = spec.seed;
  run.trials = trials;
  run.backend = backend_name(backend);
  run.ranks = ranks;
  run.tool_version = tool_version();
  run.git_revision = git_revision();
  return run;
}

void set_timing(LedgerRun& run, std::chrono::steady_clock::time_point start) {
  const auto elapsed = std::chrono::steady_clock::now() - start;
  run.wall_seconds = std::chrono::duration<double>(elapsed).count();
  const std::time_t started = std::chrono::system_clock::to_time_t(
      std::chrono::system_clock::now() - std::chrono::duration_cast<std::chrono::system_clock::duration>(elapsed));
  std::tm utc{};
  gmtime_r(&started, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  run.started_utc = text;
}

void add_results(LedgerRun& run, const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats) {
  for (std::size_t k = 0; k < model.targets.size(); ++k) {
    const CompiledTarget& target = model.targets[k];
    const std::uint64_t hits = stats.target_hits(static_cast<int>(k));
    const auto [low, high] = wilson_interval(hits, stats.trials());
    run.targets.push_back({target.id, metric_names()[static_cast<std::size_t>(target.metric)],
                           model.scope_names[static_cast<std::size_t>(target.scope_block)].text(),
                           format_date(target.date), target.threshold, hits,
                           stats.target_probability(static_cast<int>(k)), low, high});
  }
  add_forecast_table(run, "forecast.csv", forecast_csv(spec, model, stats), false);
  if (model.breakdown_blocks > 0) add_forecast_table(run, "forecast_by.csv", forecast_by_csv(spec, model, stats), true);
  if (!model.milestone_specs.empty()) {
    const plots::CsvTable table("milestones.csv", milestones_csv(spec, model, stats));
    for (std::size_t r = 0; r < table.rows().size(); ++r) {
      const auto& row = table.rows()[r];
      run.milestones.push_back(
          {row[0], row[1], row[2], table.number(r, 3), table.number(r, 4), row_statistics(table, r, 5)});
    }
  }
  const plots::CsvTable tranches("tranches.csv", tranches_csv(spec, model, stats));
  for (std::size_t r = 0; r < tranches.rows().size(); ++r) {
    run.tranches.push_back({tranches.rows()[r][0], row_statistics(tranches, r, 1)});
  }
}

void add_point_results(LedgerRun& run, const Spec& spec, const PointOutcome& outcome) {
  for (const TargetOutcome& target : outcome.targets) {
    const auto [low, high] = wilson_interval(target.hits, target.trials);
    const std::string metric = metric_names()[static_cast<std::size_t>(target.metric)];
    run.targets.push_back({target.id, metric, target.scope, format_date(target.date), target.threshold, target.hits,
                           target.probability, low, high});
    ForecastResult cell{format_date(target.date), target.scope, metric, {{"mean", target.mean, ""}}};
    for (std::size_t q = 0; q < target.quantiles.size(); ++q) {
      cell.statistics.push_back({quantile_column(spec.report.quantiles[q]), target.quantiles[q], ""});
    }
    run.forecast.push_back(std::move(cell));
  }
  for (std::size_t k = 0; k < outcome.milestones.size(); ++k) {
    const MilestoneOutcome& reached = outcome.milestones[k];
    const Milestone& milestone = spec.milestones[k];
    MilestoneResult result{reached.id,         milestone.metric,    milestone.scope.text(),
                           milestone.at_least, reached.probability, {}};
    for (std::size_t q = 0; q < reached.quantile_dates.size(); ++q) {
      result.statistics.push_back({quantile_column(spec.report.quantiles[q]), std::nullopt, reached.quantile_dates[q]});
    }
    run.milestones.push_back(std::move(result));
  }
}

}  // namespace capplan
