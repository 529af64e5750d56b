// Nightly regression checks (planner/analysis/regression.h): a baseline passes against
// an unchanged spec and against a new seed on every config, fails on a real
// change, --exact demands identical tables, a baseline that does not fit is
// bad input, and the JUnit XML is well formed.
//
// The per-cell false-alarm rate quoted in docs/nightly.md comes from the
// disabled test FalseAlarm.RateOverManySeeds:
//   CAPPLAN_FALSE_ALARM_SEEDS=100 CAPPLAN_FALSE_ALARM_TRIALS=20000
//     build/default/test_regression --gtest_also_run_disabled_tests --gtest_filter='FalseAlarm.*'
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include "planner/analysis/regression.h"
#include "planner/base/errors.h"
#include "planner/engine/run_driver.h"
#include "planner/output/reports.h"
#include "planner/spec/spec_loader.h"

namespace capplan {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kTrials = 20000;
const std::string kReference = "openai-aws-2026";

std::string config_path(const std::string& name) {
  return std::string(CAPPLAN_SOURCE_DIR) + "/configs/" + name + ".yaml";
}

std::vector<std::string> all_configs() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(std::string(CAPPLAN_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// One run: the spec, its model (which the statistics point into) and the tables.
struct SimRun {
  Spec spec;
  std::unique_ptr<CompiledModel> model;
  std::unique_ptr<ForecastStatistics> stats;
  RunTables tables;
};

SimRun simulate(const std::string& config, std::uint64_t seed, std::uint64_t trials = kTrials,
                const std::vector<std::string>& overrides = {}) {
  SimRun r;
  r.spec = load_spec_file(config_path(config), overrides);
  r.spec.seed = seed;
  r.spec.trials = trials;
  r.model = std::make_unique<CompiledModel>(build_model(r.spec));
  RunOptions options;
  options.trials = trials;
  options.seed = seed;
  options.progress = false;
  r.stats = std::move(run_simulation(*r.model, options).statistics);
  r.tables = checked_tables(r.spec, *r.model, *r.stats);
  return r;
}

nlohmann::json baseline_of(const SimRun& r) {
  // Through text, as the CLI stores and reads it.
  return nlohmann::json::parse(make_baseline(r.spec, *r.model, *r.stats, r.tables).dump(1));
}

CheckReport check(const nlohmann::json& baseline, const SimRun& fresh, double sigmas = 4.0) {
  return check_statistical(baseline, fresh.spec, *fresh.model, *fresh.stats, sigmas);
}

double max_sigmas(const CheckReport& report) {
  double most = 0.0;
  for (const CellCheck& c : report.cells) most = std::max(most, c.sigmas);
  return most;
}

const CellCheck* find_cell(const CheckReport& report, const std::string& cell) {
  for (const CellCheck& c : report.cells) {
    if (c.cell == cell) return &c;
  }
  return nullptr;
}

// Cells a check compares: per report date and metric the mean and each
// quantile, of the totals and of every breakdown scope (report.by); per
// target its probability; per tranche and milestone the probability and each
// date quantile.
std::size_t expected_cells(const SimRun& r) {
  const std::size_t q = r.spec.report.quantiles.size();
  const std::size_t scopes = 1 + static_cast<std::size_t>(r.model->breakdown_blocks);
  return r.model->report_rows.size() * scopes * kMetricCount * (1 + q) + r.model->targets.size() +
         (r.spec.tranches.size() + r.model->milestone_specs.size()) * (1 + q);
}

// ---- the error model on its own ---------------------------------------------

TEST(ErrorModel, InsideTheAtomIsZeroSigmas) {
  // A count with ties: 30% of trials at 0 in both runs; p10 = 0 in both.
  EXPECT_EQ(quantile_rank_sigmas(0.1, {0.0, 0.30}, 20000, {0.0, 0.29}, 20000), 0.0);
  // Fine bins: the fresh run's p50 lands in the same bin.
  EXPECT_EQ(quantile_rank_sigmas(0.5, {0.4999, 0.5002}, 20000, {0.4995, 0.5001}, 20000), 0.0);
}

TEST(ErrorModel, NoiseAcrossABinEdgeIsAFewSigmasAtMost) {
  // s = sqrt(0.25 * 2 / 20000) = 0.005; the fresh run puts 0.4980 at or below the baseline's p50 bin.
  const double d = quantile_rank_sigmas(0.5, {0.4995, 0.5003}, 20000, {0.4970, 0.4980}, 20000);
  EXPECT_NEAR(d, (0.5003 - 0.4980) / 0.005, 1e-9);
  EXPECT_LT(d, 1.0);
  // And the other way.
  const double e = quantile_rank_sigmas(0.5, {0.4995, 0.5003}, 20000, {0.5010, 0.5020}, 20000);
  EXPECT_NEAR(e, (0.5010 - 0.4995) / 0.005, 1e-9);
}

TEST(ErrorModel, AClearShiftIsManySigmas) {
  EXPECT_GT(quantile_rank_sigmas(0.5, {0.499, 0.501}, 20000, {0.62, 0.63}, 20000), 20.0);
  EXPECT_GT(quantile_rank_sigmas(0.5, {0.499, 0.501}, 20000, {0.30, 0.31}, 20000), 20.0);
  // The baseline's big atom at 0 (50% of trials) shrank to 9% (p10 moved up
  // from 0): the baseline side of the test sees it, although 0.1 is within
  // a few sigmas of 0.09.
  EXPECT_GT(quantile_rank_sigmas(0.1, {0.0, 0.5}, 20000, {0.0, 0.09}, 20000), 40.0);
}

TEST(ErrorModel, PerCellLimitSharesTheFalseAlarmRateAmongTheCells) {
  EXPECT_EQ(cell_sigmas_limit(4.0, 1), 4.0);
  EXPECT_NEAR(cell_sigmas_limit(4.0, 477), 5.2749, 1e-4);
  EXPECT_NEAR(cell_sigmas_limit(4.0, 82634), 6.1517, 1e-4);
  EXPECT_NEAR(cell_sigmas_limit(3.0, 1000), 4.6924, 1e-4);
  // 477 cells at the limit are as likely to false-alarm as one cell at 4 sigmas.
  EXPECT_NEAR(477.0 * std::erfc(cell_sigmas_limit(4.0, 477) / std::sqrt(2.0)), std::erfc(4.0 / std::sqrt(2.0)), 1e-12);
  double last = 0.0;
  for (std::size_t cells : {1, 2, 10, 100, 1000, 100000}) {
    EXPECT_GT(cell_sigmas_limit(4.0, cells), last);
    last = cell_sigmas_limit(4.0, cells);
  }
}

TEST(ErrorModel, ProportionsUsePooledP) {
  EXPECT_EQ(proportion_sigmas(0, 20000, 0, 20000), 0.0);
  EXPECT_EQ(proportion_sigmas(20000, 20000, 10000, 10000), 0.0);
  // 50% vs 51% of 20000 each: pooled 0.505, se = sqrt(0.505 * 0.495 * 2 / 20000) = 0.0049998
  EXPECT_NEAR(proportion_sigmas(10000, 20000, 10200, 20000), 0.01 / std::sqrt(0.505 * 0.495 * 2 / 20000.0), 1e-9);
  EXPECT_EQ(proportion_sigmas(0, 20000, 0, 10000), 0.0);
}

// ---- statistical checks on the configs ---------------------------------------

TEST(Check, UnchangedSpecPassesWithZeroSigmas) {
  const SimRun a = simulate(kReference, 7);
  const SimRun b = simulate(kReference, 7);
  const CheckReport report = check(baseline_of(a), b);
  EXPECT_TRUE(report.passed()) << check_summary(report);
  EXPECT_EQ(report.cells.size(), expected_cells(b));
  EXPECT_EQ(max_sigmas(report), 0.0);
  EXPECT_EQ(check_summary(report),
            "all 3626 cells within 5.64 sigmas (the per-cell limit of --sigmas 4 for 3626 cells)\n");
  EXPECT_NEAR(report.cell_limit, 5.6354, 1e-4);
  EXPECT_TRUE(report.notes.empty()) << report.notes.front();
}

// The family-wise correction counts every cell compared: on the reference,
// 478 cells of the totals, targets and tranches (all a check compared before
// breakdowns and milestones were) and 3,148 more.
TEST(Check, TheCorrectionCountsEveryBreakdownAndMilestoneCell) {
  const SimRun a = simulate(kReference, 7, 4000);
  const SimRun b = simulate(kReference, 8, 4000);
  const CheckReport report = check(baseline_of(a), b);
  EXPECT_TRUE(report.passed()) << check_summary(report);
  std::map<std::string, std::size_t> by_table;
  for (const CellCheck& c : report.cells) ++by_table[c.table];
  const std::size_t dates = b.model->report_rows.size(), columns = 1 + 3;  // mean or probability, p10, p50, p90
  ASSERT_EQ(dates, 14u);                                                   // 2025-11-30 .. 2026-12-31
  ASSERT_EQ(b.model->breakdown_blocks, 3 + 3 + 1);                         // sites, systems, largest-site
  EXPECT_EQ(by_table["forecast"], dates * kMetricCount * columns);
  EXPECT_EQ(by_table["forecast_by"], dates * 7 * kMetricCount * columns);
  EXPECT_EQ(by_table["targets"], 6u);
  EXPECT_EQ(by_table["tranches"], 6 * columns);
  EXPECT_EQ(by_table["milestones"], 3 * columns);
  EXPECT_EQ(report.cells.size(), 3626u);
  EXPECT_EQ(report.cells.size() - by_table["forecast_by"] - by_table["milestones"], 478u);
  EXPECT_EQ(report.cell_limit, cell_sigmas_limit(4.0, 3626));
  EXPECT_GT(report.cell_limit, cell_sigmas_limit(4.0, 478) + 0.35);  // 5.64 against 5.28
  EXPECT_NE(check_summary(report).find("(the per-cell limit of --sigmas 4 for 3626 cells)"), std::string::npos);
  EXPECT_NE(junit_xml({{kReference, report}}).find("<property name=\"cell_limit\" value=\"5.6354\"/>"),
            std::string::npos);
  // --per-cell: --sigmas is each cell's own limit.
  EXPECT_EQ(check_statistical(baseline_of(a), b.spec, *b.model, *b.stats, 4.0, false).cell_limit, 4.0);
}

// A baseline of a spec with breakdowns, scoped targets and milestones holds
// every forecast_by.csv cell, each target's metric and scope and each
// milestone's cells, reads back as written, and fits its spec.
TEST(Check, BreakdownsScopedTargetsAndMilestonesRoundTrip) {
  const SimRun r = simulate(kReference, 7, 2000);
  const nlohmann::json written = make_baseline(r.spec, *r.model, *r.stats, r.tables);
  const nlohmann::json b = parse_baseline(written.dump(1), "reference.json");
  EXPECT_EQ(b, written);
  EXPECT_NO_THROW(check_baseline_fits(b, r.spec, *r.model));
  const nlohmann::json& cells = b["forecast_by"];
  ASSERT_EQ(cells.size(),
            static_cast<std::size_t>(std::count(r.tables.forecast_by.begin(), r.tables.forecast_by.end(), '\n') -
                                     1));  // one per forecast_by.csv row
  // A cell holds the statistics of its scope's block: 2026-12-31 at site-b.
  const int block = scope_block(*r.model, *parse_scope("site:site-b"));
  const int row = r.stats->block_row(block, record_row(*r.model, r.spec.horizon.end));
  const nlohmann::json* cell = nullptr;
  for (const nlohmann::json& c : cells) {
    if (c["date"] == "2026-12-31" && c["scope"] == "site:site-b" && c["metric"] == "available_accelerators") cell = &c;
  }
  ASSERT_NE(cell, nullptr);
  EXPECT_EQ((*cell)["mean"].get<double>(), r.stats->mean(row, kAvailableAccelerators));
  EXPECT_EQ((*cell)["sd"].get<double>(), r.stats->standard_deviation(row, kAvailableAccelerators));
  EXPECT_EQ((*cell)["p50"].get<double>(), r.stats->quantile(row, kAvailableAccelerators, 0.5));
  EXPECT_GT((*cell)["p90"].get<double>(), 0.0);
  // Targets by id, with metric and scope.
  nlohmann::json gb300, total;
  for (const nlohmann::json& t : b["targets"]) {
    if (t["id"] == "eoy-gb300-available") gb300 = t;
    if (t["id"] == "eoy-accelerators") total = t;
  }
  EXPECT_EQ(total["scope"], "total");
  EXPECT_EQ(gb300["metric"], "available_accelerators");
  EXPECT_EQ(gb300["scope"], "system:gb300-nvl72");
  // Milestones: probability reached and the date quantiles, as for tranches.
  ASSERT_EQ(b["milestones"].size(), 3u);
  const nlohmann::json& site_b = b["milestones"][1];
  const int outcome = r.stats->milestone_outcome(1);
  EXPECT_EQ(site_b["id"], "site-b-50k-available");
  EXPECT_EQ(site_b["metric"], "available_accelerators");
  EXPECT_EQ(site_b["scope"], "site:site-b");
  EXPECT_EQ(site_b["threshold"], 50000.0);
  EXPECT_EQ(site_b["reached"], r.stats->completion_count(outcome));
  EXPECT_EQ(site_b["probability_reached"], r.stats->completion_probability(outcome));
  EXPECT_EQ(site_b["p10"], r.stats->completion_quantile(outcome, 0.1));
  EXPECT_TRUE(site_b.contains("p90_rank"));
  // The exact tables, and --exact compares all five.
  EXPECT_EQ(b["tables"]["forecast_by"], forecast_by_csv(r.spec, *r.model, *r.stats));
  EXPECT_EQ(b["tables"]["milestones"], milestones_csv(r.spec, *r.model, *r.stats));
  EXPECT_EQ(check_summary(check_exact(b, r.tables)), "all 5 tables byte-identical\n");
  const CheckReport other_seed = check_exact(b, simulate(kReference, 8, 2000).tables);
  EXPECT_EQ(other_seed.cells.size(), 5u);
  EXPECT_FALSE(other_seed.cells[3].passed);
  EXPECT_EQ(other_seed.cells[3].table, "forecast_by");
}

// A nightly check may run fewer trials than the baseline: each side's
// proportions are taken at its own trial count (gb-2 completes in about 82% of
// trials, gb-3 in about 2%), so another seed at a quarter of the trials passes.
TEST(Check, AnotherTrialCountComparesEachSideAtItsOwnCount) {
  const SimRun a = simulate("example-all-features", 7, 20000);
  const SimRun b = simulate("example-all-features", 8, 5000);
  const CheckReport report = check(baseline_of(a), b);
  EXPECT_TRUE(report.passed()) << check_summary(report);
  const CellCheck* gb2 = find_cell(report, "gb-2 probability_complete");
  ASSERT_NE(gb2, nullptr);
  EXPECT_LT(gb2->sigmas, 4.0);
  EXPECT_NE(std::find(report.notes.begin(), report.notes.end(), "baseline 20000 trials, this run 5000"),
            report.notes.end());
}

// Every config in configs/, each its own test; configs with tens of thousands
// of cells (bench-large: daily reports over seven years) run fewer trials.
class SeedChange : public ::testing::TestWithParam<std::string> {};

TEST_P(SeedChange, PassesOnEveryConfig) {
  const std::string config = GetParam();
  const Spec spec = load_spec_file(config_path(config));
  const std::uint64_t trials = spec.report.every == Report::Every::day ? 1000 : kTrials;
  const SimRun old_run = simulate(config, 1001, trials);
  const SimRun new_run = simulate(config, 2002, trials);
  const CheckReport report = check(baseline_of(old_run), new_run);
  EXPECT_EQ(report.cells.size(), expected_cells(new_run));
  EXPECT_TRUE(report.passed()) << config << ": " << check_summary(report);
  std::printf("%s, %llu trials: %zu cells, largest distance %.2f sigmas (limit %.2f)\n", config.c_str(),
              static_cast<unsigned long long>(trials), report.cells.size(), max_sigmas(report), report.cell_limit);
}

INSTANTIATE_TEST_SUITE_P(Configs, SeedChange, ::testing::ValuesIn(all_configs()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(SeedChangeConfigs, AtLeastTheThreeShippedConfigs) {
  const auto configs = all_configs();
  for (const char* name : {"minimal", "example-all-features", "openai-aws-2026"}) {
    EXPECT_NE(std::find(configs.begin(), configs.end(), name), configs.end()) << name;
  }
}

class RealChange : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { baseline_ = new nlohmann::json(baseline_of(simulate(kReference, 1001))); }
  static void TearDownTestSuite() {
    delete baseline_;
    baseline_ = nullptr;
  }
  static nlohmann::json* baseline_;
};
nlohmann::json* RealChange::baseline_ = nullptr;

TEST_F(RealChange, ThirtyDaysSlipOnOneTrancheFails) {
  // gb200-t2 planned 2026-03-16 -> 2026-04-15; another seed and half the trials, so noise is in too.
  const SimRun fresh = simulate(kReference, 3003, kTrials / 2, {"tranches.gb200-t2.delivery.planned=2026-04-15"});
  const CheckReport report = check(*baseline_, fresh);
  EXPECT_FALSE(report.passed());
  for (const char* cell :
       {"gb200-t2 p10", "gb200-t2 p50", "gb200-t2 p90", "2026-06-30 available_accelerators p50",
        "2026-06-30 available_accelerators mean", "2026-04-30 delivered_systems p50", "mid-year-compute probability"}) {
    const CellCheck* c = find_cell(report, cell);
    ASSERT_NE(c, nullptr) << cell;
    EXPECT_FALSE(c->passed) << cell << ": " << c->baseline_value << " -> " << c->new_value;
  }
  // Cells the slip cannot reach stay put: before the tranche's first racks are online, and other tranches.
  for (const char* cell : {"2026-03-31 available_accelerators p50", "gb200-t1 p50", "gb300-t3 probability_complete"}) {
    const CellCheck* c = find_cell(report, cell);
    ASSERT_NE(c, nullptr) << cell;
    EXPECT_TRUE(c->passed) << cell << ": " << c->baseline_value << " -> " << c->new_value;
  }
  EXPECT_FALSE(report.notes.empty());  // the --set differs from the baseline's
  std::printf("+30 days on gb200-t2: %s", check_summary(report).c_str());
}

TEST_F(RealChange, TenPercentFewerUnitsFails) {
  const SimRun fresh = simulate(kReference, 3003, kTrials / 2, {"tranches.gb200-t1.units=360"});
  const CheckReport report = check(*baseline_, fresh);
  EXPECT_FALSE(report.passed());
  for (const char* cell : {"2026-03-31 delivered_systems p50", "2026-05-31 available_accelerators p10",
                           "2026-05-31 available_accelerators mean", "2026-08-31 available_accelerators p10"}) {
    const CellCheck* c = find_cell(report, cell);
    ASSERT_NE(c, nullptr) << cell;
    EXPECT_FALSE(c->passed) << cell << ": " << c->baseline_value << " -> " << c->new_value;
  }
  std::printf("-10%% units on gb200-t1: %s", check_summary(report).c_str());
}

TEST_F(RealChange, ALowerTargetProbabilityFails) {
  const SimRun fresh = simulate(kReference, 3003, kTrials / 2, {"risks.site-b-power-ready.probability=0.6"});
  const CheckReport report = check(*baseline_, fresh);
  EXPECT_FALSE(report.passed());
  EXPECT_FALSE(find_cell(report, "gb300-t3 probability_complete")->passed);
}

// The failed cells of a report.
std::vector<const CellCheck*> failed_cells(const CheckReport& report) {
  std::vector<const CellCheck*> failed;
  for (const CellCheck& c : report.cells) {
    if (!c.passed) failed.push_back(&c);
  }
  return failed;
}

// The JUnit testcase of a failed cell, as junit_xml writes it.
std::string failed_testcase(const std::string& table, const std::string& cell) {
  return "<testcase classname=\"" + kReference + "." + table + "\" name=\"" + cell + "\">\n      <failure ";
}

TEST_F(RealChange, ADelayAtOneSiteFailsThatSitesBreakdownCellsAndNamesTheScope) {
  // gb300-t5, site-c's GB300 tranche, planned 2026-10-31 -> 2026-11-30.
  const SimRun fresh = simulate(kReference, 3003, kTrials / 2, {"tranches.gb300-t5.delivery.planned=2026-11-30"});
  const CheckReport report = check(*baseline_, fresh);
  EXPECT_FALSE(report.passed());
  for (const char* cell :
       {"2026-12-31 site:site-c delivered_systems p50", "2026-12-31 site:site-c delivered_systems mean",
        "2026-11-30 site:site-c installed_systems mean"}) {
    const CellCheck* c = find_cell(report, cell);
    ASSERT_NE(c, nullptr) << cell;
    EXPECT_EQ(c->table, "forecast_by");
    EXPECT_FALSE(c->passed) << cell << ": " << c->baseline_value << " -> " << c->new_value;
  }
  // The other sites' cells stay put: the delay is site-c's alone.
  for (const CellCheck& c : report.cells) {
    if (c.cell.find(" site:site-a ") != std::string::npos || c.cell.find(" site:site-b ") != std::string::npos) {
      EXPECT_TRUE(c.passed) << c.cell << ": " << c.baseline_value << " -> " << c.new_value;
    }
  }
  // The text (also with --per-cell) and the JUnit file name the scope.
  EXPECT_NE(check_summary(report).find("forecast_by 2026-12-31 site:site-c delivered_systems p50"), std::string::npos)
      << check_summary(report);
  const CheckReport per_cell = check_statistical(*baseline_, fresh.spec, *fresh.model, *fresh.stats, 4.0, false);
  EXPECT_NE(check_summary(per_cell).find("forecast_by 2026-12-31 site:site-c delivered_systems p50"),
            std::string::npos);
  EXPECT_NE(junit_xml({{kReference, report}})
                .find(failed_testcase("forecast_by", "2026-12-31 site:site-c delivered_systems p50")),
            std::string::npos);
  std::printf("+30 days on gb300-t5 (site-c): %s", check_summary(report).c_str());
}

TEST_F(RealChange, AMovedMilestoneFailsOnlyItsOwnCellsAndNamesIt) {
  // site-b-50k-available: 50,000 -> 60,000 available accelerators at site-b; nothing else changes.
  const SimRun fresh = simulate(kReference, 3003, kTrials / 2, {"milestones.site-b-50k-available.at_least=60000"});
  const CheckReport report = check(*baseline_, fresh);
  const auto failed = failed_cells(report);
  ASSERT_FALSE(failed.empty());
  for (const CellCheck* c : failed) {
    EXPECT_EQ(c->table, "milestones") << c->cell;
    EXPECT_EQ(c->cell.rfind("site-b-50k-available site:site-b ", 0), 0u) << c->cell;
  }
  const CellCheck* reached = find_cell(report, "site-b-50k-available site:site-b probability_reached");
  ASSERT_NE(reached, nullptr);
  EXPECT_FALSE(reached->passed);
  EXPECT_NE(check_summary(report).find("milestones site-b-50k-available site:site-b probability_reached"),
            std::string::npos)
      << check_summary(report);
  EXPECT_NE(junit_xml({{kReference, report}})
                .find(failed_testcase("milestones", "site-b-50k-available site:site-b probability_reached")),
            std::string::npos);
  std::printf("milestone site-b-50k-available at 60,000: %s", check_summary(report).c_str());
}

// Values from 1e8 on read as in forecast.csv, without an exponent (planner/output/number_format.h).
TEST(Check, LargeValuesReadAsInTheForecastTable) {
  const SimRun small = simulate("minimal", 5, 2000);
  // 2,000,000 racks of 72 GPUs at 2500 TFLOPS: 3.6e8 PFLOPS once all are online.
  const SimRun large =
      simulate("minimal", 5, 2000, {"tranches.t1.units=2000000", "sites.site-a.install_per_day=1000000"});
  const CheckReport report = check(baseline_of(small), large);
  for (const char* cell : {"2026-06-30 peak_pflops mean", "2026-06-30 peak_pflops p50",
                           "2026-06-30 available_accelerators mean", "2026-06-30 available_accelerators p50"}) {
    const CellCheck* c = find_cell(report, cell);
    ASSERT_NE(c, nullptr) << cell;
    EXPECT_FALSE(c->passed) << cell;
    EXPECT_EQ(c->new_value.find('e'), std::string::npos) << cell << ": " << c->new_value;
  }
  EXPECT_EQ(find_cell(report, "2026-06-30 peak_pflops mean")->new_value, "360000000");
  EXPECT_EQ(find_cell(report, "2026-06-30 available_accelerators mean")->new_value, "144000000");
  EXPECT_NE(large.tables.forecast.find("2026-06-30,peak_pflops,360000000,"), std::string::npos);
}

// ---- exact checks ---------------------------------------------------------------

TEST(Exact, SameSeedPassesAnotherFails) {
  const SimRun a = simulate("minimal", 5);
  const SimRun b = simulate("minimal", 5);
  const SimRun c = simulate("minimal", 6);
  const nlohmann::json baseline = baseline_of(a);
  const CheckReport same = check_exact(baseline, b.tables);
  EXPECT_TRUE(same.passed()) << check_summary(same);
  EXPECT_EQ(same.cells.size(), 3u);
  EXPECT_EQ(check_summary(same), "all 3 tables byte-identical\n");

  const CheckReport other = check_exact(baseline, c.tables);
  EXPECT_FALSE(other.passed());
  const CellCheck& forecast = other.cells[0];
  EXPECT_EQ(forecast.table, "forecast");
  EXPECT_FALSE(forecast.passed);
  // The first differing line, whole, from both tables.
  EXPECT_NE(forecast.baseline_value, forecast.new_value);
  EXPECT_NE(a.tables.forecast.find(forecast.baseline_value + "\n"), std::string::npos);
  EXPECT_NE(c.tables.forecast.find(forecast.new_value + "\n"), std::string::npos);
  // Named by its 1-based line number (line 1 is the header, the same in both).
  std::istringstream old_lines(a.tables.forecast), new_lines(c.tables.forecast);
  std::string old_line, new_line;
  int line = 0;
  while (std::getline(old_lines, old_line) && std::getline(new_lines, new_line) && old_line == new_line) ++line;
  EXPECT_GT(line, 0);
  EXPECT_EQ(forecast.cell, "forecast.csv line " + std::to_string(line + 1));
}

// ---- bad baselines ------------------------------------------------------------------

// A run and its baseline, made once per test suite by Run::make().
template <typename Run>
class BaselineOf : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fresh_ = new SimRun(Run::make());
    baseline_ = new nlohmann::json(baseline_of(*fresh_));
  }
  static void TearDownTestSuite() {
    delete fresh_;
    delete baseline_;
  }
  // The message of the UsageError check_statistical throws, or "" if none.
  static std::string usage_error(const nlohmann::json& baseline) {
    try {
      check(baseline, *fresh_);
    } catch (const UsageError& e) {
      return e.what();
    }
    return "";
  }
  static SimRun* fresh_;
  static nlohmann::json* baseline_;
};
template <typename Run>
SimRun* BaselineOf<Run>::fresh_ = nullptr;
template <typename Run>
nlohmann::json* BaselineOf<Run>::baseline_ = nullptr;

struct MinimalRun {
  static SimRun make() { return simulate("minimal", 5, 4000); }
};
class BadBaseline : public BaselineOf<MinimalRun> {};

TEST_F(BadBaseline, OtherQuantilesAreUsageErrors) {
  const SimRun other = simulate("minimal", 5, 4000, {"report.quantiles=[0.05, 0.5, 0.95]"});
  const std::string message = usage_error(baseline_of(other));
  EXPECT_NE(message.find("other report quantiles (baseline [p5, p50, p95], spec [p10, p50, p90])"), std::string::npos)
      << message;
}

TEST_F(BadBaseline, OtherDatesTranchesTargetsAndVersionsAreUsageErrors) {
  nlohmann::json b = *baseline_;
  b["format_version"] = kBaselineFormatVersion + 1;
  EXPECT_NE(usage_error(b).find("format_version"), std::string::npos);
  EXPECT_THROW(check_exact(b, fresh_->tables), UsageError);

  b = *baseline_;
  b["tranches"][0]["id"] = "t9";
  EXPECT_NE(usage_error(b).find("other tranches: the baseline has t9 which the spec lacks; the spec has t1"),
            std::string::npos)
      << usage_error(b);

  b = *baseline_;
  b["targets"].erase(0);
  EXPECT_NE(usage_error(b).find("other targets"), std::string::npos) << usage_error(b);

  const SimRun weekly = simulate("minimal", 5, 4000, {"report.every=week"});
  EXPECT_NE(usage_error(baseline_of(weekly)).find("other report dates"), std::string::npos);

  const SimRun longer = simulate("minimal", 5, 4000, {"horizon.end=2026-07-31"});
  EXPECT_NE(usage_error(baseline_of(longer)).find("another horizon"), std::string::npos);

  b = *baseline_;
  b["forecast"][3].erase("p50_rank");
  EXPECT_NE(usage_error(b).find("malformed: forecast cell 2026-01-31 available_accelerators has no p50_rank"),
            std::string::npos)
      << usage_error(b);
  // Found before simulating: check_baseline_fits needs only the spec and model.
  EXPECT_THROW(check_baseline_fits(b, fresh_->spec, *fresh_->model), UsageError);
  EXPECT_NO_THROW(check_baseline_fits(*baseline_, fresh_->spec, *fresh_->model));
  b = *baseline_;
  b["tranches"][0]["p10"] = "soon";
  EXPECT_NE(usage_error(b).find("malformed"), std::string::npos) << usage_error(b);

  EXPECT_NE(usage_error(nlohmann::json::array()).find("not a JSON object"), std::string::npos);
  b = *baseline_;
  b.erase("trials");
  EXPECT_NE(usage_error(b).find("trial count"), std::string::npos);
}

TEST_F(BadBaseline, BaselineRecordsWhatItWasMadeFrom) {
  const nlohmann::json& b = *baseline_;
  EXPECT_EQ(b["format_version"], kBaselineFormatVersion);
  EXPECT_EQ(b["spec"]["name"], "minimal");
  EXPECT_EQ(b["spec"]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(b["seed"], 5u);
  EXPECT_EQ(b["trials"], 4000u);
  EXPECT_TRUE(b["trials"].is_number_unsigned());
  EXPECT_EQ(b["tables"]["forecast"], fresh_->tables.forecast);
  const nlohmann::json& cell = b["forecast"][11];  // second date, available_accelerators
  EXPECT_EQ(cell["metric"], "available_accelerators");
  for (const char* key : {"mean", "sd", "p10", "p10_lo", "p10_hi", "p10_rank", "p50", "p90_hi"}) {
    EXPECT_TRUE(cell.contains(key)) << key;
  }
  EXPECT_TRUE(b["tranches"][0].contains("p50_rank"));
  EXPECT_EQ(b["targets"][0]["trials"], 4000u);
  // The reference spec's baseline stays small enough to commit: about 490 kB,
  // 80% of it its 784 breakdown cells and forecast_by.csv.
  const SimRun reference = simulate(kReference, 1, 2000);
  EXPECT_LT(make_baseline(reference.spec, *reference.model, *reference.stats, reference.tables).dump(1).size(),
            640u * 1024u);
}

// ---- baseline validation: every field's type and range ------------------------

// The message of the UsageError validate_baseline throws, or "" if none.
std::string validation_error(const nlohmann::json& baseline) {
  try {
    validate_baseline(baseline, "base.json");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

// Changes to a baseline, each with the message validate_baseline refuses the result with.
using Corruptions = std::vector<std::pair<std::function<void(nlohmann::json&)>, std::string>>;

void expect_invalid(const nlohmann::json& baseline, const Corruptions& cases) {
  for (const auto& [corrupt, expected] : cases) {
    nlohmann::json b = baseline;
    corrupt(b);
    const std::string message = validation_error(b);
    EXPECT_NE(message.find("the baseline base.json is invalid: " + expected), std::string::npos)
        << "expected: " << expected << "\ngot: " << message;
  }
}

TEST_F(BadBaseline, EveryCorruptedFieldIsAUsageErrorNamingIt) {
  using nlohmann::json;
  EXPECT_EQ(validation_error(*baseline_), "");
  const std::uint64_t two_to_63 = std::uint64_t(1) << 63;
  const Corruptions cases = {
      {[](json& b) { b["seed"] = "1"; }, "seed must be an integer between 0 and 18446744073709551615, got \"1\""},
      {[](json& b) { b["seed"] = -1; }, "seed must be an integer"},
      {[](json& b) { b["seed"] = 1.5; }, "seed must be an integer"},
      {[](json& b) { b.erase("seed"); }, "seed is missing"},
      {[](json& b) { b["trials"] = "4000"; }, "trials must be an integer between 1 and 4294967295"},
      {[](json& b) { b["trials"] = 0; }, "trials must be an integer between 1 and 4294967295, got 0"},
      {[](json& b) { b["trials"] = -5; }, "trials must be an integer between 1 and 4294967295, got -5"},
      {[&](json& b) { b["trials"] = two_to_63; }, "trials must be an integer between 1 and 4294967295"},
      {[](json& b) { b["trials"] = ~std::uint64_t(0); }, "trials must be an integer between 1 and 4294967295"},
      {[](json& b) { b["trials"] = 4'000'000'000u; }, "forecast[0].p10_rank must be [below, through]"},
      {[](json& b) { b.erase("trials"); }, "trials is missing"},
      {[](json& b) { b["format_version"] = "2"; }, "format_version must be 2"},
      {[](json& b) { b["format_version"] = 3; }, "format_version must be 2, the format this capplan reads"},
      {[](json& b) { b["tool_version"] = 1; }, "tool_version must be a string"},
      {[](json& b) { b["spec"]["name"] = 5; }, "spec.name must be a non-empty string"},
      {[](json& b) { b["spec"]["name"] = ""; }, "spec.name must be a non-empty string"},
      {[](json& b) { b["spec"]["sha256"] = "xyz"; }, "spec.sha256 must be 64 lowercase hex digits"},
      {[](json& b) { b["spec"]["overrides"] = json::array({1}); }, "spec.overrides[0] must be a string"},
      {[](json& b) { b.erase("spec"); }, "spec is missing"},
      {[](json& b) { b["horizon"]["start"] = "2026-02-30"; }, "horizon.start must be a date YYYY-MM-DD"},
      {[](json& b) { b["horizon"]["end"] = "2025-01-01"; }, "horizon.end must lie 0 .. 36525 days after"},
      {[](json& b) {
         b["quantiles"] = json::array({0.5, 0.1, 0.9});
       },
       "quantiles[1] must be above the one before"},
      {[](json& b) {
         b["quantiles"] = json::array({0.1, 1.5});
       },
       "quantiles[1] must be a number strictly between"},
      {[](json& b) { b["quantiles"] = json::array(); }, "quantiles must list at least one quantile"},
      {[](json& b) {
         b["quantiles"] = json::array({0.1, 0.5});
       },
       "forecast[0].p90 is a quantile the baseline's"},
      {[](json& b) {
         b["quantiles"] = json::array({0.1, 0.5, 0.9, 0.95});
       },
       "forecast[0].p95 is missing"},
      {[](json& b) { b["forecast"][3]["mean"] = "x"; }, "forecast[3].mean must be a number"},
      {[](json& b) { b["forecast"][3]["sd"] = -1; }, "forecast[3].sd must be a number between 0 and"},
      {[](json& b) { b["forecast"][3]["date"] = "2030-01-01"; }, "forecast[3].date must lie in the horizon"},
      {[](json& b) { b["forecast"][3]["metric"] = "nope"; }, "forecast[3].metric must be one of the metrics"},
      {[](json& b) { b["forecast"][3]["p50_rank"] = json::array({5}); }, "forecast[3].p50_rank must be [below"},
      {[](json& b) {
         b["forecast"][3]["p50_rank"] = json::array({-1, 10});
       },
       "forecast[3].p50_rank must be"},
      {[](json& b) {
         b["forecast"][3]["p50_rank"] = json::array({0, 4001});
       },
       "forecast[3].p50_rank must be"},
      {[](json& b) {
         b["forecast"][3]["p50_rank"] = json::array({3000, 2500});
       },
       "forecast[3].p50_rank must be"},
      {[](json& b) { b["forecast"][3].erase("p50_rank"); }, "forecast[3].p50_rank is missing"},
      {[](json& b) { b["forecast"][3]["p50"] = 1e12; }, "forecast[3].p50 must lie in its interval"},
      {[](json& b) { b["forecast"] = json::object(); }, "forecast must be an array"},
      {[](json& b) { b["forecast"][4] = b["forecast"][3]; }, "forecast[4] repeats the cell of its date and metric"},
      {[](json& b) { b["targets"][0]["hits"] = 4001; }, "targets[0].hits must be an integer between 0 and 4000"},
      {[](json& b) { b["targets"][0]["hits"] = -1; }, "targets[0].hits must be an integer between 0 and 4000"},
      {[](json& b) { b["targets"][0]["hits"] = "many"; }, "targets[0].hits must be an integer"},
      {[](json& b) { b["targets"][0]["trials"] = 5000; }, "targets[0].trials must be an integer between 4000 and"},
      {[](json& b) { b["targets"][0]["probability"] = 1.5; }, "targets[0].probability must be a number between 0"},
      {[](json& b) { b["targets"][0]["probability"] = 0.0123; }, "targets[0].probability must equal its count"},
      {[](json& b) { b["targets"][0]["date"] = "soon"; }, "targets[0].date must be a date YYYY-MM-DD"},
      {[](json& b) { b["targets"].push_back(b["targets"][0]); }, "targets[1].id repeats an id"},
      {[](json& b) { b["tranches"][0]["complete"] = 4001; }, "tranches[0].complete must be an integer between 0"},
      {[](json& b) { b["tranches"][0]["p10"] = "soon"; }, "tranches[0].p10 must be an integer between -1 and 180"},
      {[](json& b) { b["tranches"][0]["p10"] = 100000; }, "tranches[0].p10 must be an integer between -1 and"},
      {[](json& b) { b["tranches"][0]["p10_lo"] = -2; }, "tranches[0].p10_lo must be an integer between -1"},
      {[](json& b) {
         b["tranches"][0]["p50_rank"] = json::array({0, 0});
       },
       "tranches[0].p50_rank must be"},
      {[](json& b) { b["tranches"][0]["id"] = 7; }, "tranches[0].id must be a non-empty string"},
      {[](json& b) { b["tables"]["forecast"] = 5; }, "tables.forecast must be a string"},
      {[](json& b) { b.erase("tables"); }, "tables is missing"},
  };
  expect_invalid(*baseline_, cases);
  EXPECT_EQ(validation_error(json::array()), "the baseline base.json is not a JSON object");
}

TEST_F(BadBaseline, FormatOneIsRefusedWithHowToRemakeIt) {
  nlohmann::json b = *baseline_;
  b["format_version"] = 1;
  const std::string remake =
      "is format_version 1, from an older capplan that stored no breakdowns, target scopes or milestones; this "
      "capplan reads format_version 2: re-make it with `capplan baseline SPEC -o ";
  EXPECT_EQ(validation_error(b),
            "the baseline base.json " + remake +
                "base.json` (every committed baseline: `tools/nightly.sh --refresh`; docs/nightly.md)");
  // Not read from a file (check_statistical, check_exact on a document): the same, without the name.
  try {
    check(b, *fresh_);
    ADD_FAILURE() << "a format-1 baseline was checked";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("the baseline " + remake + "FILE`", 0), 0u) << e.what();
  }
  EXPECT_THROW(check_exact(b, fresh_->tables), UsageError);
}

// The committed baselines, and the fuzz seeds that stand for valid baselines
// (copies of them; not the regression inputs), are valid.
TEST_F(BadBaseline, TheCommittedBaselinesAreValid) {
  int files = 0;
  for (const char* folder : {"/configs/baselines", "/tests/fuzz/corpus/baseline"}) {
    for (const auto& entry : fs::directory_iterator(std::string(CAPPLAN_SOURCE_DIR) + folder)) {
      if (entry.path().filename().string().rfind("regression-", 0) == 0) continue;
      std::ifstream file(entry.path());
      EXPECT_EQ(validation_error(nlohmann::json::parse(file)), "") << entry.path();
      ++files;
    }
  }
  EXPECT_GE(files, 6);
}

TEST_F(BadBaseline, AnotherSpecNameIsAUsageErrorTheSameNameAComparison) {
  nlohmann::json b = *baseline_;
  b["spec"]["name"] = "other";
  EXPECT_EQ(validation_error(b), "");  // a valid file, of another spec
  try {
    check_baseline_spec(b, fresh_->spec, "base.json");
    ADD_FAILURE() << "another spec name passed";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("the baseline base.json was made from the spec 'other' (spec.name), not from "
                                         "'minimal'"),
              std::string::npos)
        << e.what();
  }
  EXPECT_NE(usage_error(b).find("made from the spec 'other'"), std::string::npos) << usage_error(b);
  b = *baseline_;
  b["spec"]["sha256"] = std::string(64, 'a');  // same name, other content: a statistical comparison
  EXPECT_NO_THROW(check_baseline_spec(b, fresh_->spec, "base.json"));
  const CheckReport report = check(b, *fresh_);
  EXPECT_TRUE(report.passed());
  EXPECT_EQ(report.notes.at(0), "the spec file changed since the baseline was made (sha256 differs)");
}

// ---- baselines with breakdowns, scoped targets and milestones -------------------

struct ReferenceRun {
  static SimRun make() { return simulate(kReference, 5, 2000); }
};
class BadScopedBaseline : public BaselineOf<ReferenceRun> {
 protected:
  // The index in `array` of the object whose `key` is `value`.
  static std::size_t index_of(const nlohmann::json& array, const std::string& key, const std::string& value) {
    for (std::size_t i = 0; i < array.size(); ++i) {
      if (array[i][key] == value) return i;
    }
    ADD_FAILURE() << "no " << key << " " << value;
    return 0;
  }
};

// A breakdown scope, milestone or target subject the spec does not have is a
// baseline that does not fit (exit 2 in the CLI), as another tranche or
// report date is: re-make the baseline.
TEST_F(BadScopedBaseline, ScopesMilestonesAndSubjectsTheSpecLacksAreUsageErrors) {
  using nlohmann::json;
  EXPECT_EQ(usage_error(*baseline_), "");
  const std::string prefix = "the baseline does not fit the spec 'openai-aws-2026': ";
  const std::vector<std::pair<std::function<void(json&)>, std::string>> cases = {
      {[](json& b) {
         for (json& cell : b["forecast_by"]) {
           if (cell["scope"] == "site:site-c") cell["scope"] = "site:site-z";
         }
       },
       "other breakdown scopes (report.by): the baseline has site:site-z which the spec lacks; the spec has "
       "site:site-c which the baseline lacks"},
      {[](json& b) { b["forecast_by"].erase(2); },
       "the baseline has no breakdown cell 2025-11-30 site:site-a online_systems"},
      {[](json& b) { b["forecast_by"][3].erase("p50_rank"); },
       "malformed: breakdown cell 2025-11-30 site:site-a available_accelerators has no p50_rank"},
      {[](json& b) { b["milestones"][0]["id"] = "first-50k-available"; },
       "other milestones: the baseline has first-50k-available which the spec lacks; the spec has "
       "first-100k-available which the baseline lacks"},
      {[](json& b) { b["milestones"].erase(2); },
       "other milestones: the spec has largest-cluster-1000-racks which the baseline lacks"},
      {[](json& b) { b["milestones"][1]["scope"] = "site:site-c"; },
       "milestone site-b-50k-available is available_accelerators in site:site-c in the baseline, "
       "available_accelerators in site:site-b in the spec"},
      {[](json& b) { b["milestones"][2]["metric"] = "installed_systems"; },
       "milestone largest-cluster-1000-racks is installed_systems in largest-site in the baseline, online_systems in "
       "largest-site in the spec"},
      {[](json& b) { b["milestones"][0].erase("reached"); },
       "malformed: milestone first-100k-available has no reached"},
      {[](json& b) { b["targets"][index_of(b["targets"], "id", "eoy-gb300-available")]["scope"] = "total"; },
       "target eoy-gb300-available is available_accelerators in total in the baseline, available_accelerators in "
       "system:gb300-nvl72 in the spec"},
  };
  for (const auto& [corrupt, expected] : cases) {
    json b = *baseline_;
    corrupt(b);
    const std::string message = usage_error(b);
    EXPECT_NE(message.find(expected), std::string::npos) << "expected: " << expected << "\ngot: " << message;
    EXPECT_TRUE(message.rfind(prefix, 0) == 0 || message.find("malformed") != std::string::npos) << message;
    EXPECT_THROW(check_baseline_fits(b, fresh_->spec, *fresh_->model), UsageError) << expected;  // before simulating
  }
}

// report.by of the baseline and of the spec differ: each side's extra scopes are named.
TEST_F(BadScopedBaseline, AnotherReportByIsAUsageError) {
  const SimRun sites_only = simulate(kReference, 5, 500, {"report.by=[site]"});
  EXPECT_NE(usage_error(baseline_of(sites_only))
                .find("other breakdown scopes (report.by): the spec has largest-site, system:gb200-nvl72, "
                      "system:gb300-nvl72, system:trn3-ultraserver which the baseline lacks"),
            std::string::npos)
      << usage_error(baseline_of(sites_only));
  try {
    check(*baseline_, sites_only);
    ADD_FAILURE() << "a baseline with more breakdown scopes than the spec fitted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("the baseline has largest-site, system:gb200-nvl72"), std::string::npos)
        << e.what();
  }
}

TEST_F(BadScopedBaseline, EveryCorruptedBreakdownScopeAndMilestoneFieldIsAUsageErrorNamingIt) {
  using nlohmann::json;
  EXPECT_EQ(validation_error(*baseline_), "");
  const Corruptions cases = {
      {[](json& b) { b.erase("forecast_by"); }, "forecast_by is missing"},
      {[](json& b) { b["forecast_by"] = json::object(); }, "forecast_by must be an array"},
      {[](json& b) { b["forecast_by"][0].erase("scope"); }, "forecast_by[0].scope is missing"},
      {[](json& b) { b["forecast_by"][0]["scope"] = "total"; },
       "forecast_by[0].scope must be a breakdown scope: site:<id>, system:<id> or largest-site, got \"total\""},
      {[](json& b) { b["forecast_by"][0]["scope"] = "city:x"; }, "forecast_by[0].scope must be a breakdown scope"},
      {[](json& b) { b["forecast_by"][0]["scope"] = 3; }, "forecast_by[0].scope must be a string"},
      {[](json& b) { b["forecast_by"][0]["metric"] = "racks"; }, "forecast_by[0].metric must be one of the metrics"},
      {[](json& b) { b["forecast_by"][0]["date"] = "2030-01-01"; }, "forecast_by[0].date must lie in the horizon"},
      {[](json& b) { b["forecast_by"][9] = b["forecast_by"][8]; },
       "forecast_by[9] repeats the cell of its date, scope and metric"},
      {[](json& b) { b["forecast_by"][5]["sd"] = -1; }, "forecast_by[5].sd must be a number between 0 and"},
      {[](json& b) {
         b["forecast_by"][5]["p50_rank"] = json::array({0, 0});
       },
       "forecast_by[5].p50_rank must be [below, through]"},
      {[](json& b) { b["forecast_by"][5]["p95"] = 1.0; }, "forecast_by[5].p95 is a quantile the baseline's"},
      {[](json& b) { b["targets"][0].erase("scope"); }, "targets[0].scope is missing"},
      {[](json& b) { b["targets"][0]["scope"] = "site:"; },
       "targets[0].scope must be a scope: total, site:<id>, system:<id> or largest-site"},
      {[](json& b) { b["targets"][0]["metric"] = "gpus"; }, "targets[0].metric must be one of the metrics"},
      {[](json& b) { b.erase("milestones"); }, "milestones is missing"},
      {[](json& b) { b["milestones"][0] = 7; }, "milestones[0] must be an object"},
      {[](json& b) { b["milestones"][1]["id"] = b["milestones"][0]["id"]; }, "milestones[1].id repeats an id"},
      {[](json& b) { b["milestones"][0]["metric"] = 1; }, "milestones[0].metric must be a string"},
      {[](json& b) { b["milestones"][0]["scope"] = "everywhere"; }, "milestones[0].scope must be a scope"},
      {[](json& b) { b["milestones"][0]["threshold"] = "many"; }, "milestones[0].threshold must be a number"},
      {[](json& b) { b["milestones"][0]["reached"] = 2001; }, "milestones[0].reached must be an integer between 0"},
      {[](json& b) { b["milestones"][0]["probability_reached"] = 0.123; },
       "milestones[0].probability_reached must equal its count"},
      {[](json& b) { b["milestones"][0]["p50"] = 100000; }, "milestones[0].p50 must be an integer between -1 and 423"},
      {[](json& b) { b["milestones"][0].erase("p90_hi"); }, "milestones[0].p90_hi is missing"},
      {[](json& b) {
         b["milestones"][0]["p10_rank"] = json::array({1999, 2000});
       },
       "milestones[0].p10_rank must be [below, through]"},
      {[](json& b) { b["tables"]["forecast_by"] = 1; }, "tables.forecast_by must be a string"},
      {[](json& b) { b["tables"].erase("milestones"); }, "tables.milestones is missing"},
  };
  expect_invalid(*baseline_, cases);
}

// ---- reports -----------------------------------------------------------------------

// A minimal well-formedness check: balanced tags, quoted attributes, entities only.
bool well_formed_xml(const std::string& xml, std::string* why) {
  std::vector<std::string> open;
  std::size_t i = xml.rfind("?>", 100);
  i = i == std::string::npos ? 0 : i + 2;
  bool root_seen = false;
  while (i < xml.size()) {
    if (xml[i] == '&') {
      const std::size_t semi = xml.find(';', i);
      const std::string entity = semi == std::string::npos ? "" : xml.substr(i, semi - i + 1);
      if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" && entity != "&apos;") {
        *why = "bad entity at " + std::to_string(i);
        return false;
      }
      i = semi + 1;
    } else if (xml[i] == '>') {
      *why = "stray > at " + std::to_string(i);
      return false;
    } else if (xml[i] == '<') {
      const std::size_t end = xml.find('>', i);
      if (end == std::string::npos) return *why = "unclosed tag", false;
      std::string tag = xml.substr(i + 1, end - i - 1);
      if (tag.find('<') != std::string::npos) return *why = "< inside a tag at " + std::to_string(i), false;
      if (std::count(tag.begin(), tag.end(), '"') % 2 != 0) return *why = "unbalanced quotes in " + tag, false;
      const bool closing = tag[0] == '/';
      const bool empty = tag.back() == '/';
      std::string name = tag.substr(closing ? 1 : 0);
      name = name.substr(0, name.find_first_of(" /"));
      if (closing) {
        if (open.empty() || open.back() != name) return *why = "mismatched </" + name + ">", false;
        open.pop_back();
      } else if (!empty) {
        if (open.empty() && root_seen) return *why = "second root element", false;
        root_seen = true;
        open.push_back(name);
      }
      i = end + 1;
    } else {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(xml[i])))
        return *why = "text outside the root", false;
      ++i;
    }
  }
  if (!open.empty()) return *why = "unclosed <" + open.back() + ">", false;
  return root_seen;
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

TEST(Junit, OneTestcasePerCellFailuresMarkedAndEscaped) {
  const SimRun a = simulate("minimal", 5, 4000);
  const SimRun b = simulate("minimal", 5, 4000, {"tranches.t1.units=90"});
  const CheckReport passing = check(baseline_of(a), a);
  const CheckReport failing = check(baseline_of(a), b);
  ASSERT_TRUE(passing.passed());
  ASSERT_FALSE(failing.passed());
  CheckReport odd;
  odd.sigmas = 4;
  odd.cell_limit = 4;
  odd.cells.push_back({"targets", "a<b & \"c\" 'd'", "1 > 0", "\x01", 9.5, false});
  odd.notes.push_back("note with <xml> & \"quotes\"");
  const std::string xml = junit_xml({{"minimal", passing}, {"minimal-changed", failing}, {"odd<&>", odd}});
  std::string why;
  EXPECT_TRUE(well_formed_xml(xml, &why)) << why << "\n" << xml.substr(0, 2000);
  EXPECT_EQ(occurrences(xml, "<testsuite "), 3u);
  EXPECT_EQ(occurrences(xml, "<testcase "), passing.cells.size() + failing.cells.size() + 1);
  EXPECT_EQ(occurrences(xml, "<failure "), static_cast<std::size_t>(failing.failures() + 1));
  EXPECT_NE(xml.find("<testsuites name=\"capplan check\" tests=\"" +
                     std::to_string(passing.cells.size() + failing.cells.size() + 1) + "\" failures=\"" +
                     std::to_string(failing.failures() + 1) + "\""),
            std::string::npos);
  EXPECT_NE(xml.find("name=\"a&lt;b &amp; &quot;c&quot; &apos;d&apos;\""), std::string::npos);
  EXPECT_NE(xml.find("<testsuite name=\"odd&lt;&amp;&gt;\""), std::string::npos);
  EXPECT_EQ(xml.find('\x01'), std::string::npos);
  EXPECT_NE(xml.find("moved 9.5 sigmas (limit 4.00)"), std::string::npos);

  const std::string summary = check_summary(failing);
  EXPECT_NE(summary.find(std::to_string(failing.failures()) + " of " + std::to_string(failing.cells.size()) +
                         " cells moved by more than 5.11 sigmas (the per-cell limit of --sigmas 4 for 197 cells):"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("sigmas"), std::string::npos);

  const std::string exact = junit_xml({{"minimal", check_exact(baseline_of(a), b.tables)}});
  EXPECT_TRUE(well_formed_xml(exact, &why)) << why;
  EXPECT_EQ(occurrences(exact, "<testcase "), 3u);
}

// ---- tools/nightly.sh, end to end with the capplan binary ---------------------------

std::string read_text(const fs::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return "";
  std::string text;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) text.append(buffer, n);
  std::fclose(file);
  return text;
}

void write_text(const fs::path& path, const std::string& text) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  std::fwrite(text.data(), 1, text.size(), file);
  std::fclose(file);
}

struct Shell {
  int exit_code = -1;
  std::string output;
};

Shell shell(const std::string& command) {
  Shell result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// capplan check on a damaged baseline: exit 2 naming the file and the field,
// before simulating and without writing the JUnit file, in every mode. A
// format-1 baseline (from a capplan that stored no breakdowns, target scopes
// or milestones) is refused so too, saying how to re-make it.
TEST(BaselineFile, CorruptedFieldsAndAnotherSpecExitTwoInEveryMode) {
  if (!fs::exists(CAPPLAN_BINARY)) GTEST_SKIP() << "no capplan binary at " << CAPPLAN_BINARY;
  const fs::path dir = fs::temp_directory_path() / ("capplan-baseline-file-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string binary = CAPPLAN_BINARY, spec = config_path("minimal");
  const fs::path good = dir / "good.json", bad = dir / "bad.json", junit = dir / "junit.xml";
  ASSERT_EQ(
      shell(binary + " baseline " + spec + " -o " + good.string() + " --trials 2000 --backend cpu --quiet").exit_code,
      0);
  const nlohmann::json baseline = nlohmann::json::parse(read_text(good));
  const std::string check = binary + " check " + spec + " --backend cpu --quiet --junit " + junit.string();
  for (const char* mode : {"", " --exact"}) {
    EXPECT_EQ(shell(check + " --baseline " + good.string() + mode).exit_code, 0) << mode;
    fs::remove(junit);
  }
  const std::vector<std::pair<std::function<void(nlohmann::json&)>, std::string>> cases = {
      {[](nlohmann::json& b) { b["seed"] = "1"; }, "seed must be an integer"},
      {[](nlohmann::json& b) { b["trials"] = std::uint64_t(1) << 63; }, "trials must be an integer between 1"},
      {[](nlohmann::json& b) { b["trials"] = 4'000'000'000u; }, "forecast[0].p10_rank must be"},
      {[](nlohmann::json& b) { b.erase("trials"); }, "trials is missing"},
      {[](nlohmann::json& b) { b["targets"][0]["hits"] = 2001; }, "targets[0].hits must be an integer between 0"},
      {[](nlohmann::json& b) { b["spec"]["name"] = "other"; }, "was made from the spec 'other' (spec.name)"},
      {[](nlohmann::json& b) {
         // Format 1's fields: no breakdown cells, milestones, target scopes or their tables.
         b["format_version"] = 1;
         for (const char* key : {"forecast_by", "milestones"}) {
           b.erase(key);
           b["tables"].erase(key);
         }
         for (nlohmann::json& target : b["targets"]) target.erase("scope");
       },
       "the baseline {file} is format_version 1, from an older capplan that stored no breakdowns, target scopes or "
       "milestones; this capplan reads format_version 2: re-make it with `capplan baseline SPEC -o {file}` (every "
       "committed baseline: `tools/nightly.sh --refresh`; docs/nightly.md)"},
  };
  for (auto [corrupt, expected] : cases) {
    for (std::size_t at; (at = expected.find("{file}")) != std::string::npos;) expected.replace(at, 6, bad.string());
    nlohmann::json b = baseline;
    corrupt(b);
    write_text(bad, b.dump(1));
    for (const char* mode : {"", " --exact", " --per-cell"}) {
      const Shell result = shell(check + " --baseline " + bad.string() + mode);
      EXPECT_EQ(result.exit_code, 2) << expected << mode << ": " << result.output;
      EXPECT_NE(result.output.find("the baseline " + bad.string()), std::string::npos) << result.output;
      EXPECT_NE(result.output.find(expected), std::string::npos) << expected << mode << ": " << result.output;
      EXPECT_FALSE(fs::exists(junit)) << expected << mode;
    }
  }
  fs::remove_all(dir);
}

// A baseline of other breakdown scopes: exit 2 before simulating, as for
// other tranches or report dates.
TEST(BaselineFile, OtherBreakdownScopesExitTwo) {
  if (!fs::exists(CAPPLAN_BINARY)) GTEST_SKIP() << "no capplan binary at " << CAPPLAN_BINARY;
  const fs::path dir = fs::temp_directory_path() / ("capplan-baseline-scopes-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string binary = CAPPLAN_BINARY, spec = config_path(kReference);
  const fs::path sites = dir / "sites.json";
  ASSERT_EQ(shell(binary + " baseline " + spec + " -o " + sites.string() +
                  " --trials 500 --backend cpu --quiet --set 'report.by=[site]'")
                .exit_code,
            0);
  const Shell result = shell(binary + " check " + spec + " --backend cpu --quiet --baseline " + sites.string());
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("the baseline does not fit the spec 'openai-aws-2026': other breakdown scopes "
                               "(report.by): the spec has largest-site, system:gb200-nvl72"),
            std::string::npos)
      << result.output;
  fs::remove_all(dir);
}

TEST(NightlyScript, NoBaselinesPassRegressionsFailBrokenChecksAreErrors) {
  if (!fs::exists(CAPPLAN_BINARY)) GTEST_SKIP() << "no capplan binary at " << CAPPLAN_BINARY;
  // A scratch tree shaped like the repository: tools/nightly.sh, configs/, configs/baselines/.
  const fs::path root = fs::temp_directory_path() / ("capplan-nightly-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "tools");
  fs::create_directories(root / "configs");
  fs::copy_file(std::string(CAPPLAN_SOURCE_DIR) + "/tools/nightly.sh", root / "tools/nightly.sh");
  fs::copy_file(config_path("minimal"), root / "configs/minimal.yaml");
  const std::string spec_text = read_text(root / "configs/minimal.yaml");
  std::string other = spec_text;
  other.replace(other.find("name: minimal"), 13, "name: other");
  write_text(root / "configs/other.yaml", other);  // no baseline, until the broken one below
  const std::string env =
      "CAPPLAN='" + std::string(CAPPLAN_BINARY) + "' bash '" + (root / "tools/nightly.sh").string() + "' ";
  const fs::path junit = root / "out/nightly.xml";

  Shell none = shell(env + "'" + junit.string() + "' -- --backend cpu");
  EXPECT_EQ(none.exit_code, 0) << none.output;
  EXPECT_NE(none.output.find("no baselines"), std::string::npos) << none.output;
  std::string why;
  EXPECT_TRUE(well_formed_xml(read_text(junit), &why)) << why;

  fs::create_directories(root / "configs/baselines");
  const Shell made =
      shell("'" + std::string(CAPPLAN_BINARY) + "' baseline '" + (root / "configs/minimal.yaml").string() + "' -o '" +
            (root / "configs/baselines/minimal.json").string() + "' --trials 4000 --backend cpu --quiet");
  ASSERT_EQ(made.exit_code, 0) << made.output;

  // With CAPPLAN_LEDGER set, every check is recorded (docs/ledger.md).
  const std::string ledger = (root / "ledger.db").string();
  Shell pass = shell("CAPPLAN_LEDGER='" + ledger + "' " + env + "'" + junit.string() + "' -- --seed 99 --backend cpu");
  EXPECT_EQ(pass.exit_code, 0) << pass.output;
  EXPECT_NE(pass.output.find("PASS  configs/minimal.yaml"), std::string::npos) << pass.output;
  // The headline is check's verdict line, which --quiet keeps.
  EXPECT_NE(pass.output.find("  minimal: all 197 cells within "), std::string::npos) << pass.output;
  std::string xml = read_text(junit);
  EXPECT_TRUE(well_formed_xml(xml, &why)) << why;
  EXPECT_EQ(occurrences(xml, "<testcase "), 197u);
  EXPECT_EQ(occurrences(xml, "<failure"), 0u);

  // A real change: 100 units -> 80.
  std::string changed = spec_text;
  changed.replace(changed.find("units: 100"), 10, "units: 80");
  write_text(root / "configs/minimal.yaml", changed);
  Shell regressed = shell("CAPPLAN_LEDGER='" + ledger + "' " + env + "'" + junit.string() + "' -- --backend cpu");
  EXPECT_EQ(regressed.exit_code, 1) << regressed.output;
  EXPECT_EQ(
      shell("sqlite3 '" + ledger + "' 'SELECT command, spec_name, status, trials FROM runs ORDER BY run_id'").output,
      "check|minimal|ok|4000\ncheck|minimal|regression|4000\n");
  EXPECT_NE(regressed.output.find("FAIL  configs/minimal.yaml"), std::string::npos) << regressed.output;
  EXPECT_NE(regressed.output.find(" cells moved by more than "), std::string::npos) << regressed.output;
  xml = read_text(junit);
  EXPECT_TRUE(well_formed_xml(xml, &why)) << why;
  EXPECT_GT(occurrences(xml, "<failure"), 10u);

  write_text(root / "configs/baselines/other.json", "{\"format_version\": 99, \"trials\": 10}");
  Shell broken = shell(env + "'" + junit.string() + "' -- --backend cpu");
  EXPECT_EQ(broken.exit_code, 2) << broken.output;
  EXPECT_NE(broken.output.find("ERROR configs/other.yaml"), std::string::npos) << broken.output;
  xml = read_text(junit);
  EXPECT_TRUE(well_formed_xml(xml, &why)) << why;
  EXPECT_EQ(occurrences(xml, "<error "), 1u);
  EXPECT_NE(xml.find("format_version"), std::string::npos);
  fs::remove_all(root);
}

// ---- the false-alarm rate (disabled: minutes; see docs/nightly.md) -----------------

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  return text && *text ? std::strtoull(text, nullptr, 10) : fallback;
}

// The kind of a compared cell, for the false-alarm tallies: proportion,
// (breakdown) mean, forecast or breakdown quantile, completion or milestone
// quantile.
std::string cell_kind(const CellCheck& c) {
  const auto ends_with = [&c](const std::string& tail) {
    return c.cell.size() >= tail.size() && c.cell.compare(c.cell.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (c.table == "targets" || ends_with(" probability_complete") || ends_with(" probability_reached")) {
    return "proportion";
  }
  if (c.table == "tranches") return "completion quantile";
  if (c.table == "milestones") return "milestone quantile";
  const std::string prefix = c.table == "forecast_by" ? "breakdown " : "";
  return ends_with(" mean") ? prefix + "mean" : prefix.empty() ? "forecast quantile" : prefix + "quantile";
}

// Runs seeds 1 .. S+1 of every config and checks every earlier run's baseline
// against every later run (S (S+1) / 2 pairs, S of them disjoint neighbours),
// counting the cells beyond 2, 3 and 4 sigmas by kind. Trials: the
// environment's, or 0 for each spec's own simulation.trials.
TEST(FalseAlarm, DISABLED_RateOverManySeeds) {
  const std::uint64_t seeds = env_number("CAPPLAN_FALSE_ALARM_SEEDS", 100);
  const std::uint64_t trials_option = env_number("CAPPLAN_FALSE_ALARM_TRIALS", kTrials);
  struct Tally {
    std::uint64_t cells = 0, over2 = 0, over3 = 0, over4 = 0, neighbour_cells = 0, neighbour_over4 = 0;
    double most = 0.0;
    std::string worst;
  };
  std::map<std::string, Tally> by_kind;
  Tally total;
  std::uint64_t total_failed_checks = 0;
  std::vector<std::string> configs = all_configs();
  if (const char* only = std::getenv("CAPPLAN_FALSE_ALARM_CONFIGS"); only && *only) {
    configs.clear();
    std::string list = only;
    for (std::size_t start = 0; start <= list.size();) {
      const std::size_t comma = std::min(list.find(',', start), list.size());
      if (comma > start) configs.push_back(list.substr(start, comma - start));
      start = comma + 1;
    }
  }
  for (const std::string& config : configs) {
    const std::uint64_t trials = trials_option ? trials_option : load_spec_file(config_path(config)).trials;
    std::vector<nlohmann::json> baselines;
    Tally per_config;
    std::uint64_t checks = 0, failed_checks = 0, failed_checks_per_cell4 = 0;
    double limit = 0.0;
    for (std::uint64_t seed = 1; seed <= seeds + 1; ++seed) {
      const SimRun fresh = simulate(config, seed, trials);
      for (std::size_t i = 0; i < baselines.size(); ++i) {
        const bool neighbour = i + 1 == baselines.size();
        const CheckReport report = check(baselines[i], fresh);
        ++checks;
        failed_checks += report.passed() ? 0 : 1;
        failed_checks_per_cell4 += max_sigmas(report) > 4.0 ? 1 : 0;
        limit = report.cell_limit;
        for (const CellCheck& c : report.cells) {
          const std::string kind = cell_kind(c);
          for (Tally* t : {&by_kind[kind], &total, &per_config}) {
            ++t->cells;
            t->over2 += c.sigmas > 2.0;
            t->over3 += c.sigmas > 3.0;
            t->over4 += c.sigmas > 4.0;
            if (neighbour) {
              ++t->neighbour_cells;
              t->neighbour_over4 += c.sigmas > 4.0;
            }
            if (c.sigmas > t->most) {
              t->most = c.sigmas;
              t->worst = config + " seeds " + std::to_string(i + 1) + "/" + std::to_string(seed) + " " + c.cell;
            }
          }
        }
      }
      baselines.push_back(baseline_of(fresh));
    }
    std::printf(
        "%-22s %9llu trials  %10llu cells  >4 sigmas: %llu  checks with a cell >4: %llu of %llu  "
        "checks failed at the limit %.2f: %llu  largest %.2f (%s)\n",
        config.c_str(), static_cast<unsigned long long>(trials), static_cast<unsigned long long>(per_config.cells),
        static_cast<unsigned long long>(per_config.over4), static_cast<unsigned long long>(failed_checks_per_cell4),
        static_cast<unsigned long long>(checks), limit, static_cast<unsigned long long>(failed_checks), per_config.most,
        per_config.worst.c_str());
    total_failed_checks += failed_checks;
    std::fflush(stdout);
  }
  auto line = [](const std::string& name, const Tally& t) {
    const double n = static_cast<double>(std::max<std::uint64_t>(t.cells, 1));
    std::printf("%-20s %10llu cells  >2: %.5f  >3: %.6f  >4: %.2e (%llu)  neighbours >4: %llu of %llu  largest %.2f\n",
                name.c_str(), static_cast<unsigned long long>(t.cells), t.over2 / n, t.over3 / n, t.over4 / n,
                static_cast<unsigned long long>(t.over4), static_cast<unsigned long long>(t.neighbour_over4),
                static_cast<unsigned long long>(t.neighbour_cells), t.most);
  };
  std::printf("normal two-sided tails: >2: 0.04550  >3: 0.002700  >4: 6.33e-05\n");
  for (const auto& [kind, t] : by_kind) line(kind, t);
  line("all", total);
  std::printf("worst: %s\n", total.worst.c_str());
  EXPECT_LT(static_cast<double>(total.over4), 1e-4 * static_cast<double>(total.cells));
  EXPECT_EQ(total_failed_checks, 0u);
}

}  // namespace
}  // namespace capplan
