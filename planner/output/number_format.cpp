#include "planner/output/number_format.h"

#include <cmath>

#include <fmt/format.h>

#include "kernels/metrics.h"

namespace capplan {

std::string format_mean(double value) {
  return std::fabs(value) >= 1e8 ? fmt::format("{:.0f}", value) : fmt::format("{:.8g}", value);
}

std::string format_value(int metric, double value) {
  if (metric_is_count(metric)) return fmt::format("{:.0f}", value);
  return format_mean(value);
}

std::string format_probability(double p) { return fmt::format("{:.6f}", p); }

}  // namespace capplan
