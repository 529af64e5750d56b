// Confidence intervals used by the reports.
#pragma once

#include <cstdint>
#include <utility>

namespace capplan {

// Two-sided 95% standard normal quantile, Phi^-1(0.975).
constexpr double kZ95 = 1.959963984540054;

// Ranks (1-based) of the order statistics that bound the p-quantile of n
// trials with confidence given by z: l = floor(n p - z s), u = ceil(n p + z s) + 1,
// s = sqrt(n p (1 - p)) (normal approximation to the binomial count of trials
// below the quantile), clamped to [1, n].
std::pair<std::uint64_t, std::uint64_t> order_statistic_ranks(double p, std::uint64_t n, double z = kZ95);

// Wilson score interval for a proportion of `hits` in `n`.
std::pair<double, double> wilson_interval(std::uint64_t hits, std::uint64_t n, double z = kZ95);

}  // namespace capplan
