// How numbers are written in every table and text capplan produces, so that a
// value reads the same in forecast.csv, a check report and a chart's summary.
#pragma once

#include <string>

namespace capplan {

// 8 significant digits, without an exponent from 1e8 on (2e+09 reads badly).
std::string format_mean(double value);
// Count metrics (kernels/metrics.h) as integers; other metrics like means.
std::string format_value(int metric, double value);
// Probabilities with 6 decimals.
std::string format_probability(double p);

}  // namespace capplan
