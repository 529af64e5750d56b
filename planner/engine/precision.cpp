#include "planner/engine/precision.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "kernels/metrics.h"
#include "planner/base/errors.h"
#include "planner/engine/intervals.h"

namespace capplan {

PrecisionAssessment assess_precision(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats,
                                     double relative) {
  PrecisionAssessment result;
  auto consider = [&](double ratio, const std::string& cell) {
    if (ratio > result.worst_ratio || result.worst_cell.empty()) {
      result.worst_ratio = ratio;
      result.worst_cell = cell;
    }
  };
  for (int metric : {int(kAvailableAccelerators), int(kEffectivePflops)}) {
    double scale = 0.0;
    for (int row : model.report_rows) scale = std::max(scale, std::fabs(stats.quantile(row, metric, 0.5)));
    for (int row : model.report_rows) {
      for (double q : spec.report.quantiles) {
        const double value = stats.quantile(row, metric, q);
        const ValueInterval interval = stats.quantile_interval(row, metric, q, kZ95);
        const double half_width = 0.5 * (interval.high - interval.low);
        // A count cannot be pinned down finer than its unit (72 accelerators for an NVL72).
        const double unit = model.metric_scales[static_cast<std::size_t>(metric)].is_count
                                ? model.metric_scales[static_cast<std::size_t>(metric)].unit
                                : 0.0;
        const double tolerance = std::max(relative * std::max(std::fabs(value), 0.01 * scale), unit);
        // An interval between two neighbouring values of a discrete distribution (no
        // trial strictly between them) is as tight as the quantile can be known.
        const bool neighbours =
            stats.cdf_bounds(row, metric, interval.high).first == stats.cdf_bounds(row, metric, interval.low).second;
        double ratio = tolerance > 0.0 ? half_width / tolerance : (half_width > 0.0 ? HUGE_VAL : 0.0);
        if (neighbours) ratio = std::min(ratio, 1.0);
        consider(ratio, fmt::format("{} {} {}",
                                    format_date(model.horizon_start + model.record_days[static_cast<std::size_t>(row)]),
                                    metric_names()[static_cast<std::size_t>(metric)], quantile_column(q)));
      }
    }
  }
  for (std::size_t k = 0; k < model.targets.size(); ++k) {
    const auto [low, high] = wilson_interval(stats.target_hits(static_cast<int>(k)), stats.trials());
    consider(0.5 * (high - low) / relative, "target " + model.targets[k].id);
  }
  for (std::size_t k = 0; k < model.milestone_specs.size(); ++k) {
    const auto [low, high] =
        wilson_interval(stats.completion_count(stats.milestone_outcome(static_cast<int>(k))), stats.trials());
    consider(0.5 * (high - low) / relative, "milestone " + model.milestone_specs[k].id);
  }
  result.met = result.worst_ratio <= 1.0;
  return result;
}

std::string precision_summary(const PrecisionOutcome& outcome) {
  return fmt::format("Precision {:.3g}%: {} after {} trials (worst cell: {}, half-width {:.2f} x tolerance)\n",
                     100.0 * outcome.requested, outcome.assessment.met ? "met" : "NOT met (--max-trials reached)",
                     outcome.trials_used, outcome.assessment.worst_cell, outcome.assessment.worst_ratio);
}

double parse_precision(const std::string& text) {
  std::string number = text;
  double factor = 1.0;
  if (!number.empty() && number.back() == '%') {
    number.pop_back();
    factor = 0.01;
  }
  double value = 0.0;
  std::size_t used = 0;
  try {
    value = std::stod(number, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  value *= factor;
  if (used == 0 || used != number.size() || !(value > 0.0 && value < 1.0)) {
    throw UsageError("--precision expects a relative precision such as 0.5% or 0.005, got '" + text + "'");
  }
  return value;
}

}  // namespace capplan
