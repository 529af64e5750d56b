// Spec loading and validation (planner/spec/spec_loader.h) and the correlation
// model (planner/spec/correlation.h): exact values of a full spec, defaults, every
// error class with its line and key path, and robustness against bad input.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "planner/base/date.h"
#include "planner/base/errors.h"
#include "planner/base/limits.h"
#include "planner/base/text_file.h"
#include "planner/spec/correlation.h"
#include "planner/spec/spec.h"
#include "planner/spec/spec_loader.h"

namespace capplan {
namespace {

const std::string kSpecDir = std::string(CAPPLAN_SOURCE_DIR) + "/tests/specs/";
constexpr double kZ90 = 1.2815515655446004;  // standard normal 0.9 quantile (scipy.stats.norm.ppf(0.9))

// A small valid spec; tests append lines (from line 16 on) or replace text.
const std::string kBase =
    "version: 1\n"                                                      // 1
    "name: test\n"                                                      // 2
    "horizon: {start: 2026-01-01, end: 2026-12-31}\n"                   // 3
    "accelerators:\n"                                                   // 4
    "  gb200: {dense_tflops: {bf16: 2500}}\n"                           // 5
    "systems:\n"                                                        // 6
    "  nvl72: {accelerator: gb200, accelerators: 72, power_kw: 132}\n"  // 7
    "sites:\n"                                                          // 8
    "  site-a: {}\n"                                                    // 9
    "tranches:\n"                                                       // 10
    "  t1:\n"                                                           // 11
    "    system: nvl72\n"                                               // 12
    "    site: site-a\n"                                                // 13
    "    units: 10\n"                                                   // 14
    "    delivery: {planned: 2026-02-01}\n";                            // 15

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "test bug: '" << from << "' not in the text";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// The diagnostics of loading `text`; empty when it loads.
std::vector<Diagnostic> errors_of(const std::string& text) {
  try {
    load_spec_text(text, "test.yaml");
  } catch (const SpecError& e) {
    return e.diagnostics();
  }
  return {};
}

std::string all_messages(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) out += "  " + d.format() + "\n";
  return out.empty() ? "  (no errors)\n" : out;
}

// Expects a diagnostic at `line` with key path `key` whose message contains `fragment`.
void expect_error(const std::string& text, int line, const std::string& key, const std::string& fragment) {
  const auto diagnostics = errors_of(text);
  for (const auto& d : diagnostics) {
    if (d.line == line && d.key == key && d.message.find(fragment) != std::string::npos) {
      EXPECT_EQ(d.file, "test.yaml");
      EXPECT_GT(d.column, 0);
      return;
    }
  }
  ADD_FAILURE() << "no error at line " << line << ", key '" << key << "' containing '" << fragment << "'; got:\n"
                << all_messages(diagnostics);
}

// ---- valid specs ---------------------------------------------------------------------

TEST(SpecLoader, EveryFeatureLoadsWithExactValues) {
  const Spec spec = load_spec_file(kSpecDir + "every-feature.yaml");
  EXPECT_EQ(spec.source_file, kSpecDir + "every-feature.yaml");
  EXPECT_NE(spec.source_text.find("every-feature"), std::string::npos);
  EXPECT_EQ(spec.version, 1);
  EXPECT_EQ(spec.name, "every-feature");
  EXPECT_EQ(spec.description, "a spec using every feature");
  EXPECT_EQ(spec.horizon.start, *parse_date("2025-11-03"));
  EXPECT_EQ(spec.horizon.end, *parse_date("2026-12-31"));
  EXPECT_EQ(spec.trials, 20000u);
  EXPECT_EQ(spec.seed, 18446744073709551615ull);
  EXPECT_EQ(spec.precision, "fp8");

  ASSERT_EQ(spec.accelerators.size(), 2u);
  EXPECT_EQ(spec.accelerators[1].id, "trn2");
  ASSERT_EQ(spec.accelerators[1].dense_tflops.size(), 2u);
  EXPECT_EQ(spec.accelerators[1].dense_tflops[1].first, "fp8");
  EXPECT_EQ(spec.accelerators[1].dense_tflops[1].second, 1299.0);
  EXPECT_EQ(spec.accelerators[0].location.line, 11);

  ASSERT_EQ(spec.systems.size(), 2u);
  EXPECT_EQ(spec.systems[1].id, "trn2-ultra");
  EXPECT_EQ(spec.systems[1].accelerator, "trn2");
  EXPECT_EQ(spec.systems[1].accelerators, 64);
  EXPECT_EQ(spec.systems[1].power_kw, 40.5);

  ASSERT_EQ(spec.sites.size(), 2u);
  const Site& a = spec.sites[0];
  EXPECT_EQ(a.ready.planned, *parse_date("2025-10-01"));  // before the horizon start: allowed
  EXPECT_EQ(a.ready.slip_days.kind, Distribution::Kind::normal);
  EXPECT_EQ(a.ready.slip_days.a, 3.0);
  EXPECT_EQ(a.ready.slip_days.b, 2.0);
  EXPECT_TRUE(a.power_limited);
  ASSERT_EQ(a.power_mw.size(), 2u);
  EXPECT_EQ(a.power_mw[0].add_mw, 400.0);
  EXPECT_TRUE(a.power_mw[0].slip_days.is_constant());
  EXPECT_EQ(a.power_mw[0].slip_days.a, 0.0);
  EXPECT_EQ(a.power_mw[1].planned, *parse_date("2026-03-01"));
  EXPECT_EQ(a.power_mw[1].add_mw, 250.5);
  EXPECT_EQ(a.power_mw[1].slip_days.kind, Distribution::Kind::discrete);
  EXPECT_EQ(a.power_mw[1].slip_days.values, (std::vector<double>{0, 30, 60}));
  EXPECT_EQ(a.power_mw[1].slip_days.weights, (std::vector<double>{6, 3, 1}));
  EXPECT_EQ(a.power_mw[1].location.line, 22);
  EXPECT_EQ(a.pue, 1.2);
  EXPECT_TRUE(a.install_limited);
  EXPECT_EQ(a.install_per_day.kind, Distribution::Kind::triangular);
  EXPECT_EQ(a.install_per_day.a, 4.0);
  EXPECT_EQ(a.install_per_day.b, 6.0);
  EXPECT_EQ(a.install_per_day.c, 8.0);
  const Site& b = spec.sites[1];
  EXPECT_EQ(b.ready.planned, spec.horizon.start);  // default
  EXPECT_FALSE(b.power_limited);
  EXPECT_EQ(b.pue, 1.0);
  // lognormal {p10: 2, p90: 8}: mu = (ln 2 + ln 8) / 2 = ln 4, sigma = (ln 8 - ln 2) / (2 z90) = ln 2 / z90
  EXPECT_EQ(b.install_per_day.kind, Distribution::Kind::lognormal);
  EXPECT_NEAR(b.install_per_day.a, std::log(4.0), 1e-15);
  EXPECT_NEAR(b.install_per_day.b, std::log(2.0) / kZ90, 1e-15);

  ASSERT_EQ(spec.tranches.size(), 2u);
  const Tranche& t1 = spec.tranches[0];
  EXPECT_EQ(t1.system, "gb200-nvl72");
  EXPECT_EQ(t1.site, "site-a");
  EXPECT_EQ(t1.units, 400);
  EXPECT_EQ(t1.probability, 1.0);
  EXPECT_EQ(t1.delivery_planned, *parse_date("2026-01-31"));
  EXPECT_EQ(t1.delivery_slip_days.kind, Distribution::Kind::pert);
  EXPECT_EQ(t1.delivery_slip_days.a, -7.0);
  EXPECT_EQ(t1.delivery_slip_days.b, 14.0);
  EXPECT_EQ(t1.delivery_slip_days.c, 84.0);
  EXPECT_EQ(t1.spread_days, 30);
  // lognormal {median: 7, p90: 14}: mu = ln 7, sigma = ln 2 / z90
  EXPECT_EQ(t1.burn_in_days.kind, Distribution::Kind::lognormal);
  EXPECT_NEAR(t1.burn_in_days.a, std::log(7.0), 1e-15);
  EXPECT_NEAR(t1.burn_in_days.b, std::log(2.0) / kZ90, 1e-15);
  // beta {mean 0.95, sd 0.02}: k = 0.95 * 0.05 / 0.0004 - 1 = 117.75; alpha = 0.95 k, beta = 0.05 k
  EXPECT_EQ(t1.acceptance.kind, Distribution::Kind::beta);
  EXPECT_NEAR(t1.acceptance.a, 0.95 * 117.75, 1e-9);
  EXPECT_NEAR(t1.acceptance.b, 0.05 * 117.75, 1e-9);
  EXPECT_NEAR(t1.acceptance.mean(), 0.95, 1e-12);
  EXPECT_EQ(t1.rework_days.kind, Distribution::Kind::uniform);
  EXPECT_EQ(t1.rework_days.a, 7.0);
  EXPECT_EQ(t1.rework_days.b, 21.0);
  EXPECT_TRUE(t1.after.empty());
  EXPECT_EQ(t1.location.line, 28);  // the id key
  const Tranche& t2 = spec.tranches[1];
  EXPECT_EQ(t2.units, 1000);  // written 1e3
  EXPECT_EQ(t2.probability, 0.8);
  EXPECT_EQ(t2.spread_days, 1);
  EXPECT_TRUE(t2.delivery_slip_days.is_constant());
  EXPECT_EQ(t2.delivery_slip_days.a, 0.0);
  EXPECT_TRUE(t2.burn_in_days.is_constant());
  EXPECT_EQ(t2.burn_in_days.a, 0.0);
  EXPECT_TRUE(t2.acceptance.is_constant());
  EXPECT_EQ(t2.acceptance.a, 0.9);
  EXPECT_EQ(t2.after, std::vector<std::string>{"gb200-t1"});

  ASSERT_EQ(spec.risks.size(), 2u);
  const Risk& r0 = spec.risks[0];
  EXPECT_EQ(r0.probability, 0.25);
  EXPECT_TRUE(r0.has_delay);
  EXPECT_FALSE(r0.has_power_factor);
  EXPECT_EQ(r0.delay_days.kind, Distribution::Kind::uniform);
  ASSERT_EQ(r0.applies_to.size(), 3u);
  EXPECT_EQ(r0.applies_to[0].kind, RiskTarget::Kind::tranche);
  EXPECT_EQ(r0.applies_to[0].id, "gb200-t1");
  EXPECT_EQ(r0.applies_to[1].kind, RiskTarget::Kind::site);
  EXPECT_EQ(r0.applies_to[2].kind, RiskTarget::Kind::power);
  EXPECT_EQ(r0.applies_to[2].id, "site-a");
  EXPECT_EQ(r0.applies_to[2].power_index, 1);
  EXPECT_EQ(r0.applies_to[2].text(), "power:site-a/1");
  const Risk& r1 = spec.risks[1];
  EXPECT_FALSE(r1.has_delay);
  EXPECT_TRUE(r1.has_power_factor);
  EXPECT_EQ(r1.power_factor.a, 0.6);
  EXPECT_EQ(r1.power_factor.b, 0.9);

  ASSERT_EQ(spec.correlations.size(), 2u);
  EXPECT_EQ(spec.correlations[1].variables,
            (std::vector<std::string>{"tranche:trn2-t1.slip", "risk:grid-shortfall.power_factor"}));
  EXPECT_EQ(spec.correlations[1].rank_correlation, -0.25);
  EXPECT_EQ(spec.correlations[1].location.line, 55);

  EXPECT_EQ(spec.operations.failures_per_accelerator_day, 4.7e-4);
  EXPECT_EQ(spec.operations.repair_days.kind, Distribution::Kind::triangular);
  EXPECT_NEAR(spec.operations.repair_days.mean(), 7.0 / 3.0, 1e-15);
  EXPECT_EQ(spec.operations.utilization.kind, Distribution::Kind::normal);

  EXPECT_EQ(spec.report.every, Report::Every::dates);
  EXPECT_EQ(spec.report.dates,
            (std::vector<DayNumber>{*parse_date("2026-03-31"), *parse_date("2026-06-30"), *parse_date("2026-12-31")}));
  EXPECT_EQ(spec.report.quantiles, (std::vector<double>{0.05, 0.5, 0.95}));

  EXPECT_EQ(spec.report.by, (std::vector<std::string>{"largest-site", "site", "system"}));

  ASSERT_EQ(spec.targets.size(), 4u);
  EXPECT_EQ(spec.targets[0].id, "eoy-accelerators");
  EXPECT_EQ(spec.targets[0].metric, "available_accelerators");
  EXPECT_EQ(spec.targets[0].scope.kind, Scope::Kind::total);
  EXPECT_EQ(spec.targets[0].date, *parse_date("2026-12-31"));
  EXPECT_EQ(spec.targets[0].at_least, 20000.0);
  EXPECT_EQ(spec.targets[1].at_least, 1.5);
  EXPECT_EQ(spec.targets[2].scope.text(), "site:site-b");
  EXPECT_EQ(spec.targets[3].scope.kind, Scope::Kind::system);
  EXPECT_EQ(spec.targets[3].scope.id, "trn2-ultra");

  ASSERT_EQ(spec.milestones.size(), 4u);
  EXPECT_EQ(spec.milestones[0].id, "first-10k");
  EXPECT_EQ(spec.milestones[0].metric, "available_accelerators");
  EXPECT_EQ(spec.milestones[0].scope.kind, Scope::Kind::total);
  EXPECT_EQ(spec.milestones[0].at_least, 10000.0);
  EXPECT_EQ(spec.milestones[1].scope.text(), "system:trn2-ultra");
  EXPECT_EQ(spec.milestones[2].scope.kind, Scope::Kind::largest_site);
  EXPECT_EQ(spec.milestones[3].metric, "facility_power_mw");
  EXPECT_EQ(spec.milestones[3].at_least, 20.0);
}

TEST(SpecLoader, MinimalSpecGetsTheDefaults) {
  const Spec spec = load_spec_text(kBase, "base.yaml");
  EXPECT_EQ(spec.source_file, "base.yaml");
  EXPECT_EQ(spec.source_text, kBase);
  EXPECT_EQ(spec.description, "");
  EXPECT_EQ(spec.trials, 100000u);
  EXPECT_EQ(spec.seed, 1u);
  EXPECT_EQ(spec.precision, "bf16");
  EXPECT_TRUE(spec.risks.empty());
  EXPECT_TRUE(spec.correlations.empty());
  EXPECT_TRUE(spec.targets.empty());
  EXPECT_EQ(spec.operations.failures_per_accelerator_day, 0.0);
  EXPECT_TRUE(spec.operations.utilization.is_constant());
  EXPECT_EQ(spec.operations.utilization.a, 1.0);
  EXPECT_EQ(spec.report.every, Report::Every::month);
  EXPECT_EQ(spec.report.quantiles, (std::vector<double>{0.1, 0.5, 0.9}));
  const Site& site = spec.sites.at(0);
  EXPECT_EQ(site.ready.planned, spec.horizon.start);
  EXPECT_TRUE(site.ready.slip_days.is_constant());
  EXPECT_FALSE(site.power_limited);
  EXPECT_FALSE(site.install_limited);
  EXPECT_EQ(site.pue, 1.0);
  const Tranche& t = spec.tranches.at(0);
  EXPECT_EQ(t.probability, 1.0);
  EXPECT_EQ(t.spread_days, 1);
  EXPECT_EQ(t.acceptance.a, 1.0);
  EXPECT_EQ(t.rework_days.a, 0.0);
  EXPECT_TRUE(t.after.empty());
}

TEST(SpecLoader, ReportEveryWeekAndWholeNumbersInExponentForm) {
  const Spec spec = load_spec_text(replaced(kBase, "units: 10", "units: 1e5") +
                                       "report: {every: week}\n"
                                       "simulation: {trials: 4294967295, seed: 0}\n",
                                   "t.yaml");
  EXPECT_EQ(spec.tranches[0].units, 100000);
  EXPECT_EQ(spec.report.every, Report::Every::week);
  EXPECT_EQ(spec.trials, 4294967295u);
  EXPECT_EQ(spec.seed, 0u);
}

TEST(SpecLoader, NormalDurationIsAllowedAndTruncated) {
  // A normal may stand for a duration: the sampler truncates it at 0.
  const Spec spec = load_spec_text(kBase + "    burn_in_days: {normal: {mean: 5, sd: 3}}\n", "t.yaml");
  EXPECT_EQ(spec.tranches[0].burn_in_days.kind, Distribution::Kind::normal);
}

// ---- one test per error class -----------------------------------------------------------

TEST(SpecErrors, UnknownKeyWithDidYouMean) {
  expect_error(kBase + "    burnin_days: 3\n", 16, "tranches.t1.burnin_days", "did you mean 'burn_in_days'?");
  expect_error(kBase + "reprot: {every: day}\n", 16, "reprot", "did you mean 'report'?");
  expect_error(kBase + "zzzzzz: 1\n", 16, "zzzzzz", "expected one of: version, name");
  expect_error(replaced(kBase, "{planned: 2026-02-01}", "{planned: 2026-02-01, slip: 3}"), 15,
               "tranches.t1.delivery.slip", "did you mean 'slip_days'?");
}

TEST(SpecErrors, WrongTypes) {
  expect_error(replaced(kBase, "units: 10", "units: [1, 2]"), 14, "tranches.t1.units",
               "expected a number, found a list");
  expect_error(replaced(kBase, "units: 10", "units: \"10\""), 14, "tranches.t1.units",
               "expected a number, found the text \"10\"");
  expect_error(replaced(kBase, "units: 10", "units: ten"), 14, "tranches.t1.units", "expected a finite number");
  expect_error(replaced(kBase, "  site-a: {}", "  site-a: [1]"), 9, "sites.site-a", "expected a map");
  expect_error(kBase + "    after: t0\n", 16, "tranches.t1.after", "expected a list of tranche ids");
  expect_error(kBase + "report: {quantiles: [0.5, .inf]}\n", 16, "report.quantiles[1]", "expected a finite number");
  expect_error(kBase + "    acceptance: {beta: [0.9, 0.1]}\n", 16, "tranches.t1.acceptance.beta", "expected a map");
}

TEST(SpecErrors, BadDates) {
  expect_error(replaced(kBase, "planned: 2026-02-01", "planned: 2026-02-30"), 15, "tranches.t1.delivery.planned",
               "expected a valid date YYYY-MM-DD, found '2026-02-30'");
  expect_error(replaced(kBase, "start: 2026-01-01", "start: 2026-1-1"), 3, "horizon.start", "YYYY-MM-DD");
  expect_error(kBase + "targets:\n  t: {metric: online_systems, date: 2027-01-01, at_least: 1}\n", 17, "targets.t.date",
               "outside the horizon");
  expect_error(kBase + "report: {every: [2026-05-31, 2026-03-31]}\n", 16, "report.every[1]", "ascending");
}

TEST(SpecErrors, NegativeAndFractionalCounts) {
  expect_error(replaced(kBase, "units: 10", "units: -5"), 14, "tranches.t1.units",
               "expected a whole number from 0 to 1000000000, found -5");
  expect_error(replaced(kBase, "units: 10", "units: 2.5"), 14, "tranches.t1.units", "found 2.5");
  expect_error(replaced(kBase, "accelerators: 72", "accelerators: 0"), 7, "systems.nvl72.accelerators",
               "expected a whole number from 1");
  expect_error(kBase + "simulation: {trials: 0}\n", 16, "simulation.trials", "from 1 to 4294967295");
  expect_error(kBase + "simulation: {seed: 18446744073709551616}\n", 16, "simulation.seed",
               "from 0 to 18446744073709551615");
  expect_error(replaced(kBase, "power_kw: 132", "power_kw: -1"), 7, "systems.nvl72.power_kw", ">= 0");
  expect_error(replaced(kBase, "{planned: 2026-02-01}", "{planned: 2026-02-01, spread_days: -3}"), 15,
               "tranches.t1.delivery.spread_days", "whole number");
}

TEST(SpecErrors, ProbabilitiesOutsideUnitInterval) {
  expect_error(kBase + "    probability: 1.5\n", 16, "tranches.t1.probability",
               "expected a probability in [0, 1], found 1.5");
  expect_error(kBase + "risks:\n  r: {probability: -0.1, delay_days: 3, applies_to: [tranche:t1]}\n", 17,
               "risks.r.probability", "in [0, 1]");
  // A beta so narrow that its quantile table would take unbounded time.
  expect_error(kBase + "    acceptance: {beta: {mean: 0.5, sd: 1e-9}}\n", 16, "tranches.t1.acceptance.beta.sd",
               "exceeds 1e+08; use the constant 0.5 or an sd of at least 5e-05");
  // A risk without probability would never occur: it is an error, not a silent 0.
  expect_error(kBase + "risks:\n  r: {delay_days: 3, applies_to: [tranche:t1]}\n", 17, "risks.r.probability",
               "missing required key 'probability'");
  expect_error(kBase + "    acceptance: {uniform: [0.5, 1.2]}\n", 16, "tranches.t1.acceptance",
               "can go outside [0, 1]");
  expect_error(kBase + "    acceptance: {lognormal: {median: 0.5, p90: 0.9}}\n", 16, "tranches.t1.acceptance",
               "lognormal is not allowed");
}

TEST(SpecErrors, TriangularAndPertOrder) {
  expect_error(kBase + "    burn_in_days: {triangular: [5, 3, 8]}\n", 16, "tranches.t1.burn_in_days.triangular",
               "a triangular whose min <= mode <= max does not hold: min 5, mode 3, max 8");
  expect_error(kBase + "    rework_days: {pert: [1, 9, 8]}\n", 16, "tranches.t1.rework_days.pert",
               "a pert whose min <= mode <= max does not hold");
  expect_error(kBase + "    rework_days: {uniform: [9, 8]}\n", 16, "tranches.t1.rework_days.uniform", "min <= max");
  expect_error(kBase + "    rework_days: {triangular: [1, 2]}\n", 16, "tranches.t1.rework_days.triangular",
               "expected a list [min, mode, max], found a list of 2 values");
}

TEST(SpecErrors, LognormalP90NotAboveMedian) {
  expect_error(kBase + "    burn_in_days: {lognormal: {median: 10, p90: 10}}\n", 16,
               "tranches.t1.burn_in_days.lognormal.p90", "p90 must be above its median");
  expect_error(kBase + "    burn_in_days: {lognormal: {p10: 5, p90: 4}}\n", 16,
               "tranches.t1.burn_in_days.lognormal.p90", "p90 must be above its p10");
  expect_error(kBase + "    burn_in_days: {lognormal: {median: 0, p90: 4}}\n", 16,
               "tranches.t1.burn_in_days.lognormal.median", "must be > 0");
}

TEST(SpecErrors, OtherDistributionRules) {
  expect_error(kBase + "    burn_in_days: {normal: {mean: 5, sd: 0}}\n", 16, "tranches.t1.burn_in_days.normal.sd",
               "> 0");
  expect_error(kBase + "    acceptance: {beta: {mean: 0.5, sd: 0.6}}\n", 16, "tranches.t1.acceptance.beta.sd",
               "needs sd below");
  expect_error(kBase + "    burn_in_days: {discrete: {values: [1, 2], weights: [1]}}\n", 16,
               "tranches.t1.burn_in_days.discrete.weights", "as many weights as values");
  expect_error(kBase + "    burn_in_days: {discrete: {values: [1, 2], weights: [0, 0]}}\n", 16,
               "tranches.t1.burn_in_days.discrete.weights", "positive");
  expect_error(kBase + "    burn_in_days: {uniform: [1, 2], pert: [1, 2, 3]}\n", 16, "tranches.t1.burn_in_days",
               "exactly one distribution kind");
  expect_error(kBase + "    burn_in_days: {triangle: [1, 2, 3]}\n", 16, "tranches.t1.burn_in_days.triangle",
               "did you mean 'triangular'?");
  expect_error(kBase + "    burn_in_days: {uniform: [-2, 5]}\n", 16, "tranches.t1.burn_in_days", "can go below 0");
  expect_error(kBase + "    rework_days: -1\n", 16, "tranches.t1.rework_days", "can go below 0");
  expect_error(replaced(kBase, "  site-a: {}", "  site-a: {install_per_day: 0}"), 9, "sites.site-a.install_per_day",
               "install rate > 0");
  expect_error(kBase + "    burn_in_days: {normal: {mean: -100, sd: 1}}\n", 16, "tranches.t1.burn_in_days",
               "almost no probability");
  expect_error(replaced(kBase, "  site-a: {}", "  site-a: {pue: 0.9}"), 9, "sites.site-a.pue", ">= 1");
}

TEST(SpecErrors, DanglingReferences) {
  expect_error(replaced(kBase, "system: nvl72", "system: nvl27"), 12, "tranches.t1.system",
               "unknown system 'nvl27' (did you mean 'nvl72'?)");
  expect_error(replaced(kBase, "site: site-a", "site: site-b"), 13, "tranches.t1.site",
               "unknown site 'site-b' (did you mean 'site-a'?)");
  expect_error(replaced(kBase, "accelerator: gb200", "accelerator: gb300"), 7, "systems.nvl72.accelerator",
               "unknown accelerator 'gb300'");
  expect_error(kBase + "    after: [t2]\n", 16, "tranches.t1.after[0]", "unknown tranche 't2' (did you mean 't1'?)");
  expect_error(kBase + "    after: [t1]\n", 16, "tranches.t1.after[0]", "cannot come after itself");
  const std::string risk = "risks:\n  r:\n    probability: 0.5\n    delay_days: 3\n    applies_to: [{}]\n";
  expect_error(kBase + replaced(risk, "{}", "tranche:t9"), 20, "risks.r.applies_to[0]", "unknown tranche 't9'");
  expect_error(kBase + replaced(risk, "{}", "site:site-x"), 20, "risks.r.applies_to[0]", "unknown site 'site-x'");
  expect_error(kBase + replaced(risk, "{}", "power:site-a/0"), 20, "risks.r.applies_to[0]", "has no power_mw steps");
  expect_error(kBase + replaced(risk, "{}", "rack:t1"), 20, "risks.r.applies_to[0]",
               "expected tranche:<id>, site:<id> or power:<site>/<index>");
  expect_error(kBase + "correlations:\n  - {variables: [tranche:t1.slip, tranche:t1.slp], rank_correlation: 0.3}\n", 17,
               "correlations[0].variables[1]", "unknown quantity 'tranche:t1.slp' (did you mean 'tranche:t1.slip'?)");
}

TEST(SpecErrors, RiskRules) {
  expect_error(kBase + "risks:\n  r: {probability: 0.5, applies_to: [tranche:t1]}\n", 17, "risks.r",
               "needs delay_days, power_factor or both");
  expect_error(kBase + "risks:\n  r: {probability: 0.5, power_factor: 0.5, applies_to: [tranche:t1]}\n", 17,
               "risks.r.applies_to[0]", "needs the risk to have delay_days");
  expect_error(kBase + "risks:\n  r: {probability: 0.5, power_factor: 0.5, applies_to: [tranche:t1]}\n", 17,
               "risks.r.applies_to", "at least one site:<id> target");
  expect_error(kBase + "risks:\n  r: {probability: 0.5, power_factor: -0.5, applies_to: [site:site-a]}\n", 17,
               "risks.r.power_factor", "can go below 0");
  expect_error(kBase + "risks:\n  r: {probability: 0.5, delay_days: 1, applies_to: [tranche:t1, tranche:t1]}\n", 17,
               "risks.r.applies_to[1]", "listed twice");
  const std::string powered = replaced(kBase, "  site-a: {}", "  site-a: {power_mw: [{planned: 2026-01-01, add: 10}]}");
  EXPECT_TRUE(
      errors_of(powered + "risks:\n  r: {probability: 0.5, delay_days: 1, applies_to: [power:site-a/0]}\n").empty());
  expect_error(powered + "risks:\n  r: {probability: 0.5, delay_days: 1, applies_to: [power:site-a/1]}\n", 17,
               "risks.r.applies_to[0]", "out of range: site 'site-a' has power steps 0 .. 0");
}

TEST(SpecErrors, CycleInAfter) {
  const std::string text = kBase +
                           "    after: [t3]\n"                      // 16
                           "  t2:\n"                                // 17
                           "    system: nvl72\n"                    // 18
                           "    site: site-a\n"                     // 19
                           "    units: 1\n"                         // 20
                           "    delivery: {planned: 2026-02-01}\n"  // 21
                           "  t3:\n"                                // 22
                           "    system: nvl72\n"                    // 23
                           "    site: site-a\n"                     // 24
                           "    units: 1\n"                         // 25
                           "    delivery: {planned: 2026-02-01}\n"  // 26
                           "    after: [t2]\n"                      // 27
                           "  t4:\n"                                // 28
                           "    system: nvl72\n"                    // 29
                           "    site: site-a\n"                     // 30
                           "    units: 1\n"                         // 31
                           "    delivery: {planned: 2026-02-01}\n"  // 32
                           "    after: [t1]\n";                     // 33
  const std::string cyclic = replaced(text, "  t2:\n    system", "  t2:\n    after: [t4]\n    system");
  // t1 -> t3 -> t2 -> t4 -> t1, reported once, at t1's `after` (line 16).
  const auto diagnostics = errors_of(cyclic);
  ASSERT_EQ(diagnostics.size(), 1u) << all_messages(diagnostics);
  EXPECT_EQ(diagnostics[0].line, 16);
  EXPECT_EQ(diagnostics[0].key, "tranches.t1.after");
  EXPECT_NE(diagnostics[0].message.find("t1 -> t3 -> t2 -> t4 -> t1"), std::string::npos) << diagnostics[0].message;
  // Without the t2 -> t4 edge there is no cycle.
  EXPECT_TRUE(errors_of(text).empty()) << all_messages(errors_of(text));
}

TEST(SpecErrors, TwoSeparateCyclesGiveTwoErrors) {
  std::string text = replaced(kBase, "tranches:\n",
                              "tranches:\n  t0: {system: nvl72, site: site-a, units: 1, "
                              "delivery: {planned: 2026-02-01}, after: [t1]}\n");
  text += "    after: [t0]\n";
  text += "  t5: {system: nvl72, site: site-a, units: 1, delivery: {planned: 2026-02-01}, after: [t6]}\n";
  text += "  t6: {system: nvl72, site: site-a, units: 1, delivery: {planned: 2026-02-01}, after: [t5]}\n";
  const auto diagnostics = errors_of(text);
  ASSERT_EQ(diagnostics.size(), 2u) << all_messages(diagnostics);
  EXPECT_NE(diagnostics[0].message.find("t0 -> t1 -> t0"), std::string::npos);
  EXPECT_EQ(diagnostics[0].line, 11);
  EXPECT_NE(diagnostics[1].message.find("t5 -> t6 -> t5"), std::string::npos);
}

TEST(SpecErrors, HorizonEndBeforeStartOrLongerThanOneHundredYears) {
  expect_error(replaced(kBase, "end: 2026-12-31", "end: 2025-12-31"), 3, "horizon.end",
               "the horizon end 2025-12-31 is before its start 2026-01-01");
  expect_error(replaced(kBase, "end: 2026-12-31", "end: 2226-12-31"), 3, "horizon.end", "at most 100 years");
  // 100 years are 36525 days (kMaxHorizonDays): 2026-01-01 .. 2126-01-01 inclusive, one day more is refused.
  const std::string longest = replaced(kBase, "end: 2026-12-31", "end: 2126-01-01");
  EXPECT_TRUE(errors_of(longest).empty()) << all_messages(errors_of(longest));
  expect_error(replaced(kBase, "end: 2026-12-31", "end: 2126-01-02"), 3, "horizon.end",
               "the horizon is 36526 days long; at most 100 years (36525 days) is supported");
}

TEST(SpecErrors, UnreachableCorrelationMatrix) {
  // r = 0.9 between a-b and b-c but -0.9 between a-c: no correlation matrix has these entries.
  const std::string text = kBase +
                           "correlations:\n"
                           "  - {variables: [tranche:t1.slip, tranche:t1.burn_in], rank_correlation: 0.9}\n"
                           "  - {variables: [tranche:t1.burn_in, tranche:t1.rework], rank_correlation: 0.9}\n"
                           "  - {variables: [tranche:t1.slip, tranche:t1.rework], rank_correlation: -0.9}\n";
  expect_error(text, 17, "correlations[0]", "not positive definite (unreachable)");
  const auto diagnostics = errors_of(text);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_NE(diagnostics[0].message.find("correlations[0], correlations[1] and correlations[2]"), std::string::npos);
  // One group of three with a strong common negative correlation is unreachable too.
  expect_error(kBase +
                   "correlations:\n  - {variables: [tranche:t1.slip, tranche:t1.burn_in, tranche:t1.rework], "
                   "rank_correlation: -0.9}\n",
               17, "correlations[0]", "unreachable");
  expect_error(kBase + "correlations:\n  - {variables: [tranche:t1.slip, tranche:t1.rework], rank_correlation: 1}\n",
               17, "correlations[0].rank_correlation", "strictly between -1 and 1");
  expect_error(kBase +
                   "correlations:\n  - {variables: [tranche:t1.slip, tranche:t1.rework], rank_correlation: 0.5}\n"
                   "  - {variables: [tranche:t1.rework, tranche:t1.slip], rank_correlation: 0.4}\n",
               18, "correlations[1]", "a pair may have only one value");
  expect_error(kBase + "correlations:\n  - {variables: [tranche:t1.slip], rank_correlation: 0.5}\n", 17,
               "correlations[0].variables", "at least 2 distinct");
}

TEST(SpecErrors, DuplicateKey) {
  expect_error(kBase + "    units: 20\n", 16, "tranches.t1.units", "duplicate key 'units'");
  expect_error(kBase + "  t1: {system: nvl72, site: site-a, units: 1, delivery: {planned: 2026-02-01}}\n", 16,
               "tranches.t1", "duplicate key 't1'");
}

TEST(SpecErrors, MalformedYamlGetsParserLineAndColumn) {
  const auto diagnostics = errors_of(replaced(kBase, "units: 10", "units: [10"));
  ASSERT_EQ(diagnostics.size(), 1u) << all_messages(diagnostics);
  EXPECT_NE(diagnostics[0].message.find("malformed YAML"), std::string::npos);
  EXPECT_GE(diagnostics[0].line, 14);
  EXPECT_GT(diagnostics[0].column, 0);
  const auto tab = errors_of("version: 1\nname: x\nhorizon: {start: 2026-01-01, end: 2026-12-31\n");
  ASSERT_EQ(tab.size(), 1u);
  EXPECT_EQ(tab[0].line, 4);  // yaml-cpp reports the unclosed flow map at the end of the input
  const auto bad = errors_of("a: b: c\n");
  ASSERT_EQ(bad.size(), 1u) << all_messages(bad);
  EXPECT_EQ(bad[0].line, 1);
  EXPECT_EQ(bad[0].column, 5);
  EXPECT_NE(bad[0].message.find("malformed YAML"), std::string::npos);
}

TEST(SpecErrors, VersionMustBeOne) {
  expect_error(replaced(kBase, "version: 1", "version: 2"), 1, "version", "only version 1 is accepted");
  expect_error(replaced(kBase, "version: 1", "version: one"), 1, "version", "expected a finite number");
}

TEST(SpecErrors, MissingRequiredKeys) {
  expect_error(replaced(kBase, "    units: 10\n", ""), 12, "tranches.t1.units", "missing required key 'units'");
  expect_error(replaced(kBase, "name: test\n", ""), 1, "name", "missing required key 'name'");
  expect_error(replaced(kBase, "{planned: 2026-02-01}", "{spread_days: 3}"), 15, "tranches.t1.delivery.planned",
               "missing required key 'planned'");
  expect_error(replaced(kBase, "  gb200: {dense_tflops: {bf16: 2500}}", "  gb200: {dense_tflops: {fp8: 5000}}"), 5,
               "accelerators.gb200.dense_tflops", "no entry for precision 'bf16'");
  expect_error(replaced(kBase, "  site-a: {}", "  site-a: {ready: {slip_days: 3}}"), 9, "sites.site-a.ready.planned",
               "missing required key");
  expect_error(replaced(kBase, "sites:\n  site-a: {}", "sites: {}"), 8, "sites", "expected at least one site");
}

TEST(SpecErrors, EmptyFile) {
  for (const std::string text : {"", "\n\n", "# only a comment\n", "---\n"}) {
    const auto diagnostics = errors_of(text);
    ASSERT_EQ(diagnostics.size(), 1u) << all_messages(diagnostics);
    EXPECT_EQ(diagnostics[0].line, 1);
    EXPECT_NE(diagnostics[0].message.find("the spec is empty"), std::string::npos);
  }
  expect_error("42\n", 1, "", "expected a map with the spec's keys");
}

TEST(SpecErrors, BadIdsAndNamesAndMetrics) {
  expect_error(replaced(kBase, "  t1:\n", "  t.1:\n"), 11, "tranches.t.1", "may contain only letters");
  expect_error(replaced(kBase, "name: test", "name: ../etc"), 2, "name", "names the output folder");
  expect_error(kBase + "targets:\n  t: {metric: online_system, date: 2026-06-01, at_least: 1}\n", 17,
               "targets.t.metric", "did you mean 'online_systems'?");
  expect_error(kBase + "report: {quantiles: [0.5, 0.5]}\n", 16, "report.quantiles[1]", "ascending without repeats");
  expect_error(kBase + "report: {quantiles: [0, 0.5]}\n", 16, "report.quantiles[0]", "strictly between 0 and 1");
  expect_error(kBase + "report: {every: monthly}\n", 16, "report.every", "did you mean 'month'?");
}

TEST(SpecErrors, SeveralErrorsAreAllReported) {
  std::string text = replaced(kBase, "units: 10", "units: -1");
  text = replaced(text, "system: nvl72", "system: nope");
  text = replaced(text, "planned: 2026-02-01", "planned: 2026-13-01");
  text += "    probability: 2\n    colour: red\n";
  const auto diagnostics = errors_of(text);
  EXPECT_EQ(diagnostics.size(), 5u) << all_messages(diagnostics);
  expect_error(text, 12, "tranches.t1.system", "unknown system");
  expect_error(text, 14, "tranches.t1.units", "whole number");
  expect_error(text, 15, "tranches.t1.delivery.planned", "date");
  expect_error(text, 16, "tranches.t1.probability", "probability");
  expect_error(text, 17, "tranches.t1.colour", "unknown key");
  // Sorted by line.
  for (std::size_t i = 1; i < diagnostics.size(); ++i) EXPECT_LE(diagnostics[i - 1].line, diagnostics[i].line);
}

TEST(SpecErrors, FixtureWithSeveralErrorsNamesFileAndLines) {
  const std::string path = kSpecDir + "several-errors.yaml";
  try {
    load_spec_file(path);
    FAIL() << "expected SpecError";
  } catch (const SpecError& e) {
    std::vector<std::pair<int, std::string>> got;
    for (const auto& d : e.diagnostics()) {
      EXPECT_EQ(d.file, path);
      got.emplace_back(d.line, d.key);
    }
    const std::vector<std::pair<int, std::string>> expected = {{12, "sites.site-a.pue"},
                                                               {16, "tranches.t1.site"},
                                                               {17, "tranches.t1.units"},
                                                               {18, "tranches.t1.delivery.planned"},
                                                               {19, "tranches.t1.acceptance.beta.sd"},
                                                               {22, "risks.late.probability"},
                                                               {23, "risks.late.delay_days.triangular"},
                                                               {24, "risks.late.applies_to[0]"}};
    EXPECT_EQ(got, expected) << e.what();
    // The formatted text names file, line and column: "path:12:10: error: sites.site-a.pue: ...".
    EXPECT_EQ(e.diagnostics()[0].format().rfind(path + ":12:10: error: sites.site-a.pue: ", 0), 0u)
        << e.diagnostics()[0].format();
  }
}

TEST(SpecErrors, StrayTokenAndExtraDocuments) {
  // yaml-cpp 0.7's LoadAll never returns on a stray ',' (jbeder/yaml-cpp#1040); the loader must.
  const auto comma = errors_of("# spec\n,version: 1\n");
  ASSERT_EQ(comma.size(), 1u) << all_messages(comma);
  EXPECT_EQ(comma[0].line, 2);
  EXPECT_NE(comma[0].message.find("malformed YAML: unexpected ','"), std::string::npos);
  const auto two = errors_of(kBase + "---\nversion: 1\n");
  ASSERT_EQ(two.size(), 1u) << all_messages(two);
  EXPECT_EQ(two[0].line, 17);
  EXPECT_NE(two[0].message.find("expected one YAML document"), std::string::npos);
}

TEST(SpecErrors, UnreadableFile) {
  try {
    load_spec_file(kSpecDir + "does-not-exist.yaml");
    FAIL() << "expected SpecError";
  } catch (const SpecError& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u);
    EXPECT_NE(e.diagnostics()[0].message.find("cannot open"), std::string::npos);
    EXPECT_EQ(e.exit_code(), 2);
  }
  EXPECT_THROW(load_spec_file(kSpecDir), SpecError);  // a directory
}

