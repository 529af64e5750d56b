// The per-trial simulation on zero-variance specs, against ramps computed by
// hand from the model rules (docs/spec-format.md §4, The model), and its stochastic parts against
// closed-form expectations within stated Monte Carlo error.
#include <gtest/gtest.h>

#include <cmath>

#include "planner/analysis/sensitivity.h"
#include "planner/base/errors.h"
#include "tests/spec_fixtures.h"

namespace capplan {
namespace {

using testing::base_spec;
using testing::run_trial;
using testing::tranche;

// Record rows equal day indices when the report is daily.
double metric_on(const testing::TrialResult& r, int day, Metric m) { return r.at(day, m); }

TEST(TrialRamp, SingleDeliveryWithoutLimitsGoesOnlineTheSameDay) {
  Spec spec = base_spec(30);
  spec.tranches.push_back(tranche(spec, "t1", 10, 5));
  const CompiledModel model = build_model(spec);
  const auto r = run_trial(model, 1, 0);
  for (int d = 0; d < 30; ++d) {
    const double n = d < 5 ? 0.0 : 10.0;
    EXPECT_EQ(metric_on(r, d, kDeliveredSystems), n) << "day " << d;
    EXPECT_EQ(metric_on(r, d, kInstalledSystems), n) << "day " << d;
    EXPECT_EQ(metric_on(r, d, kOnlineSystems), n) << "day " << d;
    EXPECT_EQ(metric_on(r, d, kAvailableAccelerators), 72.0 * n);
    // 10 racks x 100 kW x pue 1 = 1 MW; 720 gpu x 1000 TFLOPS = 720 PFLOPS.
    EXPECT_DOUBLE_EQ(metric_on(r, d, kFacilityPowerMw), n / 10.0);
    EXPECT_DOUBLE_EQ(metric_on(r, d, kPeakPflops), 72.0 * n);
    EXPECT_DOUBLE_EQ(metric_on(r, d, kEffectivePflops), 72.0 * n);
    // A full day of 720 PFLOPS is 720 x 8.64e19 FLOP = 0.06221 x 1e24 FLOP.
    const double days_online = d < 5 ? 0.0 : d - 4;
    EXPECT_NEAR(metric_on(r, d, kDeliveredFlopE24), 720.0 * 8.64e-5 * days_online, 1e-12);
  }
  EXPECT_EQ(r.completion[0], 5);
}

TEST(TrialRamp, FractionalInstallRateGivesFloorOfRateTimesDays) {
  Spec spec = base_spec(12);
  spec.sites[0].install_limited = true;
  spec.sites[0].install_per_day = Distribution::constant_value(2.5);
  spec.tranches.push_back(tranche(spec, "t1", 20, 0));
  const auto r = run_trial(build_model(spec), 1, 0);
  // floor(2.5 (d + 1)), capped at the 20 delivered.
  const double expected[] = {2, 5, 7, 10, 12, 15, 17, 20, 20, 20, 20, 20};
  for (int d = 0; d < 12; ++d) EXPECT_EQ(metric_on(r, d, kInstalledSystems), expected[d]) << "day " << d;
  EXPECT_EQ(r.completion[0], 7);
}

TEST(TrialRamp, SpreadDeliveryPutsTheRemainderOnTheEarliestDays) {
  Spec spec = base_spec(12);
  Tranche t = tranche(spec, "t1", 100, 3);
  t.spread_days = 7;  // 100 = 7 x 14 + 2: two days of 15, five of 14
  spec.tranches.push_back(t);
  const auto r = run_trial(build_model(spec), 1, 0);
  const double expected[] = {0, 0, 0, 15, 30, 44, 58, 72, 86, 100, 100, 100};
  for (int d = 0; d < 12; ++d) EXPECT_EQ(metric_on(r, d, kDeliveredSystems), expected[d]) << "day " << d;
}

TEST(TrialRamp, PowerStepsLimitInstalledSystems) {
  Spec spec = base_spec(20);
  spec.systems[0].power_kw = 132.0;
  Site& site = spec.sites[0];
  site.pue = 1.2;
  site.power_limited = true;
  PowerStep first, second;
  first.planned = spec.horizon.start;
  first.add_mw = 1.0;
  second.planned = spec.horizon.start + 10;
  second.add_mw = 1.0;
  site.power_mw = {first, second};
  spec.tranches.push_back(tranche(spec, "t1", 20, 0));
  const auto r = run_trial(build_model(spec), 1, 0);
  // 1 MW / 1.2 / 132 kW = 6.3 -> 6 systems; 2 MW -> 12.6 -> 12 systems.
  for (int d = 0; d < 20; ++d) {
    const double n = d < 10 ? 6 : 12;
    EXPECT_EQ(metric_on(r, d, kInstalledSystems), n) << "day " << d;
    EXPECT_DOUBLE_EQ(metric_on(r, d, kFacilityPowerMw), n * 132.0 * 1.2 / 1000.0);
  }
  EXPECT_EQ(r.completion[0], -1);  // 8 systems never fit
}

TEST(TrialRamp, BurnInDelaysGoingOnline) {
  Spec spec = base_spec(12);
  Tranche t = tranche(spec, "t1", 10, 2);
  t.burn_in_days = Distribution::constant_value(5.0);
  spec.tranches.push_back(t);
  const auto r = run_trial(build_model(spec), 1, 0);
  for (int d = 0; d < 12; ++d) {
    EXPECT_EQ(metric_on(r, d, kInstalledSystems), d < 2 ? 0 : 10);
    EXPECT_EQ(metric_on(r, d, kOnlineSystems), d < 7 ? 0 : 10) << "day " << d;
  }
  EXPECT_EQ(r.completion[0], 7);
}

TEST(TrialRamp, AfterWaitsForTheFullInstallAndUnusedQuotaIsLost) {
  Spec spec = base_spec(8);
  spec.sites[0].install_limited = true;
  spec.sites[0].install_per_day = Distribution::constant_value(4.0);
  spec.tranches.push_back(tranche(spec, "t1", 10, 0));
  Tranche t2 = tranche(spec, "t2", 10, 0);
  t2.after = {"t1"};
  spec.tranches.push_back(t2);
  const auto r = run_trial(build_model(spec), 1, 0);
  // t1: 4, 8, 10 (day 2 quota 4, only 2 waiting); t2 may start on day 3: +4, +4, +2.
  const double expected[] = {4, 8, 10, 14, 18, 20, 20, 20};
  for (int d = 0; d < 8; ++d) EXPECT_EQ(metric_on(r, d, kInstalledSystems), expected[d]) << "day " << d;
  EXPECT_EQ(r.completion[0], 2);
  EXPECT_EQ(r.completion[1], 5);
}

TEST(TrialRamp, InstallsInOrderOfArrivalThenSpecOrder) {
  Spec spec = base_spec(6);
  spec.sites[0].install_limited = true;
  spec.sites[0].install_per_day = Distribution::constant_value(3.0);
  spec.tranches.push_back(tranche(spec, "late", 5, 2));
  spec.tranches.push_back(tranche(spec, "early", 5, 0));
  const auto r = run_trial(build_model(spec), 1, 0);
  // early: 3 on day 0, 2 on day 1; late arrives day 2: 3, then 2 on day 3.
  EXPECT_EQ(r.completion[1], 1);
  EXPECT_EQ(r.completion[0], 3);

  Spec tie = base_spec(6);
  tie.sites[0] = spec.sites[0];
  tie.tranches.push_back(tranche(tie, "first", 5, 0));
  tie.tranches.push_back(tranche(tie, "second", 5, 0));
  const auto t = run_trial(build_model(tie), 1, 0);
  // Same arrival day: spec order. first: 3 + 2 (day 1); second: 1 (day 1) + 3 + 1 (day 3).
  EXPECT_EQ(t.completion[0], 1);
  EXPECT_EQ(t.completion[1], 3);
  const double expected[] = {3, 6, 9, 10, 10, 10};
  for (int d = 0; d < 6; ++d) EXPECT_EQ(metric_on(t, d, kInstalledSystems), expected[d]) << "day " << d;
}

TEST(TrialRamp, SiteNotReadyBanksNothing) {
  Spec spec = base_spec(10);
  spec.sites[0].install_limited = true;
  spec.sites[0].install_per_day = Distribution::constant_value(1.5);
  spec.sites[0].ready.planned = spec.horizon.start + 4;
  spec.tranches.push_back(tranche(spec, "t1", 10, 0));
  const auto r = run_trial(build_model(spec), 1, 0);
  // Nothing until day 4, then floor(1.5 k): 1, 3, 4, 6, 7, 9.
  const double expected[] = {0, 0, 0, 0, 1, 3, 4, 6, 7, 9};
  for (int d = 0; d < 10; ++d) EXPECT_EQ(metric_on(r, d, kInstalledSystems), expected[d]) << "day " << d;
}

// base_spec(days) whose site s1 has `mw` of power from day 0.
Spec power_limited_spec(int days, double mw) {
  Spec spec = base_spec(days);
  Site& site = spec.sites[0];
  site.power_limited = true;
  PowerStep step;
  step.planned = spec.horizon.start;
  step.add_mw = mw;
  site.power_mw = {step};
  return spec;
}

// A risk that always occurs, on one target (a power target: the site's step 0).
Risk certain_risk(const std::string& id, RiskTarget::Kind kind, const std::string& target_id) {
  Risk risk;
  risk.id = id;
  risk.probability = 1.0;
  RiskTarget target;
  target.kind = kind;
  target.id = target_id;
  if (kind == RiskTarget::Kind::power) target.power_index = 0;
  risk.applies_to = {target};
  return risk;
}

Risk certain_delay(const std::string& id, RiskTarget::Kind kind, const std::string& target_id, double days) {
  Risk risk = certain_risk(id, kind, target_id);
  risk.has_delay = true;
  risk.delay_days = Distribution::constant_value(days);
  return risk;
}

Risk certain_power_cut(const std::string& id, double factor) {
  Risk risk = certain_risk(id, RiskTarget::Kind::site, "s1");
  risk.has_power_factor = true;
  risk.power_factor = Distribution::constant_value(factor);
  return risk;
}

TEST(TrialRamp, RiskDelaysAndPowerFactors) {
  Spec spec = power_limited_spec(60, 2.0);
  spec.tranches.push_back(tranche(spec, "t1", 30, 0));
  spec.risks = {certain_delay("late", RiskTarget::Kind::tranche, "t1", 30.0), certain_power_cut("grid", 0.5)};
  const auto r = run_trial(build_model(spec), 1, 0);
  // Delivery moves from day 0 to day 30; 2 MW x 0.5 / 100 kW = 10 systems fit.
  EXPECT_EQ(metric_on(r, 29, kDeliveredSystems), 0);
  EXPECT_EQ(metric_on(r, 30, kDeliveredSystems), 30);
  EXPECT_EQ(metric_on(r, 59, kInstalledSystems), 10);
}

// Two certain delays on one tranche, on one site's ready date and on one power
// step add up (spec-format.md §2.9: "several occurring risks on the same
// planned event add their delays").
TEST(TrialRamp, TwoDelaysOnOneTargetAddUp) {
  Spec spec = power_limited_spec(80, 100.0);
  spec.tranches.push_back(tranche(spec, "t1", 5, 10));
  auto two_delays = [](RiskTarget::Kind kind, const std::string& target_id) {
    return std::vector<Risk>{certain_delay("a", kind, target_id, 10.0), certain_delay("b", kind, target_id, 10.0)};
  };
  spec.risks = two_delays(RiskTarget::Kind::tranche, "t1");
  auto r = run_trial(build_model(spec), 1, 0);
  // Planned on day 10, two 10-day delays: delivered on day 30, not 20.
  EXPECT_EQ(metric_on(r, 29, kDeliveredSystems), 0);
  EXPECT_EQ(metric_on(r, 30, kDeliveredSystems), 5);

  // The site ready on day 0, two 10-day delays: nothing installed before day 20.
  spec.risks = two_delays(RiskTarget::Kind::site, "s1");
  r = run_trial(build_model(spec), 1, 0);
  EXPECT_EQ(metric_on(r, 19, kInstalledSystems), 0);
  EXPECT_EQ(metric_on(r, 20, kInstalledSystems), 5);

  // The power step on day 0, two 10-day delays: no power, so no installs, before day 20.
  spec.risks = two_delays(RiskTarget::Kind::power, "s1");
  r = run_trial(build_model(spec), 1, 0);
  EXPECT_EQ(metric_on(r, 19, kInstalledSystems), 0);
  EXPECT_EQ(metric_on(r, 20, kInstalledSystems), 5);
}

// Two certain power factors on one site multiply (spec-format.md §2.9): 2 MW x
// 0.5 x 0.5 = 0.5 MW, room for 5 systems of 100 kW (the last factor alone: 10).
TEST(TrialRamp, TwoPowerFactorsOnOneSiteMultiply) {
  Spec spec = power_limited_spec(10, 2.0);
  spec.tranches.push_back(tranche(spec, "t1", 30, 0));
  spec.risks = {certain_power_cut("a", 0.5), certain_power_cut("b", 0.5)};
  const auto r = run_trial(build_model(spec), 1, 0);
  EXPECT_EQ(metric_on(r, 9, kInstalledSystems), 5);
}

TEST(TrialRamp, TrancheThatDoesNotHappenDeliversNothingAndBlocksNothing) {
  Spec spec = base_spec(10);
  Tranche never = tranche(spec, "never", 10, 0);
  never.probability = 0.0;
  spec.tranches.push_back(never);
  Tranche next = tranche(spec, "next", 5, 0);
  next.after = {"never"};
  spec.tranches.push_back(next);
  const auto r = run_trial(build_model(spec), 1, 0);
  EXPECT_EQ(metric_on(r, 9, kDeliveredSystems), 5);
  EXPECT_EQ(metric_on(r, 0, kInstalledSystems), 5);
  EXPECT_EQ(r.completion[0], kDoesNotHappen);
  EXPECT_EQ(r.completion[1], 0);
}

TEST(TrialRamp, EarlyDeliveryNeverBeforeDayZeroAndLateOnesMissTheHorizon) {
  Spec spec = base_spec(10);
  Tranche early = tranche(spec, "early", 4, 3);
  early.delivery_slip_days = Distribution::constant_value(-10.0);
  spec.tranches.push_back(early);
  spec.tranches.push_back(tranche(spec, "late", 4, 20));
  const auto r = run_trial(build_model(spec), 1, 0);
  EXPECT_EQ(metric_on(r, 0, kDeliveredSystems), 4);
  EXPECT_EQ(r.completion[0], 0);
  EXPECT_EQ(r.completion[1], -1);
}

TEST(TrialRamp, UtilizationScalesEffectiveCompute) {
  Spec spec = base_spec(3);
  spec.operations.utilization = Distribution::constant_value(0.4);
  spec.tranches.push_back(tranche(spec, "t1", 10, 0));
  const auto r = run_trial(build_model(spec), 1, 0);
  EXPECT_DOUBLE_EQ(metric_on(r, 2, kPeakPflops), 720.0);
  EXPECT_DOUBLE_EQ(metric_on(r, 2, kEffectivePflops), 288.0);
  EXPECT_NEAR(metric_on(r, 2, kDeliveredFlopE24), 3 * 288.0 * 8.64e-5, 1e-12);
}

// Extreme but valid inputs finish quickly and exactly: systems of almost no
// power under a power limit (more fit than could ever be delivered), and a
// total of units per system type at the supported limit; beyond it the spec
// is rejected with its location.
TEST(TrialRamp, ExtremeInputsNeitherHangNorOverflow) {
  Spec spec = base_spec(10);
  spec.systems[0].power_kw = 1e-300;
  spec.sites[0].power_limited = true;
  PowerStep step;
  step.planned = spec.horizon.start;
  step.add_mw = 1000.0;
  spec.sites[0].power_mw = {step};
  spec.tranches.push_back(tranche(spec, "t1", 1000000000, 2));
  spec.tranches.push_back(tranche(spec, "t2", 1000000000, 2));
  const auto r = run_trial(build_model(spec), 1, 0);
  EXPECT_EQ(metric_on(r, 9, kOnlineSystems), 2e9);
  spec.tranches.push_back(tranche(spec, "t3", 1, 2));
  EXPECT_THROW(build_model(spec), SpecError);
}

// ---- stochastic behaviour -------------------------------------------------
// Tolerances are 5 standard errors of the Monte Carlo estimate: with a few
// dozen such checks the chance of a false alarm is below 1e-5, while a wrong
// rule (e.g. a missing rework cycle) moves the estimate by hundreds of sigmas.

TEST(TrialStochastic, AcceptanceAndReworkFollowTheBinomialCascade) {
  Spec spec = base_spec(13);
  Tranche t = tranche(spec, "t1", 1000, 0);
  t.burn_in_days = Distribution::constant_value(2.0);
  t.rework_days = Distribution::constant_value(3.0);
  t.acceptance = Distribution::constant_value(0.5);
  spec.tranches.push_back(t);
  const CompiledModel model = build_model(spec);
  const int trials = 2000;
  double sum2 = 0, sum7 = 0, sum12 = 0;
  for (int i = 0; i < trials; ++i) {
    const auto r = run_trial(model, 7, static_cast<std::uint32_t>(i));
    EXPECT_EQ(metric_on(r, 1, kOnlineSystems), 0);
    sum2 += metric_on(r, 2, kOnlineSystems);
    sum7 += metric_on(r, 7, kOnlineSystems);
    sum12 += metric_on(r, 12, kOnlineSystems);
  }
  // Passes on days 2, 7, 12 (burn-in 2, then cycles of rework 3 + burn-in 2):
  // expected online 1000 (1 - 0.5^k); sd of one trial sqrt(1000 (1 - 0.5^k) 0.5^k) <= 15.8.
  const double se = 15.82 / std::sqrt(trials);
  EXPECT_NEAR(sum2 / trials, 500.0, 5 * se);
  EXPECT_NEAR(sum7 / trials, 750.0, 5 * se);
  EXPECT_NEAR(sum12 / trials, 875.0, 5 * se);
}

TEST(TrialStochastic, DailyFailuresTakeTheExpectedShareDown) {
  Spec spec = base_spec(50);
  spec.operations.failures_per_accelerator_day = 1e-3;
  spec.operations.repair_days = Distribution::constant_value(2.0);
  spec.tranches.push_back(tranche(spec, "t1", 1000, 0));
  const CompiledModel model = build_model(spec);
  // f = 1e-3 x 72 = 0.072 per system-day, r = 2: q = 0.144 / 1.144.
  const double q = 0.144 / 1.144;
  double sum = 0;
  int samples = 0;
  for (int i = 0; i < 200; ++i) {
    const auto r = run_trial(model, 11, static_cast<std::uint32_t>(i));
    for (int d = 0; d < 50; ++d) {
      EXPECT_EQ(metric_on(r, d, kOnlineSystems), 1000);
      sum += 1000.0 - metric_on(r, d, kAvailableAccelerators) / 72.0;
      ++samples;
    }
  }
  // Down systems per day ~ Binomial(1000, q), independent across days and trials.
  const double se = std::sqrt(1000.0 * q * (1 - q) / samples);
  EXPECT_NEAR(sum / samples, 1000.0 * q, 5 * se);
}

TEST(TrialStochastic, RiskOccursWithItsProbabilityAndSlipsRoundToWholeDays) {
  Spec spec = base_spec(40);
  Tranche t = tranche(spec, "t1", 1, 0);
  t.delivery_slip_days = testing::uniform(0.0, 10.0);
  spec.tranches.push_back(t);
  Risk risk;
  risk.id = "r";
  risk.probability = 0.3;
  risk.has_delay = true;
  risk.delay_days = Distribution::constant_value(20.0);
  RiskTarget target;
  target.kind = RiskTarget::Kind::tranche;
  target.id = "t1";
  risk.applies_to = {target};
  spec.risks = {risk};
  const CompiledModel model = build_model(spec);
  const int trials = 20000;
  std::vector<int> counts(40, 0);
  int delayed = 0;
  for (int i = 0; i < trials; ++i) {
    const int day = run_trial(model, 3, static_cast<std::uint32_t>(i)).completion[0];
    ASSERT_GE(day, 0);
    ++counts[static_cast<std::size_t>(day >= 20 ? day - 20 : day)];
    delayed += day >= 20;
  }
  EXPECT_NEAR(delayed / double(trials), 0.3, 5 * std::sqrt(0.3 * 0.7 / trials));
  // round(U(0, 10)): days 1..9 have probability 0.1, days 0 and 10 have 0.05.
  for (int k = 0; k <= 10; ++k) {
    const double p = (k == 0 || k == 10) ? 0.05 : 0.1;
    EXPECT_NEAR(counts[static_cast<std::size_t>(k)] / double(trials), p, 5 * std::sqrt(p * (1 - p) / trials)) << k;
  }
}

// Gaussian copula: slips of three tranches (uniform, triangular and normal
// marginals) in one group with rank correlation 0.5, a fourth pair at -0.3.
// For a Gaussian copula with normal correlation 2 sin(pi r / 6) the Spearman
// correlation is exactly r (Kruskal 1958). Sample Spearman over 20,000 trials:
// Fisher-z standard error about sqrt(1.06 / n) = 0.0073, so 5 standard errors
// are about 0.03 in r near 0.5. The marginals must stay what they were.
TEST(TrialStochastic, CorrelatedQuantitiesHaveTheRequestedRankCorrelation) {
  Spec spec = base_spec(100);
  for (const char* id : {"a", "b", "c", "d"}) spec.tranches.push_back(tranche(spec, id, 1, 10));
  spec.tranches[0].delivery_slip_days = testing::uniform(0.0, 30.0);
  spec.tranches[1].delivery_slip_days = testing::triangular(0.0, 5.0, 40.0);
  Distribution normal;
  normal.kind = Distribution::Kind::normal;
  normal.a = 10.0;
  normal.b = 4.0;
  spec.tranches[2].delivery_slip_days = normal;
  spec.tranches[3].delivery_slip_days = testing::uniform(-5.0, 5.0);
  Correlation group;
  group.variables = {"tranche:a.slip", "tranche:b.slip", "tranche:c.slip"};
  group.rank_correlation = 0.5;
  Correlation pair;
  pair.variables = {"tranche:a.slip", "tranche:d.slip"};
  pair.rank_correlation = -0.3;
  spec.correlations = {group, pair};
  const CompiledModel model = build_model(spec);
  const ModelView view = model.view(17);
  std::vector<double> scratch(workspace_bytes(view) / sizeof(double) + 1);
  TrialWorkspace w = carve_workspace(view, reinterpret_cast<char*>(scratch.data()));
  const int trials = 20000;
  std::vector<std::vector<double>> slips(4, std::vector<double>(trials));
  for (int i = 0; i < trials; ++i) {
    sample_trial_quantities(view, static_cast<std::uint32_t>(i), w);
    for (int t = 0; t < 4; ++t) slips[t][i] = w.values[model.tranches[t].slot_slip];
  }
  EXPECT_NEAR(spearman_correlation(slips[0], slips[1]), 0.5, 0.03);
  EXPECT_NEAR(spearman_correlation(slips[0], slips[2]), 0.5, 0.03);
  EXPECT_NEAR(spearman_correlation(slips[1], slips[2]), 0.5, 0.03);
  EXPECT_NEAR(spearman_correlation(slips[0], slips[3]), -0.3, 0.03);
  EXPECT_NEAR(spearman_correlation(slips[2], slips[3]), 0.0, 0.04) << "no entry for c and d: uncorrelated";
  // Marginals: uniform(0, 30) mean 15, sd 8.66; normal(10, 4) mean 10 (5 standard errors).
  double mean_a = 0.0, mean_c = 0.0;
  for (int i = 0; i < trials; ++i) {
    mean_a += slips[0][i] / trials;
    mean_c += slips[2][i] / trials;
  }
  EXPECT_NEAR(mean_a, 15.0, 5 * 8.66 / std::sqrt(trials));
  EXPECT_NEAR(mean_c, 10.0, 5 * 4.0 / std::sqrt(trials));
}

}  // namespace
}  // namespace capplan
