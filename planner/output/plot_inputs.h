// A run's output folder read into typed rows for charts and summary.md:
// run.json, the forecast series per metric, targets, tranches and drivers.
// Every loader throws UsageError naming the file when the folder is not a
// complete, well-formed capplan output folder.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "planner/base/date.h"
#include "planner/output/plot_csv.h"

namespace capplan::plots {

// Throws UsageError, saying how to write it, if `dir` is not a folder.
void require_folder(const std::filesystem::path& dir);

// The table `name` in `dir`; a missing table is a UsageError, an unreadable
// one a RuntimeFailure.
CsvTable load_table(const std::filesystem::path& dir, const std::string& name);

// What run.json says about the run.
struct RunFacts {
  std::string name, tool_version, git_revision;  // git_revision empty if unknown
  std::uint64_t trials = 0, seed = 0;
};
RunFacts load_run(const std::filesystem::path& dir);

// The outermost quantile columns (pNN) of a forecast or tranche table, and p50.
struct QuantileColumns {
  std::string low, mid, high;  // mid empty if there is no p50
  std::string low_label() const { return label(low); }
  std::string high_label() const { return label(high); }
  // Share of trials between low and high [percent].
  double coverage() const { return percent(high) - percent(low); }
  static double percent(const std::string& column) { return std::strtod(column.c_str() + 1, nullptr); }
  // "p10" -> "P10".
  static std::string label(const std::string& column) { return "P" + column.substr(1); }
};
QuantileColumns quantile_columns(const CsvTable& table);

// One metric's rows of forecast.csv, in file order.
struct Series {
  std::vector<DayNumber> dates;
  std::vector<double> mean, low, mid, high;  // mid all 0 without a p50 column
};
Series metric_series(const CsvTable& forecast, const QuantileColumns& q, const std::string& metric);

// A row of targets.csv.
struct TargetRow {
  std::string name, metric;
  DayNumber date = 0;
  double threshold = 0, probability = 0, ci_lo = 0, ci_hi = 0;
};
std::vector<TargetRow> load_targets(const CsvTable& targets);

// A row of tranches.csv; completion dates as written (a date or after-horizon).
struct TrancheRow {
  std::string name;
  std::string units;
  double probability = 0, ci_lo = 0, ci_hi = 0, criticality = 0;
  std::string low, mid, high;  // mid empty without a p50 column
};
std::vector<TrancheRow> load_tranches(const CsvTable& tranches);

// One input's rank correlation with an output, from sensitivity.csv.
struct DriverEntry {
  std::string input;
  double spearman = 0, variance_explained = 0, contribution = 0;
};

struct Drivers {
  std::string output;  // available_accelerators, or delivered_flop_e24 when accelerators do not vary
  std::string date;
  std::vector<DriverEntry> rows;  // by |spearman|, largest first
};

// The drivers of available accelerators at the latest date in sensitivity.csv;
// of delivered compute when the accelerator count does not vary (sensitivity.csv
// then has no rows for it). Nothing if sensitivity.csv is absent or has neither.
std::optional<Drivers> load_drivers(const std::filesystem::path& dir);

}  // namespace capplan::plots