// ---- robustness -------------------------------------------------------------------------

// Loading must either succeed or throw SpecError; anything else fails the test.
void expect_loads_or_spec_error(const std::string& text, const std::string& label) {
  try {
    load_spec_text(text, "fuzz.yaml");
  } catch (const SpecError& e) {
    EXPECT_FALSE(e.diagnostics().empty()) << label;
  } catch (const std::exception& e) {
    ADD_FAILURE() << label << ": unexpected exception: " << e.what();
  } catch (...) {
    ADD_FAILURE() << label << ": unexpected non-standard exception";
  }
}

TEST(SpecRobustness, DeepNestingIsRejected) {
  const auto flow = errors_of(std::string(100000, '['));
  ASSERT_EQ(flow.size(), 1u);
  EXPECT_NE(flow[0].message.find("nesting deeper than 64"), std::string::npos);
  EXPECT_EQ(flow[0].line, 1);
  EXPECT_EQ(flow[0].column, 65);
  expect_loads_or_spec_error(std::string(100000, '{'), "braces");
  std::string dashes;
  for (int i = 0; i < 100000; ++i) dashes += "- ";
  const auto block = errors_of(dashes + "x\n");
  ASSERT_EQ(block.size(), 1u);
  EXPECT_NE(block[0].message.find("nesting deeper than"), std::string::npos);
  std::string indented;
  for (int i = 0; i < 3000; ++i) indented += std::string(static_cast<std::size_t>(i), ' ') + "a:\n";
  expect_loads_or_spec_error(indented, "indentation");
}

