#include "planner/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/histogram.h"
#include "kernels/metrics.h"

namespace capplan {

namespace {
constexpr double kSumScale = 4294967296.0;  // 2^32 fixed-point steps per metric bound
}

ForecastStatistics::ForecastStatistics(const CompiledModel& model, HistogramResolution resolution)
    : model_(&model), resolution_(resolution) {
  rows_ = static_cast<int>(model.record_days.size());
  days_ = model.days;
  layout(model);
  // Lower the resolution until the histograms fit the budget (deterministic: depends only on the spec).
  while (bins_.size() * sizeof(std::uint64_t) > resolution_.memory_budget_bytes &&
         (resolution_.count_bits > 6 || resolution_.continuous_bits > 6)) {
    resolution_.count_bits = std::max(6, resolution_.count_bits - 1);
    resolution_.continuous_bits = std::max(6, resolution_.continuous_bits - 1);
    layout(model);
  }
  completion_bins_.assign(model.tranches.size() * static_cast<std::size_t>(days_ + 1), 0);
  target_hits_.assign(model.targets.size(), 0);
}

void ForecastStatistics::layout(const CompiledModel& model) {
  cells_.assign(static_cast<std::size_t>(rows_) * kMetricCount, Cell{});
  std::size_t offset = 0;
  for (int row = 0; row < rows_; ++row) {
    for (int m = 0; m < kMetricCount; ++m) {
      Cell& c = cells_[cell(row, m)];
      const MetricScale& scale = model.metric_scales[static_cast<std::size_t>(m)];
      c.maximum_bound = scale.maximum;
      c.is_count = scale.is_count;
      if (scale.is_count) {
        c.bits = resolution_.count_bits;
        c.scale = scale.unit;
        c.max_x = static_cast<std::int64_t>(std::floor(scale.maximum / scale.unit + 0.5));
      } else {
        c.bits = resolution_.continuous_bits;
        c.max_x = (std::int64_t(1) << resolution_.continuous_range_bits) - 1;
        c.scale = scale.maximum > 0.0 ? scale.maximum / static_cast<double>(std::int64_t(1) << resolution_.continuous_range_bits) : 1.0;
      }
      c.bin_offset = offset;
      c.bin_count = hdr_bin_count(c.max_x, c.bits);
      c.minimum = std::numeric_limits<double>::infinity();
      c.maximum = -std::numeric_limits<double>::infinity();
      offset += static_cast<std::size_t>(c.bin_count);
    }
  }
  bins_.assign(offset, 0);
}

std::int64_t ForecastStatistics::quantize(const Cell& c, double value) const {
  const double x = c.scale > 0.0 ? value / c.scale : 0.0;
  // Counts are exact multiples of their unit: round; continuous values: floor into quanta.
  const double stepped = c.is_count ? std::floor(x + 0.5) : std::floor(x);
  if (!(stepped > 0.0)) return 0;
  if (stepped >= static_cast<double>(c.max_x)) return c.max_x;
  return static_cast<std::int64_t>(stepped);
}

void ForecastStatistics::add(const double* records, const int* completion_days, std::int64_t n, int threads) {
  const std::size_t row_stride = static_cast<std::size_t>(rows_) * kMetricCount;
  // Each (row, metric) cell is owned by one thread: no atomics, no order dependence.
  const int cell_count = rows_ * kMetricCount;
#if defined(CAPPLAN_HAVE_OPENMP)
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads)
#endif
  for (int ci = 0; ci < cell_count; ++ci) {
    Cell& c = cells_[static_cast<std::size_t>(ci)];
    std::uint64_t* bins = bins_.data() + c.bin_offset;
    std::uint64_t sum = c.sum;
    double lowest = c.minimum, highest = c.maximum;
    for (std::int64_t i = 0; i < n; ++i) {
      const double value = records[static_cast<std::size_t>(i) * row_stride + static_cast<std::size_t>(ci)];
      const std::int64_t x = quantize(c, value);
      ++bins[hdr_bin_index(x, c.bits)];
      if (c.is_count) {
        sum += static_cast<std::uint64_t>(x);
      } else if (c.maximum_bound > 0.0) {
        double fixed = std::floor(value / c.maximum_bound * kSumScale + 0.5);
        fixed = std::min(std::max(fixed, 0.0), kSumScale);
        sum += static_cast<std::uint64_t>(fixed);
      }
      lowest = std::min(lowest, value);
      highest = std::max(highest, value);
    }
    c.sum = sum;
    c.minimum = lowest;
    c.maximum = highest;
  }
  (void)threads;

  const std::size_t tranches = model_->tranches.size();
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::size_t t = 0; t < tranches; ++t) {
      const int day = completion_days[static_cast<std::size_t>(i) * tranches + t];
      const std::size_t bin = day < 0 || day >= days_ ? static_cast<std::size_t>(days_) : static_cast<std::size_t>(day);
      ++completion_bins_[t * static_cast<std::size_t>(days_ + 1) + bin];
    }
    for (std::size_t k = 0; k < model_->targets.size(); ++k) {
      const CompiledTarget& target = model_->targets[k];
      const double value = records[static_cast<std::size_t>(i) * row_stride +
                                   static_cast<std::size_t>(target.record_index) * kMetricCount +
                                   static_cast<std::size_t>(target.metric)];
      if (value >= target.threshold) ++target_hits_[k];
    }
  }
  trials_ += static_cast<std::uint64_t>(n);
}

