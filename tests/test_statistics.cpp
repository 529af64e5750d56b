// Tests of ForecastStatistics (planner/engine/statistics.h) on synthetic trial
// records whose every value the test chooses, so every expected result is
// computed here from the data itself:
//  - quantiles by the inverted-CDF definition in statistics.h: the smallest
//    value v with P(X <= v) >= p, i.e. the k-th smallest of n values with
//    k = ceil(p n) (Hyndman and Fan 1996, definition 1);
//  - means as exact sums of the (integer) counts;
//  - target probabilities and completion statistics by counting.
// Tolerances follow from the histogram layout (kernels/histogram.h) and are
// derived at each check; results that are integer arithmetic (merge, order
// independence) must agree bit for bit.
#include <gtest/gtest.h>

#include "tests/spec_fixtures.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "kernels/histogram.h"
#include "kernels/metrics.h"
#include "planner/engine/model_builder.h"
#include "planner/engine/statistics.h"
#include "planner/spec/spec.h"

namespace {

using capplan::CompiledModel;
using capplan::ForecastStatistics;
using capplan::kMetricCount;

constexpr int kDays = 40;
// Record rows: report days 9, 19, 39 and the target-only day 24 -> rows {9, 19, 24, 39}.
constexpr int kRows = 4;
constexpr std::int64_t kUnits1 = 100, kUnits2 = 20000;  // 20100 systems: counts reach the log-binned range (> 2^13)

// A spec built in code: one accelerator (1000 dense bf16 TFLOPS), one system
// (72 accelerators, 100 kW), one site, two tranches, reports on three dates
// and three targets (one on a day that is not a report day).
capplan::Spec make_spec() {
  capplan::Spec spec = capplan::testing::base_spec(kDays);
  spec.report.every = capplan::Report::Every::dates;
  spec.report.dates = {spec.horizon.start + 9, spec.horizon.start + 19, spec.horizon.start + 39};
  spec.tranches.push_back(capplan::testing::tranche(spec, "t1", kUnits1, 5));
  spec.tranches.push_back(capplan::testing::tranche(spec, "t2", kUnits2, 15));
  auto target = [&](const char* id, const char* metric, int day, double at_least) {
    capplan::Target tg;
    tg.id = id;
    tg.metric = metric;
    tg.date = spec.horizon.start + day;
    tg.at_least = at_least;
    spec.targets.push_back(tg);
  };
  target("online50", "online_systems", 19, 50.0);              // row 1
  target("eff1000", "effective_pflops", 24, 1000.5);           // row 2 (target-only day)
  target("acc_end", "available_accelerators", 39, 72.0 * 30);  // row 3
  return spec;
}

const CompiledModel& model() {
  static const CompiledModel m = capplan::build_model(make_spec());
  return m;
}

// Synthetic trials: records[n][kRows][kMetricCount], completion[n][2].
struct Data {
  std::int64_t n = 0;
  std::vector<double> records;
  std::vector<int> completion;

  explicit Data(std::int64_t trials)
      : n(trials),
        records(static_cast<std::size_t>(trials) * kRows * kMetricCount, 0.0),
        completion(static_cast<std::size_t>(trials) * 2, -1) {}
  double& at(std::int64_t trial, int row, int metric) {
    return records[(static_cast<std::size_t>(trial) * kRows + static_cast<std::size_t>(row)) * kMetricCount +
                   static_cast<std::size_t>(metric)];
  }
  int& day(std::int64_t trial, int tranche) {
    return completion[static_cast<std::size_t>(trial) * 2 + static_cast<std::size_t>(tranche)];
  }
  std::vector<double> column(int row, int metric) const {
    std::vector<double> v;
    for (std::int64_t i = 0; i < n; ++i) {
      v.push_back(records[(static_cast<std::size_t>(i) * kRows + static_cast<std::size_t>(row)) * kMetricCount +
                          static_cast<std::size_t>(metric)]);
    }
    return v;
  }
  // Trials [first, first + count) as a new data set.
  Data slice(std::int64_t first, std::int64_t count) const {
    Data d(count);
    const std::size_t stride = static_cast<std::size_t>(kRows) * kMetricCount;
    std::copy(records.begin() + static_cast<std::ptrdiff_t>(first * static_cast<std::int64_t>(stride)),
              records.begin() + static_cast<std::ptrdiff_t>((first + count) * static_cast<std::int64_t>(stride)),
              d.records.begin());
    std::copy(completion.begin() + first * 2, completion.begin() + (first + count) * 2, d.completion.begin());
    return d;
  }
  Data permuted(std::uint64_t seed) const {
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(seed);
    std::shuffle(order.begin(), order.end(), rng);
    Data d(n);
    const std::size_t stride = static_cast<std::size_t>(kRows) * kMetricCount;
    for (std::int64_t i = 0; i < n; ++i) {
      const std::size_t from = static_cast<std::size_t>(order[static_cast<std::size_t>(i)]);
      std::copy(records.begin() + static_cast<std::ptrdiff_t>(from * stride),
                records.begin() + static_cast<std::ptrdiff_t>((from + 1) * stride),
                d.records.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(i) * stride));
      d.completion[static_cast<std::size_t>(i) * 2] = completion[from * 2];
      d.completion[static_cast<std::size_t>(i) * 2 + 1] = completion[from * 2 + 1];
    }
    return d;
  }
};