TEST(SpecRobustness, BinaryGarbageIsRejected) {
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 200; ++round) {
    std::string text(static_cast<std::size_t>(rng() % 2000), '\0');
    for (char& ch : text) ch = static_cast<char>(rng() & 0xff);
    expect_loads_or_spec_error(text, "garbage round " + std::to_string(round));
  }
  EXPECT_THROW(load_spec_text(std::string("\0\xff\xfe\x01", 4), "g.yaml"), SpecError);
}

TEST(SpecRobustness, AliasesAndSelfReferencesDoNotLoop) {
  expect_loads_or_spec_error(kBase + "risks: &r {x: *r}\n", "self alias");
  expect_loads_or_spec_error(kBase + "correlations: &c [*c, *c]\n", "self list");
  expect_loads_or_spec_error("version: &v [*v]\n", "version alias");
  expect_loads_or_spec_error(kBase + "description: *unknown\n", "unknown anchor");
}

// 2000 deterministic mutations of a valid spec: bytes replaced, inserted or
// deleted, lines duplicated, swapped or dropped. Each load succeeds or throws SpecError.
TEST(SpecRobustness, MutationFuzz) {
  std::string valid;
  {
    const Spec spec = load_spec_file(kSpecDir + "every-feature.yaml");
    valid = spec.source_text;
  }
  const std::string alphabet = "{}[]:,-#&*!|>'\"%@`? \t\n0123456789.eE+abcxyz_/\\";
  std::mt19937_64 rng(20251103);
  auto pick = [&](std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng() % n); };
  for (int round = 0; round < 2000; ++round) {
    std::string text = valid;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      std::vector<std::size_t> line_starts{0};
      for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n') line_starts.push_back(i + 1);
      }
      const std::size_t at = pick(text.size() + 1);
      switch (rng() % 7) {
        case 0:  // replace a byte with a YAML-significant character
          if (!text.empty()) text[pick(text.size())] = alphabet[pick(alphabet.size())];
          break;
        case 1:  // insert
          text.insert(at, 1, alphabet[pick(alphabet.size())]);
          break;
        case 2:  // delete a short run
          if (at < text.size()) text.erase(at, 1 + pick(8));
          break;
        case 3:  // any byte
          if (!text.empty()) text[pick(text.size())] = static_cast<char>(rng() & 0xff);
          break;
        case 4: {  // duplicate a line
          const std::size_t l = pick(line_starts.size());
          const std::size_t start = line_starts[l];
          const std::size_t end = text.find('\n', start);
          const std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start + 1);
          text.insert(start, line);
          break;
        }
        case 5: {  // drop a line
          const std::size_t start = line_starts[pick(line_starts.size())];
          const std::size_t end = text.find('\n', start);
          text.erase(start, end == std::string::npos ? std::string::npos : end - start + 1);
          break;
        }
        default: {  // change a number's digit to another digit (keeps the YAML valid)
          const std::size_t i = pick(text.size());
          const std::size_t digit = text.find_first_of("0123456789", i);
          if (digit != std::string::npos) text[digit] = static_cast<char>('0' + pick(10));
          break;
        }
      }
    }
    expect_loads_or_spec_error(text, "mutation round " + std::to_string(round));
    if (HasFailure()) {
      ADD_FAILURE() << "input:\n" << text;
      break;
    }
  }
}

