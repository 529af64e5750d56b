// Forecast statistics accumulated over trials in memory that does not grow
// with the trial count: per (record day, metric) an integer histogram, an exact
// fixed-point sum, and the minimum and maximum; per tranche a histogram of
// completion days; per target a hit count. Every update is integer addition or
// min/max, so the result does not depend on the order in which trials arrive
// (threads, batches, backends, ranks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "planner/model_builder.h"
#include "planner/parallel.h"

namespace capplan {

struct HistogramResolution {
  int count_bits = 12;       // counts are exact below 2^13, then bins are < 2^-12 of their values wide
  int continuous_bits = 9;   // continuous metrics: bins < 2^-9 (0.2%) of their values wide
  int continuous_range_bits = 24;  // continuous values are first quantized to max / 2^24
  std::size_t memory_budget_bytes = std::size_t(1) << 30;  // resolution is lowered to stay within
};

class ForecastStatistics {
 public:
  ForecastStatistics(const CompiledModel& model, HistogramResolution resolution = {});

  // Adds `n` trials: records[n][record rows][kMetricCount], completion[n][tranches].
  void add(const double* records, const int* completion_days, std::int64_t n, int threads);
  // Adds the counts of `other` (built from the same model and resolution).
  void merge(const ForecastStatistics& other);
  // Combines every rank's statistics onto rank 0, exactly: counters are summed
  // as integers, extremes reduced by min and max.
  void reduce_to_root(const Communicator& communicator);

  std::uint64_t trials() const { return trials_; }
  double mean(int row, int metric) const;
  // The smallest histogram value v with P(X <= v) >= p (inverted CDF): exact for
  // counts below 2^(count_bits+1), else the bin's midpoint, kept within [min, max].
  double quantile(int row, int metric, double p) const;
  double minimum(int row, int metric) const { return cells_[cell(row, metric)].minimum; }
  double maximum(int row, int metric) const { return cells_[cell(row, metric)].maximum; }

  double target_probability(int target) const;
  std::uint64_t target_hits(int target) const { return target_hits_[static_cast<std::size_t>(target)]; }
  double completion_probability(int tranche) const;  // complete within the horizon
  // Completion day index at probability p; -1 when it falls after the horizon.
  int completion_quantile(int tranche, double p) const;

  std::size_t memory_bytes() const;
  const HistogramResolution& resolution() const { return resolution_; }

 private:
  struct Cell {
    std::size_t bin_offset = 0;
    int bin_count = 0;
    bool is_count = false;
    int bits = 0;
    std::int64_t max_x = 0;
    double scale = 1.0;    // value per integer step (count unit or continuous quantum)
    double maximum_bound = 0.0;
    std::uint64_t sum = 0;  // counts: sum of x; continuous: sum of round(v / bound * 2^32)
    double minimum = 0.0;
    double maximum = 0.0;
  };

  std::size_t cell(int row, int metric) const {
    return static_cast<std::size_t>(row) * kMetricCount + static_cast<std::size_t>(metric);
  }
  void layout(const CompiledModel& model);
  std::int64_t quantize(const Cell& c, double value) const;
  static std::uint64_t rank_for(double p, std::uint64_t n);

  const CompiledModel* model_;
  HistogramResolution resolution_;
  int rows_ = 0;
  int days_ = 0;
  std::vector<Cell> cells_;
  std::vector<std::uint64_t> bins_;
  std::vector<std::uint64_t> completion_bins_;  // [tranche][days + 1]; the last bin is "after the horizon"
  std::vector<std::uint64_t> target_hits_;
  std::uint64_t trials_ = 0;
};

}  // namespace capplan