ForecastStatistics stats_of(const Data& d, int threads = 1) {
  ForecastStatistics s(model());
  s.add(d.records.data(), d.completion.data(), d.n, threads);
  return s;
}

// Every value random but legal: counts are multiples of their unit in
// [0, maximum]; continuous values log-uniform over 12 decades below the
// metric's bound (and some exact zeros); completion days anywhere in
// [-1, kDays], -1 and kDays meaning "not within the horizon".
Data random_data(std::int64_t n, std::uint64_t seed) {
  Data d(n);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit01(0.0, 1.0);
  for (std::int64_t i = 0; i < n; ++i) {
    for (int r = 0; r < kRows; ++r) {
      for (int m = 0; m < kMetricCount; ++m) {
        const capplan::MetricScale& sc = model().metric_scales[static_cast<std::size_t>(m)];
        double v;
        if (sc.is_count) {
          const auto top = static_cast<std::uint64_t>(std::floor(sc.maximum / sc.unit + 0.5));
          // half small (exact bins), half over the whole range (log bins)
          const std::uint64_t x = (rng() & 1) ? rng() % std::min<std::uint64_t>(top + 1, 8000) : rng() % (top + 1);
          v = static_cast<double>(x) * sc.unit;
        } else {
          v = (rng() % 16 == 0) ? 0.0 : sc.maximum / (1.0 + 1e-9) * std::pow(10.0, -12.0 * unit01(rng));
        }
        d.at(i, r, m) = v;
      }
    }
    for (int t = 0; t < 2; ++t) d.day(i, t) = static_cast<int>(rng() % (kDays + 2)) - 1;
  }
  return d;
}

// The k-th smallest value, k = ceil(p n) computed in exact rational arithmetic
// for the p used here (p = num / 1000).
double kth_smallest(std::vector<double> values, int p_per_mille) {
  std::sort(values.begin(), values.end());
  const std::int64_t n = static_cast<std::int64_t>(values.size());
  std::int64_t k = (p_per_mille * n + 999) / 1000;  // ceil(p n)
  k = std::max<std::int64_t>(1, std::min(n, k));
  return values[static_cast<std::size_t>(k - 1)];
}

const std::vector<int> kPerMille = {1, 10, 50, 100, 250, 333, 500, 667, 750, 900, 950, 990, 999, 1000};

// ---- known integer data -------------------------------------------------------

// Values 1..100 (in shuffled trial order): the inverted CDF gives p10 = 10,
// p50 = 50, p90 = 90 exactly (counts below 2^13 have width-1 bins), and the
// mean is the exact sum 5050 / 100.
TEST(Statistics, CountQuantilesOfKnownIntegers) {
  Data d(100);
  std::vector<int> values(100);
  std::iota(values.begin(), values.end(), 1);
  std::mt19937_64 rng(7);
  std::shuffle(values.begin(), values.end(), rng);
  for (int i = 0; i < 100; ++i) {
    d.at(i, 0, capplan::kDeliveredSystems) = values[static_cast<std::size_t>(i)];
    d.at(i, 0, capplan::kAvailableAccelerators) = 72.0 * values[static_cast<std::size_t>(i)];  // unit 72 (gcd)
  }
  const ForecastStatistics s = stats_of(d);
  ASSERT_EQ(s.trials(), 100u);
  const int m = capplan::kDeliveredSystems;
  EXPECT_EQ(s.quantile(0, m, 0.1), 10.0);
  EXPECT_EQ(s.quantile(0, m, 0.5), 50.0);
  EXPECT_EQ(s.quantile(0, m, 0.9), 90.0);
  EXPECT_EQ(s.quantile(0, m, 0.01), 1.0);
  EXPECT_EQ(s.quantile(0, m, 1e-9), 1.0);
  EXPECT_EQ(s.quantile(0, m, 0.105), 11.0);  // ceil(10.5) = 11
  EXPECT_EQ(s.quantile(0, m, 0.999), 100.0);
  EXPECT_EQ(s.quantile(0, m, 1.0), 100.0);
  EXPECT_EQ(s.mean(0, m), 5050.0 / 100.0);
  EXPECT_EQ(s.minimum(0, m), 1.0);
  EXPECT_EQ(s.maximum(0, m), 100.0);
  const int a = capplan::kAvailableAccelerators;
  EXPECT_EQ(s.quantile(0, a, 0.1), 720.0);
  EXPECT_EQ(s.quantile(0, a, 0.5), 3600.0);
  EXPECT_EQ(s.quantile(0, a, 0.9), 6480.0);
  EXPECT_EQ(s.mean(0, a), 72.0 * 5050.0 / 100.0);
  // The p where p n lands a rounding error above an integer (0.1 x 30 etc.) must
  // still give the k-th value, not the (k+1)-th: 30 trials of 1..30.
  Data e(30);
  for (int i = 0; i < 30; ++i) e.at(i, 0, m) = i + 1;
  const ForecastStatistics t = stats_of(e);
  for (int k = 1; k <= 30; ++k) {
    EXPECT_EQ(t.quantile(0, m, k / 30.0), static_cast<double>(k)) << "p = " << k << "/30";
    EXPECT_EQ(t.quantile(0, m, 0.1 * k / 3.0), static_cast<double>(k)) << "p = 0.1*" << k << "/3";
  }
  // A column never written is all zeros.
  EXPECT_EQ(s.quantile(0, capplan::kOnlineSystems, 0.5), 0.0);
  EXPECT_EQ(s.mean(0, capplan::kOnlineSystems), 0.0);
}