// ---- the correlation model ----------------------------------------------------------------

TEST(CorrelationModel, ComponentsOrderAndCholesky) {
  Spec spec;
  spec.correlations.push_back({{"x", "y"}, 0.5, {}});
  spec.correlations.push_back({{"p", "q", "r"}, 0.3, {}});
  spec.correlations.push_back({{"z", "y"}, -0.2, {}});
  CorrelationModel model;
  ASSERT_TRUE(build_correlation_model(spec, model).empty());
  ASSERT_EQ(model.component_count(), 2);
  // Components by first appearance: {x, y, z} (linked through y), then {p, q, r}.
  EXPECT_EQ(model.variables, (std::vector<std::string>{"x", "y", "z", "p", "q", "r"}));
  EXPECT_EQ(model.component_start, (std::vector<int>{0, 3, 6}));
  EXPECT_EQ(model.cholesky_offset, (std::vector<int>{0, 6}));
  ASSERT_EQ(model.cholesky.size(), 12u);
  // C = [[1, rxy, 0], [rxy, 1, ryz], [0, ryz, 1]] with rho = 2 sin(pi r / 6).
  const double pi = 3.14159265358979323846;
  const double rxy = 2 * std::sin(pi * 0.5 / 6), ryz = 2 * std::sin(pi * -0.2 / 6);
  const double* L = model.cholesky.data();
  EXPECT_DOUBLE_EQ(L[0], 1.0);
  EXPECT_DOUBLE_EQ(L[1], rxy);
  EXPECT_DOUBLE_EQ(L[2], std::sqrt(1 - rxy * rxy));
  EXPECT_DOUBLE_EQ(L[3], 0.0);
  EXPECT_DOUBLE_EQ(L[4], ryz / std::sqrt(1 - rxy * rxy));
  EXPECT_NEAR(L[3] * L[3] + L[4] * L[4] + L[5] * L[5], 1.0, 1e-15);
  // Equal correlation 2 sin(0.05 pi) in the second component: L L^T reproduces it.
  const double rho = 2 * std::sin(pi * 0.3 / 6);
  const double* M = model.cholesky.data() + 6;
  EXPECT_NEAR(M[1] * M[0], rho, 1e-15);                // C[1][0]
  EXPECT_NEAR(M[3] * M[1] + M[4] * M[2], rho, 1e-15);  // C[2][1]
  EXPECT_NEAR(M[3] * M[3] + M[4] * M[4] + M[5] * M[5], 1.0, 1e-15);
}

