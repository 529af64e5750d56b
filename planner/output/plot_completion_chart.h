// S-curves of dated outcomes: the probability that each tranche is complete,
// or each milestone reached, by each date, from completion_cdf.csv or
// milestone_cdf.csv.
#pragma once

#include <string>
#include <vector>

#include "planner/output/plot_csv.h"
#include "planner/output/plot_gnuplot.h"
#include "planner/output/plot_inputs.h"

namespace capplan::plots {

// One S-curve chart: the columns of its table and the words around it.
struct CompletionChart {
  std::string file;                // base name of the chart files
  std::string item_column;         // the table's name column (tranche, milestone)
  std::string probability_column;  // P(by the end of the date)
  std::string title;               // after the scenario name
  std::string axis;                // y axis words
};

// tranche-completion, from completion_cdf.csv.
const CompletionChart& tranche_completion_chart();
// milestones, from milestone_cdf.csv.
const CompletionChart& milestone_chart();

// Draws CHART.png and CHART.svg in the work folder: one curve per outcome, in
// `outcomes` order (names only in `cdf` follow), each titled with its
// probability by the last date and its median date. Throws UsageError if
// `cdf` has no rows.
void completion_chart(const WorkDir& work, const std::string& gnuplot, const std::string& scenario, const CsvTable& cdf,
                      const std::vector<OutcomeDates>& outcomes, const CompletionChart& chart);

}  // namespace capplan::plots