// Ties: 30 zeros, 50 sevens, 20 twelves. The CDF jumps to 0.3, 0.8, 1.
TEST(Statistics, CountQuantilesWithTies) {
  Data d(100);
  for (int i = 0; i < 100; ++i) d.at(i, 2, capplan::kInstalledSystems) = i < 30 ? 0.0 : (i < 80 ? 7.0 : 12.0);
  const ForecastStatistics s = stats_of(d.permuted(3));
  const int m = capplan::kInstalledSystems;
  EXPECT_EQ(s.quantile(2, m, 0.3), 0.0);
  EXPECT_EQ(s.quantile(2, m, 0.31), 7.0);
  EXPECT_EQ(s.quantile(2, m, 0.8), 7.0);
  EXPECT_EQ(s.quantile(2, m, 0.81), 12.0);
  EXPECT_EQ(s.mean(2, m), 590.0 / 100.0);
}

// Values 1..100 (exact bins): the sample standard deviation (n - 1 in the
// denominator, as baselines store it for check's Welch test) is
// sqrt(sum (i - 50.5)^2 / 99) = sqrt(83325 / 99); the CDF just below and at 50
// is 0.49 and 0.50 (the bounds baselines record as ranks).
TEST(Statistics, StandardDeviationAndCdfBoundsOfKnownCounts) {
  Data d(100);
  for (int i = 0; i < 100; ++i) d.at(i, 0, capplan::kDeliveredSystems) = i + 1;
  const ForecastStatistics s = stats_of(d.permuted(5));
  const int m = capplan::kDeliveredSystems;
  EXPECT_NEAR(s.standard_deviation(0, m), std::sqrt(83325.0 / 99.0), 1e-12);
  EXPECT_EQ(s.cdf_bounds(0, m, 50.0), std::make_pair(0.49, 0.5));
  EXPECT_EQ(s.cdf_bounds(0, m, 1.0), std::make_pair(0.0, 0.01));
}

// Counts above 2^(count_bits + 1) = 8192 fall in log bins at most 2^-12 of
// their values wide; the reported value low + (width - 1) / 2 is then within
// width / 2 <= v 2^-13 of the true k-th value v (and never outside [min, max]).
// The mean stays exact: it is the sum of the unbinned counts.
TEST(Statistics, LargeCountsWithinBinResolution) {
  Data d(1000);
  std::int64_t sum = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::int64_t v = (static_cast<std::int64_t>(i) * 7919) % 20101;  // 0 .. 20100, a permutation-like spread
    d.at(i, 3, capplan::kOnlineSystems) = static_cast<double>(v);
    sum += v;
  }
  const ForecastStatistics s = stats_of(d);
  const auto column = d.column(3, capplan::kOnlineSystems);
  for (int pm : kPerMille) {
    const double want = kth_smallest(column, pm);
    const double got = s.quantile(3, capplan::kOnlineSystems, pm / 1000.0);
    EXPECT_EQ(got, std::floor(got)) << "counts stay integers";
    if (want < 8192.0) {
      EXPECT_EQ(got, want) << "p " << pm / 1000.0;
    } else {
      EXPECT_LE(std::fabs(got - want), want * std::ldexp(1.0, -13)) << "p " << pm / 1000.0 << " want " << want;
    }
  }
  EXPECT_EQ(s.mean(3, capplan::kOnlineSystems), static_cast<double>(sum) / 1000.0);
}