TEST(CorrelationModel, NoGroupsGivesNoComponents) {
  Spec spec;
  CorrelationModel model;
  EXPECT_TRUE(build_correlation_model(spec, model).empty());
  EXPECT_EQ(model.component_count(), 0);
}

TEST(CorrelationModel, ConflictingPairIsAProblemOfTheLaterGroup) {
  Spec spec;
  spec.correlations.push_back({{"a", "b"}, 0.5, {}});
  spec.correlations.push_back({{"c", "d"}, 0.5, {}});
  spec.correlations.push_back({{"b", "a", "e"}, 0.4, {}});
  CorrelationModel model;
  const auto problems = build_correlation_model(spec, model);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].correlation_index, 2);
  EXPECT_NE(problems[0].message.find("correlations[0]"), std::string::npos);
}

// ---- --set overrides, the diagnostics cap and whole-file reading ----------------------------

// The diagnostics of loading kBase with `overrides`; empty when it loads.
std::vector<Diagnostic> errors_with(const std::vector<std::string>& overrides) {
  try {
    load_spec_text(kBase, "test.yaml", overrides);
  } catch (const SpecError& e) {
    return e.diagnostics();
  }
  return {};
}

TEST(SpecOverrides, SetValuesReplaceAndAddKeys) {
  const Spec spec =
      load_spec_text(kBase, "test.yaml",
                     {"tranches.t1.units=900", "tranches.t1.delivery.spread_days=7",
                      "sites.site-a.power_mw=[{planned: 2026-01-01, add: 5}]", "sites.site-a.power_mw[0].add=6"});
  ASSERT_EQ(spec.tranches.size(), 1u);
  EXPECT_EQ(spec.tranches[0].units, 900);
  EXPECT_EQ(spec.tranches[0].spread_days, 7);
  ASSERT_EQ(spec.sites[0].power_mw.size(), 1u);
  EXPECT_EQ(spec.sites[0].power_mw[0].add_mw, 6.0);
  EXPECT_EQ(spec.overrides.size(), 4u);
}