void ForecastStatistics::merge(const ForecastStatistics& other) {
  for (std::size_t i = 0; i < bins_.size(); ++i) bins_[i] += other.bins_[i];
  for (std::size_t i = 0; i < cells_.size(); ++i) {
    cells_[i].sum += other.cells_[i].sum;
    cells_[i].minimum = std::min(cells_[i].minimum, other.cells_[i].minimum);
    cells_[i].maximum = std::max(cells_[i].maximum, other.cells_[i].maximum);
  }
  for (std::size_t i = 0; i < completion_bins_.size(); ++i) completion_bins_[i] += other.completion_bins_[i];
  for (std::size_t i = 0; i < target_hits_.size(); ++i) target_hits_[i] += other.target_hits_[i];
  trials_ += other.trials_;
}

void ForecastStatistics::reduce_to_root(const Communicator& communicator) {
  if (communicator.size() == 1) return;
  std::vector<std::uint64_t> counters(bins_);
  for (const Cell& c : cells_) counters.push_back(c.sum);
  counters.insert(counters.end(), completion_bins_.begin(), completion_bins_.end());
  counters.insert(counters.end(), target_hits_.begin(), target_hits_.end());
  counters.push_back(trials_);
  std::vector<double> minima, maxima;
  for (const Cell& c : cells_) {
    minima.push_back(c.minimum);
    maxima.push_back(c.maximum);
  }
  communicator.sum_to_root(counters);
  communicator.min_to_root(minima);
  communicator.max_to_root(maxima);
  if (!communicator.is_root()) return;
  auto next = counters.begin();
  std::copy(next, next + static_cast<std::ptrdiff_t>(bins_.size()), bins_.begin());
  next += static_cast<std::ptrdiff_t>(bins_.size());
  for (std::size_t i = 0; i < cells_.size(); ++i) {
    cells_[i].sum = *next++;
    cells_[i].minimum = minima[i];
    cells_[i].maximum = maxima[i];
  }
  std::copy(next, next + static_cast<std::ptrdiff_t>(completion_bins_.size()), completion_bins_.begin());
  next += static_cast<std::ptrdiff_t>(completion_bins_.size());
  std::copy(next, next + static_cast<std::ptrdiff_t>(target_hits_.size()), target_hits_.begin());
  next += static_cast<std::ptrdiff_t>(target_hits_.size());
  trials_ = *next;
}

double ForecastStatistics::mean(int row, int metric) const {
  if (trials_ == 0) return 0.0;
  const Cell& c = cells_[cell(row, metric)];
  const double n = static_cast<double>(trials_);
  if (c.is_count) return static_cast<double>(c.sum) * c.scale / n;
  return static_cast<double>(c.sum) / kSumScale * c.maximum_bound / n;
}

std::uint64_t ForecastStatistics::rank_for(double p, std::uint64_t n) {
  // The k-th smallest value, k = ceil(p n); a relative 1e-12 absorbs p n landing
  // a rounding error above an integer (0.1 x 30 = 3.0000000000000004).
  const double k = std::ceil(p * static_cast<double>(n) * (1.0 - 1e-12));
  if (k < 1.0) return 1;
  if (k > static_cast<double>(n)) return n;
  return static_cast<std::uint64_t>(k);
}

double ForecastStatistics::quantile(int row, int metric, double p) const {
  if (trials_ == 0) return 0.0;
  const Cell& c = cells_[cell(row, metric)];
  const std::uint64_t rank = rank_for(p, trials_);
  const std::uint64_t* bins = bins_.data() + c.bin_offset;
  std::uint64_t running = 0;
  int index = c.bin_count - 1;
  for (int b = 0; b < c.bin_count; ++b) {
    running += bins[b];
    if (running >= rank) {
      index = b;
      break;
    }
  }
  std::int64_t low = 0, width = 1;
  hdr_bin_range(index, c.bits, &low, &width);
  double value;
  if (c.is_count) {
    value = static_cast<double>(low + (width - 1) / 2) * c.scale;  // an integer count
  } else {
    value = (static_cast<double>(low) + 0.5 * static_cast<double>(width)) * c.scale;
  }
  return std::min(std::max(value, c.minimum), c.maximum);
}

double ForecastStatistics::target_probability(int target) const {
  return trials_ == 0 ? 0.0 : static_cast<double>(target_hits_[static_cast<std::size_t>(target)]) / static_cast<double>(trials_);
}

double ForecastStatistics::completion_probability(int tranche) const {
  if (trials_ == 0) return 0.0;
  const std::uint64_t* bins = completion_bins_.data() + static_cast<std::size_t>(tranche) * static_cast<std::size_t>(days_ + 1);
  return 1.0 - static_cast<double>(bins[days_]) / static_cast<double>(trials_);
}

int ForecastStatistics::completion_quantile(int tranche, double p) const {
  if (trials_ == 0) return -1;
  const std::uint64_t rank = rank_for(p, trials_);
  const std::uint64_t* bins = completion_bins_.data() + static_cast<std::size_t>(tranche) * static_cast<std::size_t>(days_ + 1);
  std::uint64_t running = 0;
  for (int d = 0; d < days_; ++d) {
    running += bins[d];
    if (running >= rank) return d;
  }
  return -1;
}

std::size_t ForecastStatistics::memory_bytes() const {
  return bins_.size() * sizeof(std::uint64_t) + cells_.size() * sizeof(Cell) +
         completion_bins_.size() * sizeof(std::uint64_t);
}

}  // namespace capplan
