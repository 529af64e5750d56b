// Nightly regression checks: the comparison of a fresh run with a stored
// baseline (the baseline document itself: baseline.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "planner/analysis/baseline.h"
#include "planner/engine/model_builder.h"
#include "planner/engine/statistics.h"
#include "planner/spec/spec.h"

namespace capplan {

// One compared cell.
struct CellCheck {
  std::string table;  // forecast, forecast_by, targets, tranches, milestones
  // e.g. "2026-12-31 available_accelerators p50", "2026-12-31 site:site-b available_accelerators p50",
  // "site-b-50k site:site-b p50": a breakdown cell, scoped target or milestone names its scope
  std::string cell;
  std::string baseline_value;
  std::string new_value;
  double sigmas = 0.0;  // how far apart, in combined standard errors (0 for exact checks)
  bool passed = true;
};

struct CheckReport {
  std::vector<CellCheck> cells;
  double sigmas = 0.0;             // statistical checks: the --sigmas asked for (for the whole check)
  double cell_limit = 0.0;         // and the per-cell limit it implies for this many cells
  bool exact = false;              // from check_exact
  std::vector<std::string> notes;  // e.g. "the spec changed since the baseline (sha256 ...)"
  bool passed() const;
  int failures() const;
};

// Throws UsageError unless the baseline was made from a spec of the same name
// (spec.name): a baseline of another spec is a usage error in every mode, the
// same name with other content a statistical comparison.
void check_baseline_spec(const nlohmann::json& baseline, const Spec& spec, const std::string& file);

// Throws UsageError if the baseline does not fit the spec: another
// format_version, no trial count, other report quantiles, horizon, report
// dates or metrics, other breakdown scopes (report.by), other tranche, target
// or milestone ids, a target or milestone of another metric or scope, or
// missing fields. Cheap: call it before simulating (check_statistical calls it
// too).
void check_baseline_fits(const nlohmann::json& baseline, const Spec& spec, const CompiledModel& model);

// Compares a fresh run with the baseline cell by cell (forecast and breakdown
// cells: mean and quantiles; targets: probability; tranches and milestones:
// probability and date quantiles), each cell's distance in
// combined standard errors under an error model that accounts for ties and
// discreteness (docs/nightly.md). With `family_wise` (the default), `sigmas` is
// the false-alarm level of the whole check: a cell fails beyond
// cell_sigmas_limit(sigmas, cells), `cells` counting every cell compared, so
// the check false-alarms about as rarely as a single cell at `sigmas` would
// (the reference's 3,626 cells at 4 sigmas: 5.64 per cell); without it a cell
// fails beyond `sigmas` itself. Throws UsageError if
// the baseline does not fit the spec (check_baseline_fits).
CheckReport check_statistical(const nlohmann::json& baseline, const Spec& spec, const CompiledModel& model,
                              const ForecastStatistics& fresh, double sigmas, bool family_wise = true);

// The error model of a quantile cell, in rank space (docs/nightly.md): the
// baseline's p-quantile value v had (below, through) = (P(X < v), P(X <= v))
// in the baseline's n_old trials (its histogram bin as one atom), the fresh run
// has fresh_bounds at v in n_new trials. Returns 0 when the fresh p-quantile
// falls in v's atom too; otherwise the gap between the two runs' CDFs at the
// atom's edge that p crossed, in units of sqrt(p (1 - p) (1/n_old + 1/n_new)).
double quantile_rank_sigmas(double p, std::pair<double, double> baseline_bounds, std::uint64_t n_old,
                            std::pair<double, double> fresh_bounds, std::uint64_t n_new);

// The per-cell limit of a check of `cells` cells at `sigmas`: the z whose
// two-sided normal tail is that of `sigmas` divided by `cells` (Bonferroni);
// `sigmas` itself for one cell.
double cell_sigmas_limit(double sigmas, std::size_t cells);

// Two-proportion z statistic with pooled p (0 when both proportions are 0 or both 1).
double proportion_sigmas(std::uint64_t hits_old, std::uint64_t n_old, std::uint64_t hits_new, std::uint64_t n_new);

// Demands byte-identical tables (same spec, seed and trials): forecast.csv,
// tranches.csv, targets.csv, and forecast_by.csv and milestones.csv where
// either run has them.
CheckReport check_exact(const nlohmann::json& baseline, const RunTables& fresh);

// A table of the cells that moved (or "all N cells passed").
std::string check_summary(const CheckReport& report);

// JUnit XML (one testsuite per spec, one testcase per cell) for CI servers.
std::string junit_xml(const std::vector<std::pair<std::string, CheckReport>>& suites);

}  // namespace capplan
