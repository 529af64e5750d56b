// Breakdowns by site, system type and largest site, scoped targets and
// milestones (docs/spec-format.md §2.12-2.14, §4.6-4.7): hand-computed ramps,
// additivity in every trial, first passage against the daily record, and
// scoped target probabilities against a closed form.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "planner/analysis/compare.h"
#include "planner/engine/run_driver.h"
#include "planner/engine/statistics.h"
#include "planner/output/reports.h"
#include "planner/spec/spec_loader.h"
#include "tests/spec_fixtures.h"

namespace capplan {
namespace {

using testing::run_trial;
using testing::TrialResult;

// Options for `trials` trials from `seed` on the CPU, quietly.
RunOptions quiet_options(std::uint64_t trials, std::uint64_t seed) {
  RunOptions options;
  options.trials = trials;
  options.seed = seed;
  options.progress = false;
  options.backend = Backend::kCpu;
  return options;
}

// Two sites (s1 pue 1.5, s2 pue 1.0) and two system types (a: 4 accelerators
// of 1,000 TFLOPS, 10 kW; b: 8 of 500 TFLOPS, 20 kW); no limits, no burn-in,
// no failures: every unit goes online on its delivery day. t1 (a at s1)
// delivers 2 a day on days 1-5, t2 (b at s2) 6 units on day 3, t3 (a at s2)
// 3 units on day 6.
const std::string kRamp =
    "version: 1\n"
    "name: ramp\n"
    "horizon: {start: 2026-01-01, end: 2026-01-10}\n"
    "accelerators:\n"
    "  fast: {dense_tflops: {bf16: 1000}}\n"
    "  slow: {dense_tflops: {bf16: 500}}\n"
    "systems:\n"
    "  a: {accelerator: fast, accelerators: 4, power_kw: 10}\n"
    "  b: {accelerator: slow, accelerators: 8, power_kw: 20}\n"
    "sites:\n"
    "  s1: {pue: 1.5}\n"
    "  s2: {pue: 1.0}\n"
    "tranches:\n"
    "  t1: {system: a, site: s1, units: 10, delivery: {planned: 2026-01-02, spread_days: 5}}\n"
    "  t2: {system: b, site: s2, units: 6, delivery: {planned: 2026-01-04}}\n"
    "  t3: {system: a, site: s2, units: 3, delivery: {planned: 2026-01-07}}\n"
    "operations: {utilization: 0.5}\n"
    "report: {every: day, by: [largest-site, system, site]}\n";

// Blocks of the ramp's record: the total, then s1, s2, a, b, largest-site.
enum Block { kTotal = 0, kS1, kS2, kA, kB, kLargest };

TEST(Breakdowns, ScopesComeInAFixedOrder) {
  const CompiledModel model = build_model(load_spec_text(kRamp, "ramp.yaml"));
  std::vector<std::string> names;
  for (const Scope& scope : model.scope_names) names.push_back(scope.text());
  EXPECT_EQ(names, (std::vector<std::string>{"total", "site:s1", "site:s2", "system:a", "system:b", "largest-site"}));
  EXPECT_EQ(model.breakdown_blocks, 5);
  ASSERT_EQ(model.fleets.size(), 3u);  // (s1, a), (s2, a), (s2, b)
  EXPECT_EQ(model.sites[1].fleet_count, 2);
}

TEST(Breakdowns, HandComputedRamp) {
  const CompiledModel model = build_model(load_spec_text(kRamp, "ramp.yaml"));
  const TrialResult r = run_trial(model, 1, 0);
  // Day 3: s1 has 6 a; s2 has 6 b.
  EXPECT_EQ(r.at(kS1, 3, kDeliveredSystems), 6.0);
  EXPECT_EQ(r.at(kS2, 3, kOnlineSystems), 6.0);
  EXPECT_EQ(r.at(kS1, 3, kAvailableAccelerators), 24.0);
  EXPECT_EQ(r.at(kS2, 3, kAvailableAccelerators), 48.0);
  // Day 6: s1 10 a; s2 6 b + 3 a.
  EXPECT_EQ(r.at(kS1, 6, kInstalledSystems), 10.0);
  EXPECT_EQ(r.at(kS2, 6, kInstalledSystems), 9.0);
  EXPECT_EQ(r.at(kA, 6, kDeliveredSystems), 13.0);
  EXPECT_EQ(r.at(kB, 6, kDeliveredSystems), 6.0);
  EXPECT_EQ(r.at(kS1, 6, kAvailableAccelerators), 40.0);
  EXPECT_EQ(r.at(kS2, 6, kAvailableAccelerators), 6.0 * 8 + 3.0 * 4);
  EXPECT_EQ(r.at(kA, 6, kAvailableAccelerators), 52.0);
  EXPECT_EQ(r.at(kB, 6, kAvailableAccelerators), 48.0);
  // Facility power: IT kW x the site's own pue, / 1000.
  EXPECT_DOUBLE_EQ(r.at(kS1, 6, kFacilityPowerMw), 10 * 10 * 1.5 / 1000.0);
  EXPECT_DOUBLE_EQ(r.at(kS2, 6, kFacilityPowerMw), (6 * 20 + 3 * 10) * 1.0 / 1000.0);
  EXPECT_DOUBLE_EQ(r.at(kA, 6, kFacilityPowerMw), (10 * 10 * 1.5 + 3 * 10 * 1.0) / 1000.0);
  EXPECT_DOUBLE_EQ(r.at(kB, 6, kFacilityPowerMw), 6 * 20 / 1000.0);
  // Peak: accelerators x TFLOPS / 1000; effective x 0.5.
  EXPECT_DOUBLE_EQ(r.at(kA, 6, kPeakPflops), 52 * 1000 / 1000.0);
  EXPECT_DOUBLE_EQ(r.at(kB, 6, kPeakPflops), 48 * 500 / 1000.0);
  EXPECT_DOUBLE_EQ(r.at(kS2, 6, kEffectivePflops), (48 * 500 + 12 * 1000) / 1000.0 * 0.5);
  // Delivered compute of system b: 24 PFLOPS peak x 0.5 on each of days 3..6 (4 days).
  EXPECT_NEAR(r.at(kB, 6, kDeliveredFlopE24), 4 * 12 * kE24FlopPerPflopsDay, 1e-15);
}

TEST(Breakdowns, LargestSiteIsTheLargestSiteOfEachMetricSeparately) {
  const CompiledModel model = build_model(load_spec_text(kRamp, "ramp.yaml"));
  const TrialResult r = run_trial(model, 1, 0);
  // Day 2: only s1 has systems.
  EXPECT_EQ(r.at(kLargest, 2, kAvailableAccelerators), 16.0);
  // Day 4: s1 has more systems (8 against 6), s2 more accelerators (48 against 32).
  EXPECT_EQ(r.at(kLargest, 4, kDeliveredSystems), 8.0);
  EXPECT_EQ(r.at(kLargest, 4, kAvailableAccelerators), 48.0);
  // Day 6: s1 for systems (10 against 9), s2 for accelerators (60 against 40).
  EXPECT_EQ(r.at(kLargest, 6, kInstalledSystems), 10.0);
  EXPECT_EQ(r.at(kLargest, 6, kAvailableAccelerators), 60.0);
  for (int row = 0; row < r.rows; ++row) {
    for (int m = 0; m < kMetricCount; ++m) {
      EXPECT_EQ(r.at(kLargest, row, m), std::max(r.at(kS1, row, m), r.at(kS2, row, m))) << row << " " << m;
    }
  }
}

// A stochastic spec with every kind of uncertainty that reaches the breakdowns.
std::string stochastic_spec(const std::string& extra) {
  return "version: 1\n"
         "name: mixed\n"
         "horizon: {start: 2026-01-01, end: 2026-06-30}\n"
         "accelerators: {g: {dense_tflops: {bf16: 2500}}, h: {dense_tflops: {bf16: 700}}}\n"
         "systems:\n"
         "  big: {accelerator: g, accelerators: 72, power_kw: 132}\n"
         "  small: {accelerator: h, accelerators: 16, power_kw: 12.5}\n"
         "sites:\n"
         "  east: {pue: 1.2, install_per_day: {uniform: [2, 5]}}\n"
         "  west: {pue: 1.35, install_per_day: {triangular: [1, 3, 6]}}\n"
         "  north: {pue: 1.1}\n"
         "tranches:\n"
         "  e1: {system: big, site: east, units: 150, delivery: {planned: 2026-02-01, slip_days: {uniform: [0, 30]}, "
         "spread_days: 20}, burn_in_days: {uniform: [5, 15]}, acceptance: {uniform: [0.85, 1]}, rework_days: 7}\n"
         "  w1: {system: small, site: west, units: 120, delivery: {planned: 2026-02-15, spread_days: 30}, "
         "acceptance: 0.9, rework_days: 5}\n"
         "  w2: {system: big, site: west, units: 60, probability: 0.5, delivery: {planned: 2026-03-01}}\n"
         "  n1: {system: small, site: north, units: 40, delivery: {planned: 2026-03-15, slip_days: {uniform: [-10, "
         "40]}}}\n"
         "operations: {failures_per_accelerator_day: 2.0e-3, repair_days: 3, utilization: {uniform: [0.3, 0.5]}}\n" +
         extra;
}

TEST(Breakdowns, SitesAndSystemsAddUpToTheTotalInEveryTrial) {
  const CompiledModel model =
      build_model(load_spec_text(stochastic_spec("report: {every: week, by: [site, system, largest-site]}\n"), "x"));
  ASSERT_EQ(model.breakdown_blocks, 3 + 2 + 1);
  for (std::uint32_t trial = 0; trial < 200; ++trial) {
    const TrialResult r = run_trial(model, 42, trial);
    for (int row = 0; row < r.rows; ++row) {
      for (int m = 0; m < kMetricCount; ++m) {
        const double total = r.at(0, row, m);
        const double sites = r.at(1, row, m) + r.at(2, row, m) + r.at(3, row, m);
        const double systems = r.at(4, row, m) + r.at(5, row, m);
        const double largest = std::max({r.at(1, row, m), r.at(2, row, m), r.at(3, row, m)});
        if (metric_is_count(m)) {
          ASSERT_EQ(sites, total) << "trial " << trial << " row " << row << " metric " << m;
          ASSERT_EQ(systems, total) << "trial " << trial << " row " << row << " metric " << m;
        } else {
          // Continuous metrics: the same terms summed in another order (a few ulps).
          ASSERT_NEAR(sites, total, 1e-12 * std::max(1.0, total)) << trial << " " << row << " " << m;
          ASSERT_NEAR(systems, total, 1e-12 * std::max(1.0, total)) << trial << " " << row << " " << m;
        }
        ASSERT_EQ(r.at(6, row, m), largest);
      }
    }
  }
}

TEST(Breakdowns, TotalsDoNotDependOnTheBreakdowns) {
  auto tables = [](const std::string& by) {
    const Spec spec = load_spec_text(stochastic_spec("report: {every: month" + by + "}\n"), "x");
    const CompiledModel model = build_model(spec);
    const RunResult result = run_simulation(model, quiet_options(3000, 7));
    return std::vector<std::string>{forecast_csv(spec, model, *result.statistics),
                                    tranches_csv(spec, model, *result.statistics),
                                    completion_cdf_csv(spec, model, *result.statistics)};
  };
  const auto plain = tables("");
  EXPECT_EQ(tables(", by: [site, system, largest-site]"), plain);
  EXPECT_EQ(tables(", by: [largest-site]"), plain);
}

TEST(Breakdowns, ForecastByRowsDoNotDependOnTheOrderOfBy) {
  auto forecast_by = [](const std::string& by) {
    const Spec spec = load_spec_text(stochastic_spec("report: {every: month, by: " + by + "}\n"), "x");
    const CompiledModel model = build_model(spec);
    return forecast_by_csv(spec, model, *run_simulation(model, quiet_options(500, 3)).statistics);
  };
  const std::string text = forecast_by("[site, system, largest-site]");
  EXPECT_EQ(forecast_by("[largest-site, system, site]"), text);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "date,scope,metric,mean,p10,p50,p90,p10_lo,p10_hi,p50_lo,p50_hi,p90_lo,"
            "p90_hi,min,max");
  // 6 months x (3 sites + 2 systems + largest-site) x 8 metrics, plus the header.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 6 * 6 * 8 + 1);
  const std::string second = text.substr(text.find('\n') + 1);
  EXPECT_EQ(second.substr(0, second.find(',', 11)), "2026-01-31,site:east");
}

// The first day on which the daily record's value reaches the threshold, or -1.
int first_passage(const TrialResult& r, int block, int metric, double threshold) {
  for (int day = 0; day < r.rows; ++day) {
    if (r.at(block, day, metric) >= threshold) return day;
  }
  return -1;
}

TEST(Milestones, FirstPassageMatchesTheDailyRecordInEveryScope) {
  // Available accelerators fall again whenever systems go down: a milestone
  // keeps the first day reached.
  const CompiledModel model = build_model(load_spec_text(
      stochastic_spec("report: {every: day, by: [site, system, largest-site]}\n"
                      "milestones:\n"
                      "  total-10k: {metric: available_accelerators, at_least: 10000}\n"
                      "  east-5k: {metric: available_accelerators, scope: site:east, at_least: 5000}\n"
                      "  small-100: {metric: online_systems, scope: system:small, at_least: 100}\n"
                      "  largest-8k: {metric: available_accelerators, scope: largest-site, at_least: 8000}\n"
                      "  power: {metric: facility_power_mw, scope: site:west, at_least: 4}\n"
                      "  never: {metric: delivered_systems, at_least: 1e9}\n"),
      "x"));
  const int tranches = static_cast<int>(model.tranches.size());
  const struct {
    int block, metric;
    double threshold;
  } expected[] = {{0, kAvailableAccelerators, 10000}, {1, kAvailableAccelerators, 5000}, {5, kOnlineSystems, 100},
                  {6, kAvailableAccelerators, 8000},  {2, kFacilityPowerMw, 4},          {0, kDeliveredSystems, 1e9}};
  int fell_after_reaching = 0;
  for (std::uint32_t trial = 0; trial < 300; ++trial) {
    const TrialResult r = run_trial(model, 11, trial);
    for (int k = 0; k < 6; ++k) {
      const auto& e = expected[k];
      const int day = r.completion[static_cast<std::size_t>(tranches + k)];
      ASSERT_EQ(day, first_passage(r, e.block, e.metric, e.threshold)) << "trial " << trial << " milestone " << k;
      if (k == 0 && day >= 0 && day + 1 < r.rows && r.at(0, day + 1, kAvailableAccelerators) < e.threshold) {
        ++fell_after_reaching;
      }
    }
  }
  // The case the rule is about happened (the falling metric dipped below again).
  EXPECT_GT(fell_after_reaching, 0);
}

TEST(Milestones, ZeroThresholdIsReachedOnDayZero) {
  const Spec spec =
      load_spec_text(stochastic_spec("milestones: {start: {metric: delivered_systems, at_least: 0}}\n"), "x");
  const CompiledModel model = build_model(spec);
  const RunResult result = run_simulation(model, quiet_options(200, 1));
  const int outcome = result.statistics->milestone_outcome(0);
  EXPECT_EQ(result.statistics->completion_probability(outcome), 1.0);
  EXPECT_EQ(result.statistics->completion_quantile(outcome, 0.9), 0);
  const std::string csv = milestones_csv(spec, model, *result.statistics);
  const std::string row = "start,delivered_systems,total,0,1.000000,2026-01-01,2026-01-01,2026-01-01,";
  EXPECT_EQ(csv.substr(csv.find('\n') + 1, row.size()), row);
}

TEST(Milestones, ProbabilityOfAnUncertainTrancheMatchesItsProbability) {
  // w2 (60 big systems at west) happens with probability 0.5 and nothing else
  // puts big systems at west, so "west has a big system delivered" has
  // probability 0.5 exactly; with 20,000 trials the estimate's standard error
  // is 0.0035, and 4 standard errors keep a false failure below 1 in 15,000.
  const Spec spec = load_spec_text(
      stochastic_spec("targets: {west-big: {metric: delivered_systems, scope: site:west, date: 2026-06-30, "
                      "at_least: 121}}\n"
                      "milestones: {west-big: {metric: delivered_systems, scope: site:west, at_least: 121}}\n"),
      "x");
  const CompiledModel model = build_model(spec);
  const RunResult result = run_simulation(model, quiet_options(20000, 5));
  const double se = std::sqrt(0.25 / 20000.0);
  EXPECT_NEAR(result.statistics->target_probability(0), 0.5, 4 * se);
  EXPECT_NEAR(result.statistics->completion_probability(result.statistics->milestone_outcome(0)), 0.5, 4 * se);
  const std::string csv = targets_csv(spec, model, *result.statistics);
  EXPECT_NE(csv.find("west-big,delivered_systems,site:west,2026-06-30,121,"), std::string::npos) << csv;
}

TEST(Breakdowns, CompareGoesScopeByScopeOnCommonRandomNumbers) {
  // B adds 30 small systems to north only. With common random numbers every
  // other site and the big systems see the same trials: P(equal) = 1 there.
  const std::string by =
      "report: {every: month, by: [site, system]}\n"
      "targets: {north: {metric: delivered_systems, scope: site:north, date: 2026-06-30, "
      "at_least: 50}}\n";
  const Spec a = load_spec_text(stochastic_spec(by), "a.yaml");
  const Spec b = load_spec_text(stochastic_spec(by), "b.yaml", {"tranches.n1.units=70"});
  const CompiledModel ma = build_model(a), mb = build_model(b);
  check_comparable(a, ma, b, mb);
  const PairedSimulation paired = simulate_paired(ma, mb, quiet_options(1000, 1));
  const std::vector<ComparedScope> scopes = compared_scopes(ma, mb);
  ASSERT_EQ(scopes.size(), 6u);  // total, 3 sites, 2 systems
  const int last = static_cast<int>(ma.report_rows.size()) - 1;
  for (int s = 0; s < 6; ++s) {
    const bool changed = scopes[static_cast<std::size_t>(s)].scope == "total" ||
                         scopes[static_cast<std::size_t>(s)].scope == "site:north" ||
                         scopes[static_cast<std::size_t>(s)].scope == "system:small";
    const double equal = paired.paired.probability_equal(s, last, kDeliveredSystems);
    if (changed) {
      EXPECT_LT(equal, 1.0) << scopes[static_cast<std::size_t>(s)].scope;
    } else {
      EXPECT_EQ(equal, 1.0) << scopes[static_cast<std::size_t>(s)].scope;
    }
  }
  const std::string csv = compare_csv(a, ma, *paired.a, mb, *paired.b, paired.paired);
  EXPECT_NE(csv.find("2026-06-30,site:north,delivered_systems,p50,40,70,30,"), std::string::npos) << csv.substr(0, 500);
  const std::string targets = compare_targets_csv(ma, *paired.a, mb, *paired.b);
  EXPECT_EQ(targets.substr(0, targets.find('\n')), "target,metric,scope,probability_a,probability_b,difference");
  EXPECT_NE(targets.find("north,delivered_systems,site:north,0.000000,"), std::string::npos) << targets;
}

}  // namespace
}  // namespace capplan
