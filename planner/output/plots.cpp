#include "planner/output/plots.h"

#include <filesystem>
#include <optional>
#include <utility>

#include "planner/base/errors.h"
#include "planner/output/plot_completion_chart.h"
#include "planner/output/plot_csv.h"
#include "planner/output/plot_fan_chart.h"
#include "planner/output/plot_gnuplot.h"
#include "planner/output/plot_inputs.h"
#include "planner/output/plot_summary.h"
#include "planner/output/plot_tornado_chart.h"

namespace capplan {

namespace {

namespace fs = std::filesystem;

}  // namespace

std::vector<std::string> write_plots(const std::string& out_dir) {
  using namespace plots;
  const fs::path dir(out_dir);
  require_folder(dir);
  // Read and check every input before drawing anything.
  const RunFacts run = load_run(dir);
  const CsvTable forecast = load_table(dir, "forecast.csv");
  const QuantileColumns q = quantile_columns(forecast);
  const std::vector<TargetRow> targets = load_targets(load_table(dir, "targets.csv"));
  const std::vector<TrancheRow> tranches = load_tranches(load_table(dir, "tranches.csv"));
  const CsvTable cdf = load_table(dir, "completion_cdf.csv");
  const std::optional<Drivers> drivers = load_drivers(dir);
  const std::string gnuplot = find_gnuplot();

  const WorkDir work(dir);
  std::vector<std::string> names;
  for (const auto& chart : fan_charts()) {
    fan_chart(work, gnuplot, run.name, forecast, q, targets, chart);
    names.push_back(chart.file);
  }
  completion_chart(work, gnuplot, run.name, cdf, tranches);
  names.push_back("tranche-completion");
  if (drivers) {
    tornado_chart(work, gnuplot, run.name, *drivers);
    names.push_back("tornado");
  }
  return move_into_place(work, dir, names);
}

std::string summary_markdown(const std::string& out_dir) {
  using namespace plots;
  const fs::path dir(out_dir);
  require_folder(dir);
  RunFacts run = load_run(dir);
  CsvTable forecast = load_table(dir, "forecast.csv");
  const QuantileColumns q = quantile_columns(forecast);
  std::vector<TargetRow> targets = load_targets(load_table(dir, "targets.csv"));
  const CsvTable tranche_table = load_table(dir, "tranches.csv");
  const QuantileColumns tq = quantile_columns(tranche_table);
  std::vector<TrancheRow> tranches = load_tranches(tranche_table);
  std::optional<Drivers> drivers = load_drivers(dir);
  return summary_document(
      {dir, std::move(run), std::move(forecast), q, std::move(targets), tq, std::move(tranches), std::move(drivers)});
}

}  // namespace capplan
