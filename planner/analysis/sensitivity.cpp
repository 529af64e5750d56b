#include "planner/analysis/sensitivity.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

namespace capplan {

namespace {

// Ranks 1..n, ties sharing their average rank.
std::vector<double> average_ranks(const std::vector<double>& values) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
    const double rank = 0.5 * static_cast<double>(i + j) + 1.0;
    for (std::size_t k = i; k <= j; ++k) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

bool varies(const std::vector<double>& values) {
  return std::any_of(values.begin(), values.end(), [&](double v) { return v != values.front(); });
}

}  // namespace

double spearman_correlation(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() < 2 || x.size() != y.size() || !varies(x) || !varies(y)) return 0.0;
  const std::vector<double> rx = average_ranks(x), ry = average_ranks(y);
  const double n = static_cast<double>(x.size());
  const double mean = (n + 1.0) / 2.0;
  double sxy = 0.0, sxx = 0.0, syy = 0.0;
  for (std::size_t i = 0; i < rx.size(); ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  return sxy / std::sqrt(sxx * syy);
}

std::vector<DriverRow> compute_drivers(const DriverSample& sample, const std::vector<std::string>& input_names) {
  std::vector<DriverRow> rows;
  const std::size_t n = sample.trials.size();
  const std::size_t inputs = static_cast<std::size_t>(sample.input_count);
  const char* outputs[] = {"available_accelerators", "delivered_flop_e24"};
  for (std::size_t o = 0; o < 2; ++o) {
    std::vector<double> y(n);
    for (std::size_t i = 0; i < n; ++i) y[i] = sample.outputs[2 * i + o];
    if (!varies(y)) continue;
    std::vector<DriverRow> block;
    for (std::size_t k = 0; k < inputs; ++k) {
      std::vector<double> x(n);
      for (std::size_t i = 0; i < n; ++i) x[i] = sample.inputs[i * inputs + k];
      if (!varies(x)) continue;
      DriverRow row;
      row.output = outputs[o];
      row.input = input_names[k];
      row.spearman = spearman_correlation(x, y);
      row.variance_explained = row.spearman * row.spearman;
      block.push_back(row);
    }
    double total = 0.0;
    for (const auto& row : block) total += row.variance_explained;
    for (auto& row : block) row.contribution_to_variance = total > 0.0 ? row.variance_explained / total : 0.0;
    std::stable_sort(block.begin(), block.end(), [](const DriverRow& a, const DriverRow& b) {
      return std::fabs(a.spearman) > std::fabs(b.spearman);
    });
    rows.insert(rows.end(), block.begin(), block.end());
  }
  return rows;
}

std::string sensitivity_csv(const std::vector<DriverRow>& rows, const std::string& date, const std::string& scope) {
  std::string out = "output,date,scope,rank,input,spearman,variance_explained,contribution_to_variance\n";
  int rank = 0;
  std::string previous;
  for (const auto& row : rows) {
    rank = row.output == previous ? rank + 1 : 1;
    previous = row.output;
    out += fmt::format("{},{},{},{},{},{:.6f},{:.6f},{:.6f}\n", row.output, date, scope, rank, row.input, row.spearman,
                       row.variance_explained, row.contribution_to_variance);
  }
  return out;
}

}  // namespace capplan