// ---- continuous values ----------------------------------------------------------

// Continuous metrics are quantized to quanta q = bound / 2^24 and binned with 9
// sub-bucket bits. The value v lies in its bin [low q, (low + width) q) and the
// reported bin midpoint is within width q / 2 of it: <= v 2^-10 in the log bins
// (width <= low 2^-9) and <= q / 2 in the exact bins, except the first bin
// [0, q), which reports 0 (the exact zeros of a roll-out that has not started)
// kept within the observed minimum: there |got - v| < q. So |got - v| <=
// max(v 2^-10, q / 2) (q in the first bin), half the 2^-9 relative resolution
// the header quotes, plus 1e-12 relative for the rounding of v / q.
// Means use 2^32 fixed-point steps of the bound: |error| <= bound 2^-33.
TEST(Statistics, ContinuousWithinBinResolution) {
  const int m = capplan::kPeakPflops;
  const double bound = model().metric_scales[static_cast<std::size_t>(m)].maximum;
  const double quantum = bound / 16777216.0;
  Data d(1000);
  double exact_sum = 0.0;
  for (int i = 0; i < 1000; ++i) {
    // log-spaced from 1e-3 to 1e6 PFLOPS, in a scrambled trial order
    const int k = (i * 379) % 1000;
    const double v = 1e-3 * std::pow(10.0, 9.0 * k / 999.0);
    d.at(i, 1, m) = v;
    exact_sum += v;
  }
  const ForecastStatistics s = stats_of(d);
  const auto column = d.column(1, m);
  double worst_rel = 0.0;
  for (int pm = 1; pm <= 1000; ++pm) {
    const double want = kth_smallest(column, pm);
    const double got = s.quantile(1, m, pm / 1000.0);
    const double first_bin = want < quantum ? quantum : 0.5 * quantum;
    const double allowed = std::max(want * std::ldexp(1.0, -10), first_bin) + 1e-12 * std::max(want, quantum);
    ASSERT_LE(std::fabs(got - want), allowed) << "p " << pm / 1000.0 << " want " << want << " got " << got;
    if (want > 1024 * quantum) worst_rel = std::max(worst_rel, std::fabs(got - want) / want);
  }
  std::printf("[ stats    ] continuous quantiles: max relative error %.3g in the log bins (bound 2^-10 = %.3g)\n",
              worst_rel, std::ldexp(1.0, -10));
  EXPECT_NEAR(s.mean(1, m), exact_sum / 1000.0, bound * std::ldexp(1.0, -33) + 1e-12 * exact_sum / 1000.0);
  EXPECT_EQ(s.minimum(1, m), *std::min_element(column.begin(), column.end()));
  EXPECT_EQ(s.maximum(1, m), *std::max_element(column.begin(), column.end()));
}

// All trials equal: every quantile is clamped to [min, max] = [v, v], so it is
// v exactly, whatever the bin; zeros stay zero.
TEST(Statistics, EqualValuesAreExact) {
  Data d(257);
  const double v = 123.456789012345;
  for (int i = 0; i < 257; ++i) {
    for (int r = 0; r < kRows; ++r) {
      d.at(i, r, capplan::kFacilityPowerMw) = v;
      d.at(i, r, capplan::kDeliveredFlopE24) = 0.0;
      d.at(i, r, capplan::kEffectivePflops) = 1e-7;  // below one quantum
    }
  }
  const ForecastStatistics s = stats_of(d);
  const double bound = model().metric_scales[capplan::kFacilityPowerMw].maximum;
  for (int r = 0; r < kRows; ++r) {
    for (int pm : kPerMille) {
      EXPECT_EQ(s.quantile(r, capplan::kFacilityPowerMw, pm / 1000.0), v);
      EXPECT_EQ(s.quantile(r, capplan::kDeliveredFlopE24, pm / 1000.0), 0.0);
      EXPECT_EQ(s.quantile(r, capplan::kEffectivePflops, pm / 1000.0), 1e-7);
    }
    EXPECT_EQ(s.minimum(r, capplan::kFacilityPowerMw), v);
    EXPECT_EQ(s.maximum(r, capplan::kFacilityPowerMw), v);
    EXPECT_NEAR(s.mean(r, capplan::kFacilityPowerMw), v, bound * std::ldexp(1.0, -33) + 1e-13 * v);
    EXPECT_EQ(s.mean(r, capplan::kDeliveredFlopE24), 0.0);
  }
}

