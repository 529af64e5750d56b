// Charts and a Markdown summary of a run's output folder, drawn with gnuplot.
#pragma once

#include <string>
#include <vector>

namespace capplan {

// Reads forecast.csv, tranches.csv, targets.csv, completion_cdf.csv,
// sensitivity.csv and run.json from `out_dir` and writes, as SVG and PNG:
// fan charts of available accelerators and effective PFLOPS (outer quantile
// band, median line, targets marked), cumulative delivered compute, tranche
// completion S-curves and the tornado chart of drivers. Returns the file
// names written. Throws RuntimeFailure if gnuplot is missing or fails, and
// UsageError if the folder lacks the tables.
std::vector<std::string> write_plots(const std::string& out_dir);

// summary.md for the folder: headline target probabilities, the forecast
// table at each report date, the tranche table, the top drivers and the charts
// (linked by relative path). Returns the Markdown text.
std::string summary_markdown(const std::string& out_dir);

}  // namespace capplan
