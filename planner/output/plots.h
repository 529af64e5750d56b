// Charts and a Markdown summary of a run's output folder, drawn with gnuplot.
#pragma once

#include <string>
#include <vector>

namespace capplan {

// Reads forecast.csv, tranches.csv, targets.csv, completion_cdf.csv,
// sensitivity.csv and run.json (and forecast_by.csv, milestones.csv and
// milestone_cdf.csv where the run wrote them) from `out_dir` and writes, as
// SVG and PNG: fan charts of available accelerators and effective PFLOPS
// (outer quantile band, median line, the total's targets marked), cumulative
// delivered compute, tranche completion S-curves, milestone S-curves, medians
// by site and by system type stacked, fan charts of the largest site and of
// each scope with a target (its targets marked) and the tornado chart of
// drivers (README, "Charts and summary.md"). Returns the file names written.
// Throws RuntimeFailure if gnuplot is missing or fails, and UsageError if the
// folder lacks the tables.
std::vector<std::string> write_plots(const std::string& out_dir);

// summary.md for the folder: headline target probabilities (with their
// scopes), milestones, the forecast table at each report date, the breakdown
// by scope, the tranche table, the top drivers and the charts (linked by
// relative path). Returns the Markdown text.
std::string summary_markdown(const std::string& out_dir);

}  // namespace capplan
