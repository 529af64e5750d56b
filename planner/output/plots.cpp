#include "planner/output/plots.h"

#include <filesystem>
#include <optional>
#include <utility>

#include "planner/base/errors.h"
#include "planner/output/plot_breakdown_chart.h"
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

// Draws the charts of forecast_by.csv (breakdowns, scope fan charts) and returns their names.
std::vector<std::string> draw_breakdown_charts(const plots::WorkDir& work, const std::string& gnuplot,
                                               const plots::RunFolder& f) {
  using namespace plots;
  std::vector<std::string> names;
  if (!f.forecast_by) return names;
  for (const auto& chart : breakdown_charts(f.scopes)) {
    breakdown_chart(work, gnuplot, f.run.name, f.forecast, *f.forecast_by, f.forecast_quantiles, chart);
    names.push_back(chart.file);
  }
  for (const auto& chart : scope_fan_charts(f.scopes, f.targets)) {
    fan_chart(work, gnuplot, f.run.name, *f.forecast_by, f.forecast_quantiles, f.targets, chart);
    names.push_back(chart.file);
  }
  return names;
}

}  // namespace

std::vector<std::string> write_plots(const std::string& out_dir) {
  using namespace plots;
  const fs::path dir(out_dir);
  // Read and check every input before drawing anything.
  const RunFolder f(dir);
  const CsvTable cdf = load_table(dir, "completion_cdf.csv");
  const std::optional<CsvTable> milestone_cdf =
      f.milestones.empty() ? std::nullopt : std::optional<CsvTable>(load_table(dir, "milestone_cdf.csv"));
  const std::string gnuplot = find_gnuplot();

  const WorkDir work(dir);
  std::vector<std::string> names;
  for (const auto& chart : fan_charts()) {
    fan_chart(work, gnuplot, f.run.name, f.forecast, f.forecast_quantiles, f.targets, chart);
    names.push_back(chart.file);
  }
  completion_chart(work, gnuplot, f.run.name, cdf, {f.tranches.begin(), f.tranches.end()}, tranche_completion_chart());
  names.push_back(tranche_completion_chart().file);
  if (milestone_cdf) {
    completion_chart(work, gnuplot, f.run.name, *milestone_cdf, {f.milestones.begin(), f.milestones.end()},
                     milestone_chart());
    names.push_back(milestone_chart().file);
  }
  for (const auto& name : draw_breakdown_charts(work, gnuplot, f)) names.push_back(name);
  if (f.drivers) {
    tornado_chart(work, gnuplot, f.run.name, *f.drivers);
    names.push_back("tornado");
  }
  return move_into_place(work, dir, names);
}

std::string summary_markdown(const std::string& out_dir) { return plots::summary_document(plots::RunFolder(out_dir)); }

}  // namespace capplan