TEST(SpecOverrides, ProblemsInASetValueNameTheOption) {
  const auto bad_value = errors_with({"tranches.t1.units=-3"});
  ASSERT_EQ(bad_value.size(), 1u) << all_messages(bad_value);
  EXPECT_EQ(bad_value[0].file, "--set tranches.t1.units=-3");
  EXPECT_EQ(bad_value[0].line, 0);
  EXPECT_EQ(bad_value[0].key, "tranches.t1.units");
  EXPECT_EQ(bad_value[0].message, "expected a whole number from 0 to 1000000000, found -3");
  // Inside a set map value too; problems of the same line keep reading order (name before tranches).
  const auto inside = errors_with({"tranches.t1.delivery={planned: 2026-02-30}", "name=a b"});
  ASSERT_EQ(inside.size(), 2u) << all_messages(inside);
  EXPECT_EQ(inside[0].file, "--set name=a b");
  EXPECT_EQ(inside[0].key, "name");
  EXPECT_EQ(inside[1].file, "--set tranches.t1.delivery={planned: 2026-02-30}");
  EXPECT_EQ(inside[1].key, "tranches.t1.delivery.planned");
}

TEST(SpecOverrides, MalformedOptions) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"tranches.t1.units", "expected PATH=VALUE, e.g. tranches.t1.units=900"},
      {"=3", "expected PATH=VALUE, e.g. tranches.t1.units=900"},
      {"tranches..units=3", "the path 'tranches..units' has an empty part"},
      {"tranches.t1.units=[1,", "the value is not valid YAML: end of sequence flow not found"},
      {"name.first=x", "'name' is a single value, so it has no key 'first'"},
  };
  for (const auto& [option, message] : cases) {
    const auto diagnostics = errors_with({option});
    ASSERT_EQ(diagnostics.size(), 1u) << option << "\n" << all_messages(diagnostics);
    EXPECT_EQ(diagnostics[0].file, "--set " + option);
    EXPECT_EQ(diagnostics[0].message, message);
  }
  const auto index =
      errors_with({"sites.site-a.power_mw=[{planned: 2026-01-01, add: 5}]", "sites.site-a.power_mw[3].add=1"});
  ASSERT_EQ(index.size(), 1u) << all_messages(index);
  EXPECT_EQ(index[0].message, "'sites.site-a.power_mw' has no item 3 (it has 1)");
}

