// Decision outputs: error bars, run-to-precision, drivers, criticality,
// scenario changes (--set) and comparisons on common random numbers.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "planner/analysis/compare.h"
#include "planner/analysis/sensitivity.h"
#include "planner/base/errors.h"
#include "planner/engine/engine.h"
#include "planner/engine/intervals.h"
#include "planner/engine/precision.h"
#include "planner/engine/run_driver.h"
#include "planner/output/reports.h"
#include "planner/spec/spec_loader.h"
#include "tests/spec_fixtures.h"

namespace capplan {
namespace {

using testing::base_spec;
using testing::tranche;
using testing::triangular;
using testing::uniform;

std::string config(const std::string& name) { return std::string(CAPPLAN_SOURCE_DIR) + "/configs/" + name; }

// ---- intervals ----------------------------------------------------------------

TEST(Intervals, WilsonMatchesTheClosedForm) {
  // Wilson (1927) for 40 of 100 at z = 1.96: centre 0.40384, half-width 0.09438
  // (Agresti & Coull, Am. Stat. 1998, table values rounded to 4 digits).
  const auto [low, high] = wilson_interval(40, 100, 1.96);
  EXPECT_NEAR(low, 0.3094, 1e-4);
  EXPECT_NEAR(high, 0.4980, 1e-4);
  const auto [zero_low, zero_high] = wilson_interval(0, 1000);
  EXPECT_EQ(zero_low, 0.0);
  EXPECT_NEAR(zero_high, 3.83e-3, 1e-5);  // about 3.84 / n for no hits
}

TEST(Intervals, OrderStatisticRanksBracketTheQuantile) {
  // n = 10000, p = 0.5: n p = 5000, z sqrt(n p (1 - p)) = 97.998: l = floor(4902.002),
  // u = ceil(5097.998) + 1.
  const auto [low, high] = order_statistic_ranks(0.5, 10000);
  EXPECT_EQ(low, 4902u);
  EXPECT_EQ(high, 5099u);
  const auto [one_low, one_high] = order_statistic_ranks(0.9, 1);
  EXPECT_EQ(one_low, 1u);
  EXPECT_EQ(one_high, 1u);
}

// The quantile intervals of forecast.csv cover the true quantile about 95% of
// the time: 400 independent runs of 2000 trials of a continuous uniform
// utilization (effective_pflops = 720 x u, u ~ U(0.2, 0.6)); the true p10 and
// p90 are 720 x 0.24 and 720 x 0.56. Coverage is a binomial proportion over
// 400 runs: its standard error at 0.95 is 0.011, so 0.90 .. 0.99 is a band of
// about 4.5 sigma (and the histogram's 0.2% bins widen intervals slightly).
TEST(Intervals, QuantileIntervalsCoverTheTruthAboutNinetyFivePercent) {
  Spec spec = base_spec(3);
  spec.tranches.push_back(tranche(spec, "t1", 10, 0));
  spec.operations.utilization = uniform(0.2, 0.6);
  const CompiledModel model = build_model(spec);
  int covered10 = 0, covered90 = 0;
  const int runs = 400;
  for (int run = 0; run < runs; ++run) {
    RunOptions options;
    options.trials = 2000;
    options.seed = 1000 + static_cast<std::uint64_t>(run);
    options.threads = 1;
    options.progress = false;
    options.backend = Backend::kCpu;
    const RunResult result = run_simulation(model, options);
    const ValueInterval i10 = result.statistics->quantile_interval(2, kEffectivePflops, 0.1, kZ95);
    const ValueInterval i90 = result.statistics->quantile_interval(2, kEffectivePflops, 0.9, kZ95);
    covered10 += i10.low <= 720 * 0.24 && 720 * 0.24 <= i10.high;
    covered90 += i90.low <= 720 * 0.56 && 720 * 0.56 <= i90.high;
  }
  EXPECT_GT(covered10, 0.90 * runs);
  EXPECT_LT(covered10, 0.99 * runs);
  EXPECT_GT(covered90, 0.90 * runs);
  EXPECT_LT(covered90, 0.99 * runs);
}

// ---- precision --------------------------------------------------------------

// Quiet CPU runs of `trials` trials, seed 7.
RunOptions cpu_options(std::uint64_t trials) {
  RunOptions options;
  options.trials = trials;
  options.seed = 7;
  options.progress = false;
  options.backend = Backend::kCpu;
  return options;
}

// A run to `relative` precision from 500 trials, doubling up to 64,000.
Simulation run_to_precision(const Spec& spec, const CompiledModel& model, double relative) {
  return simulate(spec, model, cpu_options(500), Communicator::world(), PrecisionGoal{relative, 64000}, nullptr);
}

TEST(Precision, ParsesPercentAndFractions) {
  EXPECT_DOUBLE_EQ(parse_precision("0.5%"), 0.005);
  EXPECT_DOUBLE_EQ(parse_precision("0.005"), 0.005);
  EXPECT_THROW(parse_precision("0"), UsageError);
  EXPECT_THROW(parse_precision("150%"), UsageError);
  EXPECT_THROW(parse_precision("half"), UsageError);
  EXPECT_THROW(parse_precision("1%%"), UsageError);
}

TEST(Precision, MoreTrialsNarrowTheIntervalsUntilMet) {
  const Spec spec = load_spec_file(config("minimal.yaml"));
  const CompiledModel model = build_model(spec);
  auto assess = [&](std::uint64_t trials) {
    return assess_precision(spec, model, *run_simulation(model, cpu_options(trials)).statistics, 0.01);
  };
  const PrecisionAssessment small = assess(500), large = assess(64000);
  EXPECT_FALSE(small.met);
  EXPECT_TRUE(large.met) << large.worst_cell << " " << large.worst_ratio;
  EXPECT_GT(small.worst_ratio, large.worst_ratio);
}

// The checkpoint loop adds trials to the same runner: stopping after k rounds
// gives the tables of one run of that many trials.
TEST(Precision, ARunToAPrecisionEqualsARunOfTheTrialsItUsed) {
  const Spec spec = load_spec_file(config("minimal.yaml"));
  const CompiledModel model = build_model(spec);
  const Simulation simulation = run_to_precision(spec, model, 0.03);
  ASSERT_TRUE(simulation.precision);
  EXPECT_TRUE(simulation.precision->assessment.met);
  EXPECT_GT(simulation.trials, 500u);
  EXPECT_EQ(simulation.precision->trials_used, simulation.trials);
  EXPECT_LT(simulation.trials, 64000u);
  const RunResult once = run_simulation(model, cpu_options(simulation.trials));
  EXPECT_EQ(forecast_csv(spec, model, *simulation.statistics), forecast_csv(spec, model, *once.statistics));
}

// Milestones' probabilities take part in --precision (docs/spec-format.md):
// here every quantile it checks is constant (nothing is uncertain before the
// last report date), and the milestone is reached only if a tranche of
// probability 1/2, delivered after that date, happens. Its Wilson 95%
// half-width, about 1.96 sqrt(0.25 / n), is what the run waits for: 0.0219 at
// 2,000 trials, above the 2% asked for for any estimate within 0.2 of 1/2,
// and 0.0155 at 4,000.
TEST(Precision, AMilestoneCanBeTheWorstCell) {
  const Spec spec = load_spec_text(
      "version: 1\n"
      "name: milestone-precision\n"
      "horizon: {start: 2026-01-01, end: 2026-12-31}\n"
      "accelerators: {g: {dense_tflops: {bf16: 1000}}}\n"
      "systems: {rack: {accelerator: g, accelerators: 72, power_kw: 100}}\n"
      "sites: {s1: {}}\n"
      "tranches:\n"
      "  sure: {system: rack, site: s1, units: 10, delivery: {planned: 2026-01-10}}\n"
      "  maybe: {system: rack, site: s1, units: 10, probability: 0.5, delivery: {planned: 2026-08-01}}\n"
      "report: {every: [2026-01-05, 2026-06-30]}\n"
      "milestones: {both-tranches: {metric: delivered_systems, at_least: 20}}\n",
      "milestone-precision.yaml");
  const CompiledModel model = build_model(spec);
  const Simulation simulation = run_to_precision(spec, model, 0.02);
  ASSERT_TRUE(simulation.precision);
  const PrecisionAssessment& final_check = simulation.precision->assessment;
  EXPECT_TRUE(final_check.met);
  EXPECT_EQ(simulation.trials, 4000u);  // checkpoints 500, 1000, 2000, 4000
  EXPECT_EQ(final_check.worst_cell, "milestone both-tranches");
  EXPECT_GT(final_check.worst_ratio, 0.5);
  EXPECT_LE(final_check.worst_ratio, 1.0);
  EXPECT_NE(precision_summary(*simulation.precision).find("worst cell: milestone both-tranches"), std::string::npos);
  // The checkpoint before: not met, for the milestone alone.
  const RunResult before = run_simulation(model, cpu_options(2000));
  const PrecisionAssessment at_2000 = assess_precision(spec, model, *before.statistics, 0.02);
  EXPECT_FALSE(at_2000.met);
  EXPECT_EQ(at_2000.worst_cell, "milestone both-tranches");
  EXPECT_GT(at_2000.worst_ratio, 1.0);
  const auto [low, high] = wilson_interval(before.statistics->completion_count(before.statistics->milestone_outcome(0)),
                                           before.statistics->trials());
  EXPECT_NEAR(at_2000.worst_ratio, 0.5 * (high - low) / 0.02, 1e-12);
}

// ---- drivers and criticality --------------------------------------------------

TEST(Drivers, SpearmanOfKnownData) {
  EXPECT_DOUBLE_EQ(spearman_correlation({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0);
  EXPECT_DOUBLE_EQ(spearman_correlation({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
  EXPECT_DOUBLE_EQ(spearman_correlation({1, 1, 1}, {1, 2, 3}), 0.0);  // constant input
  // Ties take average ranks: x ranks (1.5, 1.5, 3), y ranks (1, 2, 3): r = 0.866025.
  EXPECT_NEAR(spearman_correlation({0, 0, 1}, {1, 2, 3}), std::sqrt(3.0) / 2.0, 1e-12);
}

// One tranche whose slip spans 0..60 days in a 90-day horizon, a second one
// with a small slip: the first tranche's slip must lead the tornado with a
// strongly negative correlation; quantities that do not vary are left out.
TEST(Drivers, TheDominantSlipLeadsTheTornado) {
  Spec spec = base_spec(90);
  spec.sites[0].install_limited = true;
  spec.sites[0].install_per_day = Distribution::constant_value(2.0);
  Tranche big = tranche(spec, "big", 60, 10);
  big.delivery_slip_days = uniform(0.0, 60.0);
  Tranche small = tranche(spec, "small", 5, 0);
  small.delivery_slip_days = uniform(0.0, 3.0);
  spec.tranches = {big, small};
  const CompiledModel model = build_model(spec);
  RunOptions options;
  options.trials = 4000;
  options.seed = 3;
  options.progress = false;
  options.backend = Backend::kCpu;
  options.driver_sample = 4000;
  options.driver_row = static_cast<int>(model.record_days.size()) - 1;
  const RunResult result = run_simulation(model, options);
  ASSERT_EQ(result.drivers.trials.size(), 4000u);
  const std::vector<DriverRow> rows = compute_drivers(result.drivers, model.slot_names);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.front().output, "available_accelerators");
  EXPECT_EQ(rows.front().input, "tranche:big.slip");
  EXPECT_LT(rows.front().spearman, -0.5);
  for (const DriverRow& row : rows) EXPECT_NE(row.input, "tranche:big.burn_in") << "constant inputs are left out";
  double total = 0.0;
  for (const DriverRow& row : rows) {
    if (row.output == "available_accelerators") total += row.contribution_to_variance;
  }
  EXPECT_NEAR(total, 1.0, 1e-9);
}

TEST(Criticality, TheTrancheThatAlwaysCompletesLastIsCritical) {
  Spec spec = base_spec(60);
  Tranche early = tranche(spec, "early", 5, 0);
  early.delivery_slip_days = uniform(0.0, 5.0);
  Tranche late = tranche(spec, "late", 5, 20);
  late.delivery_slip_days = uniform(0.0, 5.0);
  Tranche elsewhere = tranche(spec, "elsewhere", 5, 0);
  Site other = spec.sites[0];
  other.id = "s2";
  spec.sites.push_back(other);
  elsewhere.site = "s2";
  spec.tranches = {early, late, elsewhere};
  const CompiledModel model = build_model(spec);
  RunOptions options;
  options.trials = 500;
  options.progress = false;
  options.backend = Backend::kCpu;
  const RunResult result = run_simulation(model, options);
  EXPECT_EQ(result.statistics->criticality(0), 0.0);
  EXPECT_EQ(result.statistics->criticality(1), 1.0);
  EXPECT_EQ(result.statistics->criticality(2), 1.0);  // alone at its site
}

// Not completing within the horizon counts as completing last
// (kernels/aggregate.h): a tranche delivered after the horizon's end, not one
// that completes on day 10, is its site's critical tranche.
TEST(Criticality, NotCompletingWithinTheHorizonCountsAsLast) {
  Spec spec = base_spec(60);
  spec.tranches = {tranche(spec, "on-time", 5, 10), tranche(spec, "after-horizon", 5, 90)};
  const CompiledModel model = build_model(spec);
  RunOptions options;
  options.trials = 10;
  options.progress = false;
  const RunResult result = run_simulation(model, options);
  EXPECT_EQ(result.statistics->completion_probability(1), 0.0);
  EXPECT_EQ(result.statistics->criticality(0), 0.0);
  EXPECT_EQ(result.statistics->criticality(1), 1.0);
}

// ---- --set and compare --------------------------------------------------------

TEST(Scenarios, SetChangesTheLoadedSpecAndIsValidatedLikeTheFile) {
  const Spec spec =
      load_spec_file(config("openai-aws-2026.yaml"),
                     {"tranches.gb300-t4.units=900", "risks.site-b-grid-shortfall.probability=0",
                      "sites.site-a.power_mw[1].add=150", "operations.utilization={uniform: [0.3, 0.5]}"});
  EXPECT_EQ(spec.find_tranche("gb300-t4")->units, 900);
  EXPECT_EQ(spec.risks[3].probability, 0.0);
  EXPECT_EQ(spec.sites[0].power_mw[1].add_mw, 150.0);
  EXPECT_EQ(spec.operations.utilization.kind, Distribution::Kind::uniform);
  try {
    load_spec_file(config("openai-aws-2026.yaml"), {"tranches.gb300-t4.units=-3", "nonsense"});
    FAIL() << "expected a SpecError";
  } catch (const SpecError& e) {
    ASSERT_EQ(e.diagnostics().size(), 2u);
    EXPECT_EQ(e.diagnostics()[0].file, "--set nonsense");
    EXPECT_EQ(e.diagnostics()[1].file, "--set tranches.gb300-t4.units=-3");
    EXPECT_EQ(e.diagnostics()[1].key, "tranches.gb300-t4.units");
  }
}

// Common random numbers: B is A with one tranche's units cut. Every trial of B
// then has at most A's delivered systems, and the unchanged quantities draw the
// same values, so the paired counts are exact: P(B > A) = 0.
TEST(Scenarios, CompareOnCommonRandomNumbersPairsTheTrials) {
  const Spec a = load_spec_file(config("minimal.yaml"));
  const Spec b = load_spec_file(config("minimal.yaml"), {"tranches.t1.units=80"});
  const CompiledModel ma = build_model(a), mb = build_model(b);
  check_comparable(a, ma, b, mb);
  RunOptions options;
  options.trials = 2000;
  options.progress = false;
  options.backend = Backend::kCpu;
  TrialRunner ra(ma, options), rb(mb, options);
  PairedCounts paired(ma, mb);
  for (std::uint64_t first = 0; first < 2000; first += 500) {
    ra.run_batch(first, 500);
    rb.run_batch(first, 500);
    paired.add(ra.records(), rb.records(), 500);
  }
  const int last = static_cast<int>(ma.report_rows.size()) - 1;
  EXPECT_EQ(paired.probability_b_greater(0, last, kDeliveredSystems), 0.0);
  EXPECT_EQ(paired.probability_equal(0, 0, kDeliveredSystems), 1.0);  // nothing delivered yet in January
  const std::string csv = compare_csv(a, ma, ra.statistics(), mb, rb.statistics(), paired);
  EXPECT_NE(csv.find("delivered_systems,p50,100,80,-20,"), std::string::npos) << csv.substr(0, 2000);
  // simulate_paired does the same pairing, in batches of its own size.
  const PairedSimulation simulation = simulate_paired(ma, mb, options);
  EXPECT_EQ(compare_csv(a, ma, *simulation.a, mb, *simulation.b, simulation.paired), csv);
  Spec shifted = b;
  shifted.report.quantiles = {0.5};
  EXPECT_THROW(check_comparable(a, ma, shifted, build_model(shifted)), UsageError);
}

}  // namespace
}  // namespace capplan
