// Fan charts of a forecast metric over time: the outer quantile band, the
// median and the mean, with the targets on that metric marked and labelled
// with their probability.
#pragma once

#include <string>
#include <vector>

#include "planner/output/plot_csv.h"
#include "planner/output/plot_gnuplot.h"
#include "planner/output/plot_inputs.h"

namespace capplan::plots {

// One fan chart: which metric, and the words around it.
struct FanChart {
  std::string file;  // base name of the chart files
  std::string metric;
  std::string title;     // after the scenario name
  std::string quantity;  // axis words
  std::string unit;
};

// The fan charts drawn for every run: available accelerators, effective
// PFLOPS and cumulative delivered compute.
const std::vector<FanChart>& fan_charts();

// Draws `chart` from forecast.csv into CHART.png and CHART.svg in the work folder.
void fan_chart(const WorkDir& work, const std::string& gnuplot, const std::string& scenario, const CsvTable& forecast,
               const QuantileColumns& q, const std::vector<TargetRow>& all_targets, const FanChart& chart);

}  // namespace capplan::plots
