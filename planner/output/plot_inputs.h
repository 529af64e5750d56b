// A run's output folder read into typed rows for charts and summary.md:
// run.json, the forecast series per metric and scope, targets, tranches,
// milestones and drivers.
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

// The table `name` in `dir` if the run wrote it (forecast_by.csv, milestones.csv, ...).
std::optional<CsvTable> load_optional_table(const std::filesystem::path& dir, const std::string& name);

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

// The scope of forecast.csv's rows (forecast_by.csv's are named in its scope
// column: site:<id>, system:<id>, largest-site).
extern const char* const kTotalScope;
extern const char* const kLargestSiteScope;

// Whether `scope` is one of `kind` ("site" or "system"): kind:<id>.
bool is_scope_of(const std::string& scope, const std::string& kind);
// The id of kind:<id>; the whole scope if it has no kind.
std::string scope_id(const std::string& scope);

// One metric's rows of forecast.csv (scope `total`) or, for another scope, of
// forecast_by.csv, in file order. Throws UsageError if there are none.
struct Series {
  std::vector<DayNumber> dates;
  std::vector<double> mean, low, mid, high;  // mid all 0 without a p50 column
};
Series metric_series(const CsvTable& forecast, const QuantileColumns& q, const std::string& metric,
                     const std::string& scope = kTotalScope);

// The median where the table has a p50 column, else the mean: the value a
// breakdown shows per scope.
const std::vector<double>& central_values(const Series& s, const QuantileColumns& q);
// The column central_values() reads: p50 or mean.
std::string central_column(const QuantileColumns& q);

// The scopes of forecast_by.csv, in file order (sites and systems in spec order, then largest-site).
std::vector<std::string> scopes_of(const CsvTable& forecast_by);

// A row of targets.csv (scope `total` where the table has no scope column).
struct TargetRow {
  std::string name, metric, scope;
  DayNumber date = 0;
  double threshold = 0, probability = 0, ci_lo = 0, ci_hi = 0;
};
std::vector<TargetRow> load_targets(const CsvTable& targets);

// What tranches.csv and milestones.csv say of a dated outcome (a tranche's
// completion, a milestone's first passage): its probability within the
// horizon and the dates of its outer quantiles and median as written (a date
// or after-horizon).
struct OutcomeDates {
  std::string name;
  double probability = 0, ci_lo = 0, ci_hi = 0;
  std::string low, mid, high;  // mid empty without a p50 column
};

// A row of tranches.csv.
struct TrancheRow : OutcomeDates {
  std::string units;
  double criticality = 0;
};
std::vector<TrancheRow> load_tranches(const CsvTable& tranches);

// A row of milestones.csv.
struct MilestoneRow : OutcomeDates {
  std::string metric, scope;
  double threshold = 0;
};
std::vector<MilestoneRow> load_milestones(const CsvTable& milestones);

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

// Everything the charts and summary.md are drawn from, read from the output
// folder `dir` and checked before anything is drawn. The tables of optional
// features are there only if the run wrote them.
struct RunFolder {
  explicit RunFolder(const std::filesystem::path& folder);

  std::filesystem::path dir;
  RunFacts run;
  CsvTable forecast;
  QuantileColumns forecast_quantiles;
  std::vector<TargetRow> targets;
  QuantileColumns tranche_quantiles;
  std::vector<TrancheRow> tranches;
  std::optional<CsvTable> forecast_by;                 // with report.by
  std::vector<std::string> scopes;                     // forecast_by.csv's (scopes_of)
  std::optional<QuantileColumns> milestone_quantiles;  // with milestones
  std::vector<MilestoneRow> milestones;
  std::optional<Drivers> drivers;  // with sensitivity.csv
};

}  // namespace capplan::plots