// Every cell of random data against the sorted data: counts exact below 8192
// and within v 2^-13 above; continuous within max(v 2^-10, q / 2); the
// reported value always inside [min, max]; count means exact (sum of integers
// divided by n), continuous means within bound 2^-33.
TEST(Statistics, EveryCellMatchesSortedData) {
  const Data d = random_data(3000, 11);
  const ForecastStatistics s = stats_of(d, 3);
  for (int r = 0; r < kRows; ++r) {
    for (int m = 0; m < kMetricCount; ++m) {
      const capplan::MetricScale& sc = model().metric_scales[static_cast<std::size_t>(m)];
      const auto column = d.column(r, m);
      const double lo = *std::min_element(column.begin(), column.end());
      const double hi = *std::max_element(column.begin(), column.end());
      EXPECT_EQ(s.minimum(r, m), lo);
      EXPECT_EQ(s.maximum(r, m), hi);
      for (int pm : kPerMille) {
        const double want = kth_smallest(column, pm);
        const double got = s.quantile(r, m, pm / 1000.0);
        ASSERT_GE(got, lo);
        ASSERT_LE(got, hi);
        if (sc.is_count) {
          const double x = want / sc.unit;
          if (x < 8192.0) {
            ASSERT_EQ(got, want) << "row " << r << " metric " << m << " p " << pm;
          } else {
            ASSERT_LE(std::fabs(got - want), want * std::ldexp(1.0, -13))
                << "row " << r << " metric " << m << " p " << pm;
          }
        } else {
          const double quantum = sc.maximum / 16777216.0;
          const double first_bin = want < quantum ? quantum : 0.5 * quantum;
          const double allowed = std::max(want * std::ldexp(1.0, -10), first_bin) + 1e-12 * std::max(want, quantum);
          ASSERT_LE(std::fabs(got - want), allowed) << "row " << r << " metric " << m << " p " << pm;
        }
      }
      double exact = 0.0;
      for (double v : column) exact += v;  // counts: integers below 2^53, exact
      exact /= static_cast<double>(d.n);
      if (sc.is_count) {
        EXPECT_EQ(s.mean(r, m), exact) << "row " << r << " metric " << m;
      } else {
        EXPECT_NEAR(s.mean(r, m), exact, sc.maximum * std::ldexp(1.0, -33) + 1e-12 * exact)
            << "row " << r << " metric " << m;
      }
    }
  }
}

// ---- targets and completion ---------------------------------------------------------

// Targets count value >= at_least at their record row (">=": the threshold itself is a hit).
TEST(Statistics, TargetProbabilities) {
  const CompiledModel& mdl = model();
  ASSERT_EQ(mdl.targets.size(), 3u);
  ASSERT_EQ(mdl.record_days, (std::vector<int>{9, 19, 24, 39}));
  EXPECT_EQ(mdl.targets[0].record_index, 1);
  EXPECT_EQ(mdl.targets[1].record_index, 2);
  EXPECT_EQ(mdl.targets[2].record_index, 3);
  Data d(200);
  std::uint64_t hits[3] = {0, 0, 0};
  for (int i = 0; i < 200; ++i) {
    const double online = i % 101;  // 0 .. 100; >= 50 for 50 .. 100
    d.at(i, 1, capplan::kOnlineSystems) = online;
    hits[0] += online >= 50.0;
    const double eff = i % 4 == 0 ? 1000.5 : (i % 4 == 1 ? std::nextafter(1000.5, 0.0) : 999.0 + i);
    d.at(i, 2, capplan::kEffectivePflops) = eff;
    hits[1] += eff >= 1000.5;
    const double acc = 72.0 * (i % 61);  // 0 .. 60 systems' accelerators; >= 2160 from 30 systems
    d.at(i, 3, capplan::kAvailableAccelerators) = acc;
    hits[2] += acc >= 2160.0;
    // Decoys: the same metrics on other rows must not count.
    d.at(i, 0, capplan::kOnlineSystems) = 1000.0;
    d.at(i, 3, capplan::kOnlineSystems) = 0.0;
  }
  const ForecastStatistics s = stats_of(d);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(s.target_hits(k), hits[k]) << mdl.targets[static_cast<std::size_t>(k)].id;
    EXPECT_EQ(s.target_probability(k), static_cast<double>(hits[k]) / 200.0);
  }
  EXPECT_EQ(hits[0], 100u);  // i % 101 >= 50: i = 50..100 (51 trials) and 151..199 (49)
}

