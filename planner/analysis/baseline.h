// The regression baseline document: what `capplan baseline` stores about a
// run, and reading it back with every field checked (the comparison itself:
// regression.h).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "kernels/metrics.h"
#include "planner/base/date.h"
#include "planner/engine/model_builder.h"
#include "planner/engine/statistics.h"
#include "planner/spec/spec.h"

namespace capplan {

// The tables --exact compares, as text; forecast_by and milestones are empty
// when the spec has no report.by or no milestones (a run writes no such file).
struct RunTables {
  std::string forecast;
  std::string tranches;
  std::string targets;
  std::string forecast_by;
  std::string milestones;
};

// A run's tables, as `capplan run` writes them.
RunTables checked_tables(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats);

// A record cell's name, its key in a baseline and its label in a check:
// "2026-12-31 available_accelerators" (a total; `scope` empty) or
// "2026-12-31 site:site-b available_accelerators" (a breakdown cell).
inline std::string record_label(const std::string& date, const std::string& scope, const std::string& metric) {
  return date + " " + (scope.empty() ? std::string() : scope + " ") + metric;
}

// Calls each(label, block, row, metric) for every cell of forecast.csv (the
// totals, block 0) or, with `breakdowns`, of forecast_by.csv (report.by's
// blocks), in the table's order: by report date, then scope, then metric;
// `row` is the record row within its scope block.
template <typename Each>
void for_each_record_cell(const CompiledModel& model, bool breakdowns, Each each) {
  const int first = breakdowns ? 1 : 0, last = breakdowns ? model.breakdown_blocks : 0;
  for (int row : model.report_rows) {
    const std::string date = format_date(model.horizon_start + model.record_days[static_cast<std::size_t>(row)]);
    for (int block = first; block <= last; ++block) {
      const std::string scope = breakdowns ? model.scope_names[static_cast<std::size_t>(block)].text() : "";
      for (int m = 0; m < kMetricCount; ++m) {
        each(record_label(date, scope, metric_names()[static_cast<std::size_t>(m)]), block, row, m);
      }
    }
  }
}

// Version of the baseline document; check_* reject any other. 2 added the
// breakdown cells (forecast_by), the targets' scope and the milestones.
constexpr int kBaselineFormatVersion = 2;

// The baseline document: format version, tool version, spec sha256 and
// overrides, seed, trials, every forecast cell and every breakdown cell
// (forecast_by.csv: mean, quantiles and their intervals, spread), target
// probabilities with each target's metric and scope, tranche completion and
// milestone first-passage cells, and the exact tables (for --exact).
nlohmann::json make_baseline(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats,
                             const RunTables& tables);

// Throws UsageError naming `file` (when not empty) unless `version` (the
// baseline's format_version) is kBaselineFormatVersion. A format-1 baseline,
// from a capplan that stored no breakdowns, target scopes or milestones, is
// refused with how to re-make it.
void check_format_version(const nlohmann::json& version, const std::string& file);

// Throws UsageError naming `file` and the field's JSON path (e.g.
// "forecast[3].p50_rank") unless every field of the baseline has its type and
// range: format_version 2 (check_format_version); tool, tool_version and
// git_revision strings; spec.name (non-empty), spec.sha256 (64 hex digits),
// spec.overrides (strings); seed 0 .. 2^64-1; trials 1 .. kMaxTrials; horizon
// dates YYYY-MM-DD, start <= end; quantiles ascending in (0, 1); forecast and
// forecast_by cells with a date in the horizon, a known metric (forecast_by: a
// scope other than total), unique keys, finite mean, sd >= 0, and for each
// quantile (and no other) its value, interval and rank [below, through],
// below <= q x trials <= through <= trials; targets, tranches and milestones
// with unique ids; targets and milestones with a known metric and a scope;
// hits, completed and reached counts at most trials, target trials equal to
// trials, probabilities in [0, 1] matching their counts, completion and
// first-passage days -1 .. the horizon's length; the five tables as strings.
// Needs no spec: call it right after reading.
void validate_baseline(const nlohmann::json& baseline, const std::string& file);

// The baseline document in `text`, read from `file`: parsed and then checked
// by validate_baseline. Throws UsageError naming `file` if the text is not
// JSON, nests arrays and objects deeper than kMaxBaselineNesting levels (a
// baseline has 4), or is not a valid baseline. This is what `capplan check`
// reads a baseline file with.
nlohmann::json parse_baseline(const std::string& text, const std::string& file);

}  // namespace capplan