// User text in a diagnostic is escaped the one way (planner/base/printable.h),
// both where the loader quotes it and in the key path and file name that
// Diagnostic::format() prints: a C1 control (U+009B), a bidi override
// (U+202E), ESC, DEL and a byte that is not UTF-8.
TEST(SpecErrors, UnsafeCharactersAreEscapedInEveryMessage) {
  const std::string unsafe = "\xc2\x9b\xe2\x80\xae\x1b\x7f\xff";
  const std::string e = "\\u{009b}\\u{202e}\\x1b\\x7f\\xff";
  std::string text = replaced(kBase, "name: test", "name: \"n" + unsafe + "\"");
  text = replaced(text, "  t1:\n", "  t" + unsafe + ":\n");
  text += "k" + unsafe + ": 1\n";
  std::vector<std::string> formatted;
  for (const Diagnostic& d : errors_of(text)) formatted.push_back(d.format());
  const std::vector<std::string> expected = {
      "test.yaml:2:7: error: name: expected a name of letters, digits, '-', '_' and '.' (it names the output folder "
      "out/<name>), found 'n" +
          e + "'",
      "test.yaml:11:3: error: tranches.t" + e + ": tranche id 't" + e +
          "' may contain only letters, digits, '-' and '_' (ids are used inside quantity names such as "
          "tranche:<id>.slip)",
      "test.yaml:16:1: error: k" + e + ": unknown key 'k" + e + "'",
  };
  for (const std::string& line : expected) {
    const bool found =
        std::any_of(formatted.begin(), formatted.end(), [&](const std::string& f) { return f.rfind(line, 0) == 0; });
    EXPECT_TRUE(found) << "no diagnostic starting\n  " << line << "\ngot:\n" << all_messages(errors_of(text));
  }
  for (const std::string& f : formatted) {
    for (const char ch : f) EXPECT_TRUE(ch >= 0x20 && ch < 0x7f) << "raw byte in: " << f;
  }
  // A --set value: its option (the diagnostic's file) and the quoted value.
  const auto set = errors_with({"tranches.t1.units=" + unsafe});
  ASSERT_EQ(set.size(), 1u) << all_messages(set);
  EXPECT_EQ(set[0].format(),
            "--set tranches.t1.units=" + e + ": error: tranches.t1.units: expected a finite number, found '" + e + "'");
  // Long text is cut after 40 bytes, never inside a character, then escaped;
  // printable UTF-8 is kept.
  const auto long_value = errors_with({"tranches.t1.units=" + std::string(36, 'x') + "\xc3\xa9\xe2\x80\xae" + "yyy"});
  ASSERT_EQ(long_value.size(), 1u) << all_messages(long_value);
  EXPECT_NE(long_value[0].message.find("found '" + std::string(36, 'x') + "\xc3\xa9\\u{202e}...'"), std::string::npos)
      << long_value[0].message;
}

TEST(SpecErrors, AtMost200ProblemsThenACount) {
  std::string text = replaced(kBase, "tranches:\n", "tranches:\n  bad: {}\n");
  for (int i = 0; i < 150; ++i) text += "  x" + std::to_string(i) + ": {units: -1}\n";
  // Per x<i>: system, site, delivery missing and units negative; plus bad's four missing keys.
  const auto diagnostics = errors_of(text);
  ASSERT_EQ(diagnostics.size(), 201u);
  EXPECT_EQ(diagnostics.back().message, "... and 404 more errors");
  EXPECT_EQ(diagnostics.back().file, "test.yaml");
  EXPECT_EQ(diagnostics.back().line, 0);
}