// Completion days: 30 trials on day 5, 30 on day 12, 20 on the last day (39),
// 10 never (-1) and 10 on day 40 (outside the horizon, also "after").
// P(complete within the horizon) = 0.8; quantiles by the inverted CDF, -1 when
// the rank falls in the "after the horizon" mass.
TEST(Statistics, CompletionProbabilityAndQuantiles) {
  Data d(100);
  for (int i = 0; i < 100; ++i) {
    d.day(i, 0) = i < 30 ? 5 : (i < 60 ? 12 : (i < 80 ? kDays - 1 : (i < 90 ? -1 : kDays)));
    d.day(i, 1) = -1;
  }
  const ForecastStatistics s = stats_of(d.permuted(99));
  EXPECT_EQ(s.completion_probability(0), 0.8);
  EXPECT_EQ(s.completion_quantile(0, 0.01), 5);
  EXPECT_EQ(s.completion_quantile(0, 0.3), 5);
  EXPECT_EQ(s.completion_quantile(0, 0.31), 12);
  EXPECT_EQ(s.completion_quantile(0, 0.6), 12);
  EXPECT_EQ(s.completion_quantile(0, 0.61), kDays - 1);
  EXPECT_EQ(s.completion_quantile(0, 0.8), kDays - 1);
  EXPECT_EQ(s.completion_quantile(0, 0.81), -1);
  EXPECT_EQ(s.completion_quantile(0, 1.0), -1);
  EXPECT_EQ(s.completion_probability(1), 0.0);
  for (double p : {1e-9, 0.5, 1.0}) EXPECT_EQ(s.completion_quantile(1, p), -1);
  // Day 0 counts as complete within the horizon.
  Data z(4);
  for (int i = 0; i < 4; ++i) {
    z.day(i, 0) = 0;
    z.day(i, 1) = i;
  }
  const ForecastStatistics t = stats_of(z);
  EXPECT_EQ(t.completion_probability(0), 1.0);
  EXPECT_EQ(t.completion_quantile(0, 0.5), 0);
  EXPECT_EQ(t.completion_quantile(1, 0.5), 1);
  EXPECT_EQ(t.completion_quantile(1, 0.75), 2);
  EXPECT_EQ(t.completion_quantile(1, 0.76), 3);
}

// The CDF over many days, computed in one pass, equals the one-day CDF at
// each of them bit for bit (completion_cdf.csv's values).
TEST(Statistics, CompletionCdfOverDaysEqualsEachDay) {
  Data d(100);
  for (int i = 0; i < 100; ++i) {
    d.day(i, 0) = i < 30 ? 5 : (i < 60 ? 12 : (i < 80 ? kDays - 1 : (i < 90 ? -1 : kDays)));
    d.day(i, 1) = i % 7 == 0 ? -1 : i % kDays;
  }
  const ForecastStatistics s = stats_of(d);
  std::vector<int> days(kDays);
  for (int day = 0; day < kDays; ++day) days[static_cast<std::size_t>(day)] = day;
  for (int outcome = 0; outcome < 2; ++outcome) {
    const std::vector<double> cdf = s.completion_cdf(outcome, days);
    ASSERT_EQ(cdf.size(), days.size());
    for (int day : days) {
      EXPECT_EQ(cdf[static_cast<std::size_t>(day)], s.completion_cdf_bounds(outcome, day).second) << day;
    }
  }
  EXPECT_EQ(s.completion_cdf(0, std::vector<int>{4, 5, 5, 11, 12}), (std::vector<double>{0.0, 0.3, 0.3, 0.3, 0.6}));
  const ForecastStatistics empty(model());
  EXPECT_EQ(empty.completion_cdf(0, std::vector<int>{0, 3}), (std::vector<double>{1.0, 1.0}));
}

// No trials: defined, neutral answers.
TEST(Statistics, Empty) {
  const ForecastStatistics s(model());
  EXPECT_EQ(s.trials(), 0u);
  EXPECT_EQ(s.quantile(0, 0, 0.5), 0.0);
  EXPECT_EQ(s.mean(0, 0), 0.0);
  EXPECT_EQ(s.target_probability(0), 0.0);
  EXPECT_EQ(s.completion_probability(0), 0.0);
  EXPECT_EQ(s.completion_quantile(0, 0.5), -1);
}

