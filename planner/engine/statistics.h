// Forecast statistics accumulated over trials in memory that does not grow
// with the trial count: per (record row, metric) cell an integer histogram, an
// exact fixed-point sum, and the minimum and maximum; per tranche a histogram
// of completion days; per target a hit count. Every update is an integer
// addition or a min/max, so the result does not depend on the order in which
// trials arrive (threads, batches, backends, ranks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/aggregate.h"
#include "kernels/histogram.h"
#include "planner/base/limits.h"
#include "planner/base/parallel.h"
#include "planner/engine/model_builder.h"

namespace capplan {

struct HistogramResolution {
  int count_bits = 12;             // counts are exact below 2^13, then bins < 2^-12 of their values wide
  int continuous_bits = 9;         // continuous metrics: bins < 2^-9 (0.2%) of their values wide
  int continuous_range_bits = 24;  // continuous values are first quantized to (upper bound) / 2^24
  std::size_t memory_budget_bytes = kHistogramBudgetBytes;  // resolution is lowered to stay within
};

// The coarsest resolution the statistics lower `resolution` to (6 bits).
HistogramResolution coarsest_resolution(HistogramResolution resolution);

// A record cell of `scale`'s metric at `resolution`; bin_offset left at 0.
CellLayout metric_cell_layout(const MetricScale& scale, const HistogramResolution& resolution);

// Histogram bins of the record cells of scope blocks [first_block, end_block)
// at `resolution`: every record row of every block is laid out alike.
std::uint64_t histogram_bins(const CompiledModel& model, int first_block, int end_block,
                             const HistogramResolution& resolution);

// Raw counters in the layout of ForecastStatistics, for backends that
// aggregate elsewhere (e.g. on a GPU) and for exact reductions.
struct StatisticsCounters {
  std::vector<std::uint64_t> bins;        // all cells' histograms, at CellLayout::bin_offset
  std::vector<std::uint64_t> sums;        // per cell
  std::vector<double> minima, maxima;     // per cell
  std::vector<std::uint64_t> completion;  // [tranche][days + 1]; the last bin is "not within the horizon"
  std::vector<std::uint64_t> target_hits;
  std::vector<std::uint64_t> critical;  // per tranche: trials in which it is among its site's last to complete
  std::uint64_t trials = 0;

  // Pointers into these vectors, for the aggregation (kernels/aggregate.h) and backends.
  CounterView view();
};

struct ValueInterval {
  double low = 0.0;
  double high = 0.0;
};

class ForecastStatistics {
 public:
  explicit ForecastStatistics(const CompiledModel& model, HistogramResolution resolution = {});

  // Adds `n` trials: records[n][scope blocks][record rows][kMetricCount] and
  // completion[n][tranches + milestones] (kernels/trial.h).
  void add(const double* records, const int* completion_days, std::int64_t n, int threads);
  // Adds counters gathered in this statistics' layout (see empty_counters()).
  void add(const StatisticsCounters& counters);
  // Adds the counts of `other` (built from the same model and resolution).
  void merge(const ForecastStatistics& other) { add(other.counters_); }
  // Zeroed counters in this layout (minima +inf, maxima -inf).
  StatisticsCounters empty_counters() const;
  // Combines every rank's statistics onto rank 0 exactly (integer sums, min, max).
  void reduce_to_root(const Communicator& communicator);

