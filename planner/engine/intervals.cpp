#include "planner/engine/intervals.h"

#include <algorithm>
#include <cmath>

namespace capplan {

std::pair<std::uint64_t, std::uint64_t> order_statistic_ranks(double p, std::uint64_t n, double z) {
  if (n == 0) return {0, 0};
  const double count = static_cast<double>(n);
  const double spread = z * std::sqrt(count * p * (1.0 - p));
  const double low = std::floor(count * p - spread);
  const double high = std::ceil(count * p + spread) + 1.0;
  auto clamp = [&](double r) { return static_cast<std::uint64_t>(std::min(std::max(r, 1.0), count)); };
  return {clamp(low), clamp(high)};
}

std::pair<double, double> wilson_interval(std::uint64_t hits, std::uint64_t n, double z) {
  if (n == 0) return {0.0, 1.0};
  const double count = static_cast<double>(n);
  const double p = static_cast<double>(hits) / count;
  const double z2 = z * z;
  const double center = (p + z2 / (2.0 * count)) / (1.0 + z2 / count);
  const double half = z / (1.0 + z2 / count) * std::sqrt(p * (1.0 - p) / count + z2 / (4.0 * count * count));
  // The bounds are exactly 0 and 1 for none and all hits (rounding would leave ~1e-19).
  return {hits == 0 ? 0.0 : std::max(0.0, center - half), hits == n ? 1.0 : std::min(1.0, center + half)};
}

}  // namespace capplan