// Past 10,000 problems the rest are counted, not kept (bounded memory): the
// count still covers every problem, and the first 200 shown are the file's first.
TEST(SpecErrors, ProblemsPastTheKeptOnesAreCounted) {
  std::string text = kBase;
  for (int i = 0; i < 3000; ++i) text += "  x" + std::to_string(i) + ": {}\n";  // 4 missing keys each
  try {
    load_spec_text(text, "test.yaml");
    FAIL() << "loaded";
  } catch (const SpecError& e) {
    EXPECT_EQ(e.count(), 12'000u);
    ASSERT_EQ(e.diagnostics().size(), 201u);
    EXPECT_EQ(e.diagnostics().back().message, "... and 11800 more errors");
    EXPECT_EQ(e.diagnostics().front().key, "tranches.x0.system") << e.diagnostics().front().format();
  }
}

TEST(SpecErrors, UnreadableFileMessages) {
  const auto message_of = [](const std::string& path) {
    try {
      load_spec_file(path);
    } catch (const SpecError& e) {
      EXPECT_EQ(e.diagnostics().size(), 1u);
      EXPECT_EQ(e.diagnostics()[0].file, path);
      EXPECT_EQ(e.diagnostics()[0].line, 0);
      return e.diagnostics()[0].message;
    }
    return std::string("(loaded)");
  };
  EXPECT_EQ(message_of(kSpecDir), "is a directory, not a spec file");
  EXPECT_EQ(message_of(kSpecDir + "does-not-exist.yaml"), "cannot open the spec file: No such file or directory");
}

// A huge list is refused by the event parse, before a tree of it is built.
TEST(SpecLimits, MoreYamlValuesThanTheLimitAreRefusedBeforeLoading) {
  std::string text = kBase + "junk:\n";
  text.reserve(text.size() + 9 * (kMaxSpecNodes + 10));
  for (std::size_t i = 0; i <= kMaxSpecNodes; ++i) text += "  - 12345\n";
  const auto diagnostics = errors_of(text);
  ASSERT_EQ(diagnostics.size(), 1u) << all_messages(diagnostics);
  EXPECT_NE(diagnostics[0].message.find("more than 500000 YAML values"), std::string::npos) << diagnostics[0].message;
  EXPECT_GT(diagnostics[0].line, 16);
}

TEST(TextFile, ReadsWholeFilesUpToTheCap) {
  const auto path =
      std::filesystem::temp_directory_path() / ("capplan-test-text-file-" + std::to_string(::getpid()) + ".txt");
  const std::size_t mib = std::size_t(1) << 20;
  const std::string content(mib + 1, 'x');
  std::ofstream(path, std::ios::binary) << content;
  std::string text;
  EXPECT_EQ(read_text_file(path.string(), "spec file", text, 2 * mib), std::nullopt);
  EXPECT_EQ(text, content);
  std::string capped;
  EXPECT_EQ(read_text_file(path.string(), "baseline", capped, mib),
            std::optional<std::string>("the baseline is larger than 1 MiB"));
  // The cap counts only what this call reads, and small caps are named in bytes.
  std::string prefilled(100, 'y');
  EXPECT_EQ(read_text_file(path.string(), "table", prefilled, 2 * mib), std::nullopt);
  EXPECT_EQ(prefilled.size(), 100 + content.size());
  std::string small;
  EXPECT_EQ(read_text_file(path.string(), "table", small, 1000),
            std::optional<std::string>("the table is larger than 1000 bytes"));
  std::filesystem::remove(path);
}

// A spec at the size cap is read (here: the base spec padded with a comment);
// one byte more is refused before it is parsed.
TEST(SpecLimits, SpecFilesOverTheSizeCapAreRefused) {
  const auto path =
      std::filesystem::temp_directory_path() / ("capplan-test-spec-cap-" + std::to_string(::getpid()) + ".yaml");
  const std::string at_cap = kBase + "#" + std::string(kMaxSpecFileBytes - kBase.size() - 2, 'x') + "\n";
  ASSERT_EQ(at_cap.size(), kMaxSpecFileBytes);
  std::ofstream(path, std::ios::binary) << at_cap;
  EXPECT_EQ(load_spec_file(path.string()).name, "test");
  std::ofstream(path, std::ios::binary | std::ios::app) << "\n";
  try {
    load_spec_file(path.string());
    ADD_FAILURE() << "a spec over the cap was loaded";
  } catch (const SpecError& e) {
    EXPECT_NE(std::string(e.what()).find("the spec file is larger than 8 MiB"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

// ---- breakdowns, scopes and milestones ---------------------------------------------------

TEST(SpecLoader, BreakdownsScopesAndMilestonesLoad) {
  const Spec spec =
      load_spec_text(kBase +
                         "report: {by: [system, site]}\n"
                         "targets:\n"
                         "  a: {metric: installed_systems, scope: site:site-a, date: 2026-06-01, at_least: 5}\n"
                         "milestones:\n"
                         "  m: {metric: online_systems, scope: largest-site, at_least: 0}\n"
                         "  n: {metric: delivered_flop_e24, at_least: 1.5}\n",
                     "test.yaml");
  EXPECT_EQ(spec.report.by, (std::vector<std::string>{"system", "site"}));
  EXPECT_TRUE(spec.report.breaks_down_by("site"));
  EXPECT_FALSE(spec.report.breaks_down_by("largest-site"));
  ASSERT_EQ(spec.targets.size(), 1u);
  EXPECT_EQ(spec.targets[0].scope, (Scope{Scope::Kind::site, "site-a"}));
  ASSERT_EQ(spec.milestones.size(), 2u);
  EXPECT_EQ(spec.milestones[0].scope.kind, Scope::Kind::largest_site);
  EXPECT_EQ(spec.milestones[0].at_least, 0.0);
  EXPECT_EQ(spec.milestones[1].scope.kind, Scope::Kind::total);
  EXPECT_EQ(spec.milestones[1].location.line, 21);
}

TEST(SpecLoader, ScopesAreWrittenOneWay) {
  for (const char* text : {"total", "site:a", "system:nvl72", "largest-site"}) {
    const auto scope = parse_scope(text);
    ASSERT_TRUE(scope) << text;
    EXPECT_EQ(scope->text(), text);
  }
  for (const char* text : {"", "Total", "site:", "system", "site-a", "largest_site", "rack:x"}) {
    EXPECT_FALSE(parse_scope(text)) << text;
  }
}

TEST(SpecLoader, BadBreakdownsScopesAndMilestonesNameTheRule) {
  expect_error(kBase + "report: {by: [sites]}\n", 16, "report.by[0]", "did you mean 'site'?");
  expect_error(kBase + "report: {by: [site, site]}\n", 16, "report.by[1]", "the breakdown 'site' is listed twice");
  expect_error(kBase + "report: {by: site}\n", 16, "report.by", "expected");
  const std::string target = "targets:\n  a: {metric: installed_systems, date: 2026-06-01, at_least: 5, ";
  expect_error(kBase + target + "scope: site:site-b}\n", 17, "targets.a.scope", "unknown site 'site-b'");
  expect_error(kBase + target + "scope: site:site-aa}\n", 17, "targets.a.scope", "did you mean 'site-a'?");
  expect_error(kBase + target + "scope: system:nvl27}\n", 17, "targets.a.scope", "did you mean 'nvl72'?");
  expect_error(kBase + target + "scope: region:x}\n", 17, "targets.a.scope", "expected a scope: total, site:");
  expect_error(kBase + target + "scope: largest_site}\n", 17, "targets.a.scope", "did you mean 'largest-site'?");
  expect_error(kBase + "targets:\n  a: {metric: installed_systems, date: 2026-06-01, at_least: -1}\n", 17,
               "targets.a.at_least", "expected a threshold >= 0, found -1");
  const std::string milestones = kBase + "milestones:\n";
  expect_error(milestones + "  m: {metric: online_systems, at_least: -0.5}\n", 17, "milestones.m.at_least",
               "expected a threshold >= 0");
  expect_error(milestones + "  m: {metric: online_system, at_least: 5}\n", 17, "milestones.m.metric",
               "did you mean 'online_systems'?");
  expect_error(milestones + "  m: {metric: online_systems, scope: site:nowhere, at_least: 5}\n", 17,
               "milestones.m.scope", "unknown site 'nowhere'");
  expect_error(milestones + "  m: {at_least: 5}\n", 17, "milestones.m.metric", "missing required key 'metric'");
  expect_error(milestones + "  m: {metric: online_systems}\n", 17, "milestones.m.at_least",
               "missing required key 'at_least'");
  expect_error(milestones + "  m: {metric: online_systems, at_least: 5, date: 2026-06-01}\n", 17, "milestones.m.date",
               "expected one of: metric, scope, at_least");
  expect_error(milestones + "  m: {metric: online_systems, at_least: 5}\n  m: {metric: online_systems, at_least: 6}\n",
               18, "milestones.m", "");
}

TEST(SpecLoader, SetReachesBreakdownsAndMilestones) {
  const Spec spec =
      load_spec_text(kBase + "milestones:\n  m: {metric: online_systems, at_least: 5}\n", "test.yaml",
                     {"report.by=[largest-site]", "milestones.m.at_least=7", "milestones.m.scope=system:nvl72",
                      "targets.t={metric: online_systems, "
                      "scope: largest-site, date: 2026-05-01, "
                      "at_least: 1}"});
  EXPECT_EQ(spec.report.by, (std::vector<std::string>{"largest-site"}));
  ASSERT_EQ(spec.milestones.size(), 1u);
  EXPECT_EQ(spec.milestones[0].at_least, 7.0);
  EXPECT_EQ(spec.milestones[0].scope.text(), "system:nvl72");
  ASSERT_EQ(spec.targets.size(), 1u);
  EXPECT_EQ(spec.targets[0].scope.kind, Scope::Kind::largest_site);
}

}  // namespace
}  // namespace capplan