// Values that need a rule (kernels/aggregate.h, PlainSink): -0.0 counts as
// +0.0, so a minimum or maximum of zeros is +0.0 whatever the trial order;
// NaN never becomes a minimum or maximum and bins at 0; +-infinity become the
// maximum and minimum. Checked in both trial orders and with 1 and 3 threads.
TEST(Statistics, SignedZeroNaNAndInfinity) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Data d(4);
  const double zeros[4] = {-0.0, 0.0, -0.0, 0.0};
  const double with_nan[4] = {nan, 72.0, nan, 144.0};
  const double with_inf[4] = {1.5, inf, -inf, nan};
  for (std::int64_t i = 0; i < 4; ++i) {
    d.at(i, 0, capplan::kDeliveredSystems) = zeros[i];
    d.at(i, 0, capplan::kEffectivePflops) = zeros[i];
    d.at(i, 1, capplan::kAvailableAccelerators) = with_nan[i];
    d.at(i, 2, capplan::kPeakPflops) = with_inf[i];
  }
  for (const Data& data : {d, d.permuted(3)}) {
    for (const int threads : {1, 3}) {
      const ForecastStatistics s = stats_of(data, threads);
      for (const int m : {capplan::kDeliveredSystems, capplan::kEffectivePflops}) {
        EXPECT_EQ(s.minimum(0, m), 0.0);
        EXPECT_FALSE(std::signbit(s.minimum(0, m))) << "metric " << m;
        EXPECT_FALSE(std::signbit(s.maximum(0, m))) << "metric " << m;
      }
      EXPECT_EQ(s.minimum(1, capplan::kAvailableAccelerators), 72.0);
      EXPECT_EQ(s.maximum(1, capplan::kAvailableAccelerators), 144.0);
      EXPECT_EQ(s.quantile(1, capplan::kAvailableAccelerators, 0.5), 72.0) << "the two NaNs bin at 0, clamped to min";
      EXPECT_EQ(s.minimum(2, capplan::kPeakPflops), -inf);
      EXPECT_EQ(s.maximum(2, capplan::kPeakPflops), inf);
    }
  }
}

// ---- merge and order independence ---------------------------------------------------

// Bit-for-bit equality of everything the statistics report.
void expect_same(const ForecastStatistics& a, const ForecastStatistics& b, const std::string& what) {
  ASSERT_EQ(a.trials(), b.trials()) << what;
  std::vector<double> ps;
  for (int pm : kPerMille) ps.push_back(pm / 1000.0);
  ps.push_back(1e-6);
  ps.push_back(0.123456);
  for (int r = 0; r < kRows; ++r) {
    for (int m = 0; m < kMetricCount; ++m) {
      ASSERT_EQ(a.mean(r, m), b.mean(r, m)) << what << " row " << r << " metric " << m;
      ASSERT_EQ(a.minimum(r, m), b.minimum(r, m)) << what << " row " << r << " metric " << m;
      ASSERT_EQ(a.maximum(r, m), b.maximum(r, m)) << what << " row " << r << " metric " << m;
      for (double p : ps)
        ASSERT_EQ(a.quantile(r, m, p), b.quantile(r, m, p)) << what << " row " << r << " metric " << m << " p " << p;
    }
  }
  for (int k = 0; k < 3; ++k) {
    ASSERT_EQ(a.target_hits(k), b.target_hits(k)) << what;
    ASSERT_EQ(a.target_probability(k), b.target_probability(k)) << what;
  }
  for (int t = 0; t < 2; ++t) {
    ASSERT_EQ(a.completion_probability(t), b.completion_probability(t)) << what;
    for (double p : ps) ASSERT_EQ(a.completion_quantile(t, p), b.completion_quantile(t, p)) << what << " p " << p;
  }
}

// Counters for trials `d` in the layout of `layout`, built the way a backend
// that aggregates elsewhere does (statistics.h, StatisticsCounters): per cell
// the bin hdr_bin_index(cell_quantize(value)), the addend cell_fixed_point(value),
// min and max; completion days in [0, days) binned by day, anything else in
// the last ("not within the horizon") bin; target hits for value >= at_least.
capplan::StatisticsCounters counters_of(const ForecastStatistics& layout, const Data& d) {
  capplan::StatisticsCounters c = layout.empty_counters();
  const auto& cells = layout.cell_layouts();
  EXPECT_EQ(cells.size(), static_cast<std::size_t>(kRows) * kMetricCount);
  for (std::int64_t i = 0; i < d.n; ++i) {
    for (int r = 0; r < kRows; ++r) {
      for (int m = 0; m < kMetricCount; ++m) {
        const std::size_t k = static_cast<std::size_t>(r) * kMetricCount + static_cast<std::size_t>(m);
        const capplan::CellLayout& cl = cells[k];
        const double v = d.records[static_cast<std::size_t>(i) * cells.size() + k];
        ++c.bins[cl.bin_offset +
                 static_cast<std::size_t>(capplan::hdr_bin_index(capplan::cell_quantize(cl, v), cl.bits))];
        c.sums[k] += capplan::cell_fixed_point(cl, v);
        c.minima[k] = std::min(c.minima[k], v);
        c.maxima[k] = std::max(c.maxima[k], v);
      }
    }
    for (int t = 0; t < 2; ++t) {
      const int day = d.completion[static_cast<std::size_t>(i) * 2 + static_cast<std::size_t>(t)];
      const int bin = day >= 0 && day < kDays ? day : kDays;
      ++c.completion[static_cast<std::size_t>(t) * (kDays + 1) + static_cast<std::size_t>(bin)];
    }
    for (std::size_t k = 0; k < model().targets.size(); ++k) {
      const capplan::CompiledTarget& tg = model().targets[k];
      const double v =
          d.records[(static_cast<std::size_t>(i) * kRows + static_cast<std::size_t>(tg.record_index)) * kMetricCount +
                    static_cast<std::size_t>(tg.metric)];
      c.target_hits[k] += v >= tg.threshold ? 1 : 0;
    }
  }
  c.trials = static_cast<std::uint64_t>(d.n);
  return c;
}

