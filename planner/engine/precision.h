// Running to a requested precision (--precision): when are the reported
// quantiles and target probabilities known well enough?
#pragma once

#include <cstdint>
#include <string>

#include "planner/engine/model_builder.h"
#include "planner/engine/statistics.h"
#include "planner/spec/spec.h"

namespace capplan {

struct PrecisionAssessment {
  bool met = false;
  double worst_ratio = 0.0;  // largest (half-width / tolerance) over the checked cells; met when <= 1
  std::string worst_cell;    // e.g. "2026-12-31 available_accelerators p10"
};

// Checked cells: every reported quantile of available_accelerators and
// effective_pflops at every report date (the totals: report.by's breakdown
// cells do not take part, so asking for breakdowns never lengthens a run),
// every target probability (scoped ones too) and every milestone's
// probability of being reached.
// A quantile's 95% interval half-width must be within relative x max(|value|,
// 1% of the metric's scale), the scale being the largest median of that metric
// over the report dates (so cells near zero early in a roll-out are held to a
// tolerance that means something), and never below one unit of a count (a
// count's interval cannot be narrower than its lattice; likewise an interval
// whose ends are neighbouring values with no trial between them); a target's
// or milestone's Wilson 95% half-width within `relative` in absolute terms
// (0.5% -> +-0.005).
PrecisionAssessment assess_precision(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats,
                                     double relative);

// What a run to a precision asks for (capplan run --precision).
struct PrecisionGoal {
  double relative = 0.0;         // 0 < relative < 1, e.g. 0.005 for 0.5%
  std::uint64_t max_trials = 0;  // stop here if the precision is not met before
};

// Where a run to a precision stopped.
struct PrecisionOutcome {
  double requested = 0.0;          // PrecisionGoal::relative
  std::uint64_t max_trials = 0;    // the cap it ran under (never below the starting trials)
  std::uint64_t trials_used = 0;   // the last checkpoint's trial count
  PrecisionAssessment assessment;  // at that checkpoint
};

// "Precision 0.5%: met after 4000 trials (worst cell: ..., half-width 0.93 x tolerance)\n"
std::string precision_summary(const PrecisionOutcome& outcome);

// "0.5%" -> 0.005, "0.005" -> 0.005; throws UsageError unless 0 < value < 1.
double parse_precision(const std::string& text);

}  // namespace capplan
