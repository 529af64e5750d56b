#include "planner/engine/statistics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "kernels/aggregate.h"
#include "kernels/metrics.h"
#include "planner/engine/intervals.h"

namespace capplan {

namespace {

// One step coarser, if the resolution can still be lowered.
bool lower(HistogramResolution& r) {
  if (r.count_bits <= 6 && r.continuous_bits <= 6) return false;
  r.count_bits = std::max(6, r.count_bits - 1);
  r.continuous_bits = std::max(6, r.continuous_bits - 1);
  return true;
}

}  // namespace

HistogramResolution coarsest_resolution(HistogramResolution resolution) {
  while (lower(resolution)) {
  }
  return resolution;
}

CellLayout metric_cell_layout(const MetricScale& scale, const HistogramResolution& resolution) {
  CellLayout c;
  c.is_count = scale.is_count ? 1 : 0;
  c.sum_bound = scale.maximum;
  if (scale.is_count) {
    c.bits = resolution.count_bits;
    c.scale = scale.unit;
    c.max_x = static_cast<std::int64_t>(std::floor(scale.maximum / scale.unit + 0.5));
  } else {
    const std::int64_t continuous_steps = std::int64_t(1) << resolution.continuous_range_bits;
    c.bits = resolution.continuous_bits;
    c.max_x = continuous_steps - 1;
    c.scale = scale.maximum > 0.0 ? scale.maximum / static_cast<double>(continuous_steps) : 1.0;
  }
  c.bin_count = hdr_bin_count(c.max_x, c.bits);
  return c;
}

std::uint64_t histogram_bins(const CompiledModel& model, int first_block, int end_block,
                             const HistogramResolution& resolution) {
  std::uint64_t row_bins = 0;
  for (const MetricScale& scale : model.metric_scales) {
    row_bins += static_cast<std::uint64_t>(metric_cell_layout(scale, resolution).bin_count);
  }
  const std::uint64_t rows = model.record_days.size() * static_cast<std::uint64_t>(end_block - first_block);
  return rows * row_bins;
}

void ForecastStatistics::fit_budget(const CompiledModel& model, int first_block, int end_block,
                                    HistogramResolution& resolution) {
  while (histogram_bins(model, first_block, end_block, resolution) * sizeof(std::uint64_t) >
             resolution.memory_budget_bytes &&
         lower(resolution)) {
  }
}

ForecastStatistics::ForecastStatistics(const CompiledModel& model, HistogramResolution resolution)
    : model_(&model), resolution_(resolution), breakdown_resolution_(resolution) {
  rows_ = static_cast<int>(model.record_days.size());
  blocks_ = std::max<int>(1, static_cast<int>(model.scopes.size()));
  days_ = model.days;
  layouts_.assign(static_cast<std::size_t>(blocks_) * static_cast<std::size_t>(rows_) * kMetricCount, CellLayout{});
  // Lower the resolution until the histograms fit the budget (deterministic:
  // depends only on the spec). The totals and the breakdowns each have a
  // budget, so turning breakdowns on never coarsens the totals.
  fit_budget(model, 0, 1, resolution_);
  const std::size_t total_bins = lay_out(model, 0, 1, resolution_, 0);
  if (blocks_ > 1) {
    fit_budget(model, 1, blocks_, breakdown_resolution_);
    lay_out(model, 1, blocks_, breakdown_resolution_, total_bins);
  }
  for (const CompiledTarget& target : model.targets) {
    TargetCell t;
    t.cell = cell(target.scope_block * rows_ + target.record_index, target.metric);
    t.threshold = target.threshold;
    targets_.push_back(t);
  }
  counters_ = empty_counters();
}

CounterView StatisticsCounters::view() {
  CounterView v;
  v.sizes.bins = bins.size();
  v.sizes.cells = sums.size();
  v.sizes.completion = completion.size();
  v.sizes.targets = target_hits.size();
  v.sizes.tranches = critical.size();
  v.bins = bins.data();
  v.sums = sums.data();
  v.minima = minima.data();
  v.maxima = maxima.data();
  v.completion = completion.data();
  v.target_hits = target_hits.data();
  v.critical = critical.data();
  return v;
}

std::size_t ForecastStatistics::lay_out(const CompiledModel& model, int first_block, int end_block,
                                        const HistogramResolution& resolution, std::size_t offset) {
  std::array<CellLayout, kMetricCount> row;
  for (int m = 0; m < kMetricCount; ++m) {
    row[static_cast<std::size_t>(m)] = metric_cell_layout(model.metric_scales[static_cast<std::size_t>(m)], resolution);
  }
  for (int r = first_block * rows_; r < end_block * rows_; ++r) {
    for (int m = 0; m < kMetricCount; ++m) {
      CellLayout& c = layouts_[cell(r, m)];
      c = row[static_cast<std::size_t>(m)];
      c.bin_offset = offset;
      offset += static_cast<std::size_t>(c.bin_count);
    }
  }
  return offset;
}

CounterLayout ForecastStatistics::counter_layout() const {
  CounterLayout layout;
  layout.sizes.bins = counters_.bins.size();
  layout.sizes.cells = layouts_.size();
  layout.sizes.completion = counters_.completion.size();
  layout.sizes.targets = targets_.size();
  layout.sizes.tranches = counters_.critical.size();
  layout.cells = layouts_.data();
  layout.targets = targets_.data();
  return layout;
}

StatisticsCounters ForecastStatistics::empty_counters() const {
  StatisticsCounters c;
  const CellLayout& last = layouts_.back();
  c.bins.assign(last.bin_offset + static_cast<std::size_t>(last.bin_count), 0);
  c.sums.assign(layouts_.size(), 0);
  c.minima.assign(layouts_.size(), std::numeric_limits<double>::infinity());
  c.maxima.assign(layouts_.size(), -std::numeric_limits<double>::infinity());
  c.completion.assign(outcome_count() * static_cast<std::size_t>(days_ + 1), 0);
  c.target_hits.assign(model_->targets.size(), 0);
  c.critical.assign(model_->tranches.size(), 0);
  return c;
}

void ForecastStatistics::add(const double* records, const int* completion_days, std::int64_t n, int threads) {
  const std::size_t row_stride = layouts_.size();  // a trial's record: every block's rows
  std::uint64_t* bins = counters_.bins.data();
  // Each record row (its kMetricCount cells, one 64-byte line of a trial's
  // record) is owned by one thread: no atomics, no order dependence, and every
  // line read from the batch is used whole. The row's sums, minima and maxima
  // stay in locals while its trials are added.
  (void)threads;
#if defined(CAPPLAN_HAVE_OPENMP)
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
#endif
  for (int row = 0; row < blocks_ * rows_; ++row) {
    const std::size_t first = static_cast<std::size_t>(row) * kMetricCount;
    std::uint64_t sum[kMetricCount];
    double lowest[kMetricCount], highest[kMetricCount];
    for (int k = 0; k < kMetricCount; ++k) {
      sum[k] = counters_.sums[first + k];
      lowest[k] = counters_.minima[first + k];
      highest[k] = counters_.maxima[first + k];
    }
    PlainSink sink;
    for (std::int64_t i = 0; i < n; ++i) {
      const double* values = records + static_cast<std::size_t>(i) * row_stride + first;
      for (int k = 0; k < kMetricCount; ++k) {
        aggregate_cell(sink, layouts_[first + k], values[k],
                       CellCounters<double>{bins, &sum[k], &lowest[k], &highest[k]});
      }
    }
    for (int k = 0; k < kMetricCount; ++k) {
      counters_.sums[first + k] = sum[k];
      counters_.minima[first + k] = lowest[k];
      counters_.maxima[first + k] = highest[k];
    }
  }

  // Completion days, criticality and target hits, trial by trial.
  const ModelView model = model_->view(0);
  const CounterLayout layout = counter_layout();
  const CounterView to = counters_.view();
  PlainSink sink;
  const std::size_t outcomes = outcome_count();
  for (std::int64_t i = 0; i < n; ++i) {
    aggregate_outcomes(sink, model, layout, to, records + static_cast<std::size_t>(i) * row_stride,
                       completion_days + static_cast<std::size_t>(i) * outcomes);
  }
  counters_.trials += static_cast<std::uint64_t>(n);
}

void ForecastStatistics::add(const StatisticsCounters& other) {
  auto add_all = [](std::vector<std::uint64_t>& into, const std::vector<std::uint64_t>& from) {
    for (std::size_t i = 0; i < into.size(); ++i) into[i] += from[i];
  };
  add_all(counters_.bins, other.bins);
  add_all(counters_.sums, other.sums);
  add_all(counters_.completion, other.completion);
  add_all(counters_.target_hits, other.target_hits);
  add_all(counters_.critical, other.critical);
  for (std::size_t i = 0; i < counters_.minima.size(); ++i) {
    counters_.minima[i] = std::min(counters_.minima[i], other.minima[i]);
    counters_.maxima[i] = std::max(counters_.maxima[i], other.maxima[i]);
  }
  counters_.trials += other.trials;
}

void ForecastStatistics::reduce_to_root(const Communicator& communicator) {
  if (communicator.size() == 1) return;
  // One integer vector (summed) and two double vectors (min, max) per reduction.
  std::vector<std::uint64_t> integers(counters_.bins);
  for (const auto* part : {&counters_.sums, &counters_.completion, &counters_.target_hits, &counters_.critical}) {
    integers.insert(integers.end(), part->begin(), part->end());
  }
  integers.push_back(counters_.trials);
  std::vector<double> minima = counters_.minima, maxima = counters_.maxima;
  communicator.sum_to_root(integers);
  communicator.min_to_root(minima);
  communicator.max_to_root(maxima);
  if (!communicator.is_root()) return;
  auto next = integers.begin();
  for (auto* part :
       {&counters_.bins, &counters_.sums, &counters_.completion, &counters_.target_hits, &counters_.critical}) {
    std::copy(next, next + static_cast<std::ptrdiff_t>(part->size()), part->begin());
    next += static_cast<std::ptrdiff_t>(part->size());
  }
  counters_.trials = *next;
  counters_.minima = minima;
  counters_.maxima = maxima;
}

double ForecastStatistics::mean(int row, int metric) const {
  if (counters_.trials == 0) return 0.0;
  const std::size_t index = cell(row, metric);
  const CellLayout& c = layouts_[index];
  const double n = static_cast<double>(counters_.trials);
  const double sum = static_cast<double>(counters_.sums[index]);
  if (c.is_count) return sum * c.scale / n;
  return sum / kFixedPointSteps * c.sum_bound / n;
}

std::uint64_t ForecastStatistics::rank_for(double p, std::uint64_t n) {
  // The k-th smallest value, k = ceil(p n); a relative 1e-12 absorbs p n landing
  // a rounding error above an integer (0.07 x 100 = 7.000000000000001).
  const double k = std::ceil(p * static_cast<double>(n) * (1.0 - 1e-12));
  if (k < 1.0) return 1;
  if (k > static_cast<double>(n)) return n;
  return static_cast<std::uint64_t>(k);
}

double ForecastStatistics::value_at_rank(std::size_t index, std::uint64_t rank) const {
  const CellLayout& c = layouts_[index];
  const std::uint64_t* bins = counters_.bins.data() + c.bin_offset;
  std::uint64_t running = 0;
  int found = c.bin_count - 1;
  for (int b = 0; b < c.bin_count; ++b) {
    running += bins[b];
    if (running >= rank) {
      found = b;
      break;
    }
  }
  std::int64_t low = 0, width = 1;
  hdr_bin_range(found, c.bits, &low, &width);
  // Counts: an integer inside the bin. Continuous values: the bin's midpoint,
  // except the first bin ([0, one quantum)), which holds the exact zeros of a
  // roll-out that has not started and so reports 0.
  double value = 0.0;
  if (c.is_count) {
    value = static_cast<double>(low + (width - 1) / 2) * c.scale;
  } else if (found > 0) {
    value = (static_cast<double>(low) + 0.5 * static_cast<double>(width)) * c.scale;
  }
  return std::min(std::max(value, counters_.minima[index]), counters_.maxima[index]);
}

double ForecastStatistics::quantile(int row, int metric, double p) const {
  if (counters_.trials == 0) return 0.0;
  return value_at_rank(cell(row, metric), rank_for(p, counters_.trials));
}

ValueInterval ForecastStatistics::quantile_interval(int row, int metric, double p, double z) const {
  if (counters_.trials == 0) return {};
  const auto [low, high] = order_statistic_ranks(p, counters_.trials, z);
  return {value_at_rank(cell(row, metric), low), value_at_rank(cell(row, metric), high)};
}

std::pair<double, double> ForecastStatistics::cdf_bounds(int row, int metric, double value) const {
  if (counters_.trials == 0) return {0.0, 1.0};
  const std::size_t index = cell(row, metric);
  const CellLayout& c = layouts_[index];
  const int target = hdr_bin_index(cell_quantize(c, value), c.bits);
  const std::uint64_t* bins = counters_.bins.data() + c.bin_offset;
  std::uint64_t below = 0;
  for (int b = 0; b < target; ++b) below += bins[b];
  const double n = static_cast<double>(counters_.trials);
  return {static_cast<double>(below) / n, static_cast<double>(below + bins[target]) / n};
}

double ForecastStatistics::standard_deviation(int row, int metric) const {
  if (counters_.trials < 2) return 0.0;
  const std::size_t index = cell(row, metric);
  const CellLayout& c = layouts_[index];
  const std::uint64_t* bins = counters_.bins.data() + c.bin_offset;
  const double mu = mean(row, metric);
  double squares = 0.0;
  for (int b = 0; b < c.bin_count; ++b) {
    if (bins[b] == 0) continue;
    std::int64_t low = 0, width = 1;
    hdr_bin_range(b, c.bits, &low, &width);
    const double mid = c.is_count && width == 1
                           ? static_cast<double>(low) * c.scale
                           : (static_cast<double>(low) + 0.5 * static_cast<double>(width)) * c.scale;
    const double clamped = std::min(std::max(mid, counters_.minima[index]), counters_.maxima[index]);
    squares += static_cast<double>(bins[b]) * (clamped - mu) * (clamped - mu);
  }
  return std::sqrt(squares / static_cast<double>(counters_.trials - 1));
}

double ForecastStatistics::target_probability(int target) const {
  if (counters_.trials == 0) return 0.0;
  return static_cast<double>(counters_.target_hits[static_cast<std::size_t>(target)]) /
         static_cast<double>(counters_.trials);
}

std::uint64_t ForecastStatistics::completion_count(int tranche) const {
  const std::uint64_t* bins =
      counters_.completion.data() + static_cast<std::size_t>(tranche) * static_cast<std::size_t>(days_ + 1);
  return counters_.trials - bins[days_];
}

double ForecastStatistics::completion_probability(int tranche) const {
  if (counters_.trials == 0) return 0.0;
  const std::uint64_t* bins =
      counters_.completion.data() + static_cast<std::size_t>(tranche) * static_cast<std::size_t>(days_ + 1);
  return 1.0 - static_cast<double>(bins[days_]) / static_cast<double>(counters_.trials);
}

int ForecastStatistics::completion_day_at_rank(int tranche, std::uint64_t rank) const {
  const std::uint64_t* bins =
      counters_.completion.data() + static_cast<std::size_t>(tranche) * static_cast<std::size_t>(days_ + 1);
  std::uint64_t running = 0;
  for (int d = 0; d < days_; ++d) {
    running += bins[d];
    if (running >= rank) return d;
  }
  return -1;
}

int ForecastStatistics::completion_quantile(int tranche, double p) const {
  if (counters_.trials == 0) return -1;
  return completion_day_at_rank(tranche, rank_for(p, counters_.trials));
}

std::pair<int, int> ForecastStatistics::completion_interval(int tranche, double p, double z) const {
  if (counters_.trials == 0) return {-1, -1};
  const auto [low, high] = order_statistic_ranks(p, counters_.trials, z);
  return {completion_day_at_rank(tranche, low), completion_day_at_rank(tranche, high)};
}

std::vector<double> ForecastStatistics::completion_cdf(int tranche, const std::vector<int>& days) const {
  if (counters_.trials == 0) return std::vector<double>(days.size(), 1.0);
  const std::uint64_t* bins =
      counters_.completion.data() + static_cast<std::size_t>(tranche) * static_cast<std::size_t>(days_ + 1);
  const double n = static_cast<double>(counters_.trials);
  std::vector<double> cdf;
  cdf.reserve(days.size());
  std::uint64_t by_end = 0;  // trials complete by the end of day `next - 1`
  int next = 0;
  for (int day : days) {
    const int last = day < 0 || day >= days_ ? days_ : day;
    for (; next <= last; ++next) by_end += bins[next];
    cdf.push_back(static_cast<double>(by_end) / n);
  }
  return cdf;
}

std::pair<double, double> ForecastStatistics::completion_cdf_bounds(int tranche, int day) const {
  if (counters_.trials == 0) return {0.0, 1.0};
  const std::uint64_t* bins =
      counters_.completion.data() + static_cast<std::size_t>(tranche) * static_cast<std::size_t>(days_ + 1);
  const int last = day < 0 || day >= days_ ? days_ : day;
  std::uint64_t below = 0;
  for (int d = 0; d < last; ++d) below += bins[d];
  const double n = static_cast<double>(counters_.trials);
  return {static_cast<double>(below) / n, static_cast<double>(below + bins[last]) / n};
}

double ForecastStatistics::criticality(int tranche) const {
  if (counters_.trials == 0) return 0.0;
  return static_cast<double>(counters_.critical[static_cast<std::size_t>(tranche)]) /
         static_cast<double>(counters_.trials);
}

std::size_t ForecastStatistics::memory_bytes() const {
  return (counters_.bins.size() + counters_.sums.size() + counters_.completion.size()) * sizeof(std::uint64_t) +
         (counters_.minima.size() + counters_.maxima.size()) * sizeof(double) + layouts_.size() * sizeof(CellLayout);
}

}  // namespace capplan
