// Tranche completion S-curves: the probability that each tranche is complete
// by each date, from completion_cdf.csv.
#pragma once

#include <string>
#include <vector>

#include "planner/output/plot_csv.h"
#include "planner/output/plot_gnuplot.h"
#include "planner/output/plot_inputs.h"

namespace capplan::plots {

// Draws tranche-completion.png and .svg in the work folder: one curve per
// tranche, in tranches.csv order (tranches only in completion_cdf.csv follow),
// each titled with its probability of completing by the last date and its
// median completion. Throws UsageError if completion_cdf.csv has no rows.
void completion_chart(const WorkDir& work, const std::string& gnuplot, const std::string& scenario, const CsvTable& cdf,
                      const std::vector<TrancheRow>& tranches);

}  // namespace capplan::plots