// Merging: statistics of the first part plus the counters of the rest
// (add(const StatisticsCounters&), the path of backends and rank reductions)
// equal statistics of the whole, bit for bit.
TEST(Statistics, MergeOfPartsEqualsWhole) {
  const Data d = random_data(2001, 5);
  const ForecastStatistics whole = stats_of(d);
  // Two unequal halves.
  ForecastStatistics first = stats_of(d.slice(0, 777));
  first.add(counters_of(first, d.slice(777, 2001 - 777)));
  expect_same(whole, first, "777 + 1224");
  // The other way round, plus empty counters.
  ForecastStatistics other = stats_of(d.slice(777, 2001 - 777));
  other.add(counters_of(other, d.slice(0, 777)));
  other.add(other.empty_counters());
  expect_same(whole, other, "1224 + 777 + 0");
  // Everything through counters, in many small parts (single trials included).
  ForecastStatistics parts(model());
  std::int64_t at = 0;
  for (std::int64_t size : {1, 1, 2, 3, 500, 1000, 494}) {
    parts.add(counters_of(parts, d.slice(at, size)));
    at += size;
  }
  ASSERT_EQ(at, 2001);
  expect_same(whole, parts, "7 parts as counters");
}

// The order of trials, the batching of add() and the thread count change nothing.
TEST(Statistics, OrderOfTrialsDoesNotMatter) {
  const Data d = random_data(2000, 6);
  const ForecastStatistics reference = stats_of(d, 1);
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const Data shuffled = d.permuted(seed);
    expect_same(reference, stats_of(shuffled, 1), "shuffle " + std::to_string(seed));
    expect_same(reference, stats_of(shuffled, 4), "shuffle, 4 threads " + std::to_string(seed));
    // Several add() calls on one object.
    ForecastStatistics batched(model());
    for (std::int64_t at = 0; at < 2000; at += 300) {
      const Data part = shuffled.slice(at, std::min<std::int64_t>(300, 2000 - at));
      batched.add(part.records.data(), part.completion.data(), part.n, 2);
    }
    expect_same(reference, batched, "batched " + std::to_string(seed));
  }
}

// A memory budget too small for the default layout lowers the resolution
// (both bit counts, not below 6) until the histograms fit; the quantiles are
// then within the lowered resolution: counts exact below 2^(bits+1), else
// within v 2^-(bits+1); continuous within max(v 2^-(bits+1), q / 2).
TEST(Statistics, MemoryBudgetLowersResolution) {
  capplan::HistogramResolution res;
  res.memory_budget_bytes = 512 * 1024;
  ForecastStatistics s(model(), res);
  const capplan::HistogramResolution& got = s.resolution();
  std::printf("[ stats    ] 512 KiB budget: count_bits %d, continuous_bits %d, %zu bytes\n", got.count_bits,
              got.continuous_bits, s.memory_bytes());
  EXPECT_LT(got.count_bits, 12);
  EXPECT_GE(got.count_bits, 6);
  EXPECT_GE(got.continuous_bits, 6);
  EXPECT_LE(got.continuous_bits, 9);
  const Data d = random_data(1500, 8);
  s.add(d.records.data(), d.completion.data(), d.n, 1);
  for (int r = 0; r < kRows; ++r) {
    for (int m = 0; m < kMetricCount; ++m) {
      const capplan::MetricScale& sc = model().metric_scales[static_cast<std::size_t>(m)];
      const auto column = d.column(r, m);
      for (int pm : kPerMille) {
        const double want = kth_smallest(column, pm);
        const double v = s.quantile(r, m, pm / 1000.0);
        if (sc.is_count) {
          if (want / sc.unit < std::ldexp(1.0, got.count_bits + 1)) {
            ASSERT_EQ(v, want) << "row " << r << " metric " << m << " p " << pm;
          } else {
            ASSERT_LE(std::fabs(v - want), want * std::ldexp(1.0, -(got.count_bits + 1)));
          }
        } else {
          const double quantum = sc.maximum / 16777216.0;
          ASSERT_LE(std::fabs(v - want), std::max(want * std::ldexp(1.0, -(got.continuous_bits + 1)), 0.5 * quantum) +
                                             1e-12 * std::max(want, quantum))
              << "row " << r << " metric " << m << " p " << pm;
        }
      }
    }
  }
}

}  // namespace
