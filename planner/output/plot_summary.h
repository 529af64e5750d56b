// summary.md: a run's results in Markdown, section by section (targets,
// milestones, the forecast at each report date, the breakdown by scope,
// tranches, top drivers), with the charts that exist in the folder linked by
// relative path. Sections of features a run does not use (milestones,
// report.by) are left out.
#pragma once

#include <string>

#include "planner/output/plot_inputs.h"

namespace capplan::plots {

// The whole of summary.md for the folder `in.dir`. Throws UsageError if
// forecast.csv (or forecast_by.csv) lacks a charted metric.
std::string summary_document(const RunFolder& in);

}  // namespace capplan::plots
