// Breakdown charts: one metric's median in each site, or each system type,
// stacked over time from forecast_by.csv, with the total's median as a line.
#pragma once

#include <string>
#include <vector>

#include "planner/base/date.h"
#include "planner/output/plot_csv.h"
#include "planner/output/plot_fan_chart.h"
#include "planner/output/plot_gnuplot.h"
#include "planner/output/plot_inputs.h"
#include "planner/output/plot_script.h"

namespace capplan::plots {

// One metric's median (its mean where forecast_by.csv has no p50) in every
// scope of one kind, by report date.
struct Breakdown {
  std::string statistic;            // the column stacked: central_column()
  std::vector<std::string> scopes;  // in forecast_by.csv's order (the spec's)
  std::vector<DayNumber> dates;
  std::vector<std::vector<double>> values;  // [scope][date]
};

// `metric` in the scopes of `kind` ("site" or "system"). Throws UsageError if
// forecast_by.csv has none or their dates differ.
Breakdown breakdown_of(const CsvTable& forecast_by, const QuantileColumns& q, const std::string& kind,
                       const std::string& metric);

// The stacked chart's data, one line per date: "date v1 v2 ... total", the
// scopes' values then the total's (central_values() of forecast.csv), each
// divided by `scale.divisor`. The areas are stacked by the plot command.
std::string stacked_area_data(const Breakdown& breakdown, const std::vector<double>& total, const Scale& scale);

// One breakdown chart: by-<kind>-<metric words>, e.g. by-site-available-accelerators.
struct BreakdownChart {
  std::string file;
  std::string kind;  // site or system
  FanChart total;    // the metric's totals chart, for its words
};

// by-site-* and by-system-* for fan_charts()'s metrics, for each kind that
// forecast_by.csv's `scopes` have.
std::vector<BreakdownChart> breakdown_charts(const std::vector<std::string>& scopes);

// Draws `chart` into CHART.png and CHART.svg in the work folder.
void breakdown_chart(const WorkDir& work, const std::string& gnuplot, const std::string& scenario,
                     const CsvTable& forecast, const CsvTable& forecast_by, const QuantileColumns& q,
                     const BreakdownChart& chart);

}  // namespace capplan::plots
