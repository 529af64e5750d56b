// Fan charts of a forecast metric over time, for the total or one scope of
// forecast_by.csv: the outer quantile band, the median and the mean, with the
// targets on that metric and scope marked and labelled with their probability.
#pragma once

#include <string>
#include <vector>

#include "planner/output/plot_csv.h"
#include "planner/output/plot_gnuplot.h"
#include "planner/output/plot_inputs.h"

namespace capplan::plots {

// One fan chart: which metric in which scope, and the words around it.
struct FanChart {
  std::string file;  // base name of the chart files
  std::string metric;
  std::string scope;     // kTotalScope (forecast.csv) or a scope of forecast_by.csv
  std::string title;     // after the scenario name
  std::string quantity;  // axis words
  std::string unit;
};

// The fan charts drawn for every run: available accelerators, effective
// PFLOPS and cumulative delivered compute, of the total.
const std::vector<FanChart>& fan_charts();

// The fan charts of forecast_by.csv's scopes (`scopes`): the largest site's,
// for fan_charts()'s metrics, and one per scope and metric of a scoped target
// whose scope forecast_by.csv has. Each file once:
// fan-<scope>-<metric words>, e.g. fan-largest-site-available-accelerators,
// fan-site-site-b-facility-power.
std::vector<FanChart> scope_fan_charts(const std::vector<std::string>& scopes, const std::vector<TargetRow>& targets);

// A metric's part of chart file names: available-accelerators,
// effective-pflops, delivered-compute, facility-power, ...
std::string metric_file_part(const std::string& metric);

// `text` with every character but letters, digits, '-' and '_' made '-' (site:a -> site-a).
std::string file_part(const std::string& text);

// Draws `chart` from `forecast` (forecast.csv for the total, else
// forecast_by.csv) into CHART.png and CHART.svg in the work folder, with the
// targets of its metric and scope.
void fan_chart(const WorkDir& work, const std::string& gnuplot, const std::string& scenario, const CsvTable& forecast,
               const QuantileColumns& q, const std::vector<TargetRow>& all_targets, const FanChart& chart);

}  // namespace capplan::plots