  const std::vector<CellLayout>& cell_layouts() const { return layouts_; }
  // The layout of the counters as plain data (valid while this object lives),
  // for backends that aggregate elsewhere into empty_counters().
  CounterLayout counter_layout() const;
  std::uint64_t trials() const { return counters_.trials; }
  // The raw counters (for parity checks and debugging dumps).
  const StatisticsCounters& counters() const { return counters_; }
  double mean(int row, int metric) const;
  // The smallest histogram value v with P(X <= v) >= p (inverted CDF): exact for
  // counts below 2^(count_bits + 1); otherwise the bin's midpoint, kept within
  // the cell's observed [min, max] (so a cell whose trials all agree is exact).
  double quantile(int row, int metric, double p) const;
  // 95% (for z = kZ95) distribution-free interval of the p-quantile: the values
  // at the order-statistic ranks of planner/engine/intervals.h.
  ValueInterval quantile_interval(int row, int metric, double p, double z) const;
  // (P(X < v), P(X <= v)) at histogram resolution: the bin holding v counts as one atom.
  std::pair<double, double> cdf_bounds(int row, int metric, double value) const;
  // Standard deviation estimated from the histogram (bin midpoints), for standard errors.
  double standard_deviation(int row, int metric) const;
  double minimum(int row, int metric) const { return counters_.minima[cell(row, metric)]; }
  double maximum(int row, int metric) const { return counters_.maxima[cell(row, metric)]; }

  double target_probability(int target) const;
  std::uint64_t target_hits(int target) const { return counters_.target_hits[static_cast<std::size_t>(target)]; }
  double completion_probability(int tranche) const;   // complete within the horizon
  std::uint64_t completion_count(int tranche) const;  // trials in which it is complete within the horizon
  // Completion day index at probability p; -1 when it falls after the horizon.
  int completion_quantile(int tranche, double p) const;
  // Interval of that quantile (day indices; -1 = after the horizon).
  std::pair<int, int> completion_interval(int tranche, double p, double z) const;
  // P(complete by the end of day d) for each d of `days` (ascending), in one pass over the counters.
  std::vector<double> completion_cdf(int tranche, const std::vector<int>& days) const;
  // (P(completion < day), P(completion <= day)); day -1 means "not within the horizon".
  std::pair<double, double> completion_cdf_bounds(int tranche, int day) const;
  // How often the tranche is among the last of its site's tranches to complete
  // (not completing counts as latest; a tranche that does not happen is never critical).
  double criticality(int tranche) const;

  std::size_t memory_bytes() const;
  // The totals' resolution, and the breakdown blocks' (each fits its own budget).
  const HistogramResolution& resolution() const { return resolution_; }
  const HistogramResolution& breakdown_resolution() const { return breakdown_resolution_; }
  // Record rows per block; row `block_row(b, r)` is row r of scope block b in
  // every (row, metric) accessor above.
  int record_rows() const { return rows_; }
  int block_row(int block, int row) const { return block * rows_ + row; }
  // Milestone k's first-passage days are outcome tranches() + k of the completion accessors.
  int milestone_outcome(int milestone) const { return static_cast<int>(model_->tranches.size()) + milestone; }

 private:
  std::size_t cell(int row, int metric) const {
    return static_cast<std::size_t>(row) * kMetricCount + static_cast<std::size_t>(metric);
  }
  // Lays out blocks [first_block, end_block) from bin `offset` on; returns the next free bin.
  std::size_t lay_out(const CompiledModel& model, int first_block, int end_block, const HistogramResolution& resolution,
                      std::size_t offset);
  // Lowers `resolution` until blocks [first_block, end_block)'s histograms fit its budget, or to the coarsest.
  static void fit_budget(const CompiledModel& model, int first_block, int end_block, HistogramResolution& resolution);
  std::size_t outcome_count() const { return model_->tranches.size() + model_->milestones.size(); }
  static std::uint64_t rank_for(double p, std::uint64_t n);
  double value_at_rank(std::size_t cell_index, std::uint64_t rank) const;
  int completion_day_at_rank(int tranche, std::uint64_t rank) const;

  const CompiledModel* model_;
  HistogramResolution resolution_;
  HistogramResolution breakdown_resolution_;
  int rows_ = 0;    // record rows per block
  int blocks_ = 1;  // scope blocks: the total, then the breakdowns
  int days_ = 0;
  std::vector<CellLayout> layouts_;
  std::vector<TargetCell> targets_;  // the model's targets, as record cells
  StatisticsCounters counters_;
};

}  // namespace capplan
