// capplan sweep and solve: parsing --vary, the grid, the bisection (against a
// scripted probability), closed-form answers on deterministic and Bernoulli
// specs, every bad input, and identical results on any thread count.
#include <gtest/gtest.h>

#include "tests/test_support.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "planner/analysis/solve.h"
#include "planner/analysis/sweep.h"
#include "planner/app/commands.h"
#include "planner/base/date.h"
#include "planner/base/errors.h"

namespace capplan {
namespace {

namespace fs = std::filesystem;
using testing::capplan;
using testing::Outcome;
using testing::read_file;

std::vector<std::string> texts(const VaryOption& option) {
  std::vector<std::string> out;
  for (std::uint64_t k = 0; k < option.size(); ++k) out.push_back(option.value(k).text);
  return out;
}

// The message of the UsageError `call` throws ("" if it throws none).
template <typename Call>
std::string usage_error(Call call) {
  try {
    call();
  } catch (const UsageError& error) {
    return error.what();
  }
  return "";
}

// ---- --vary values -----------------------------------------------------------------

TEST(Vary, RangesOfNumbersAreComputedByMultiplication) {
  EXPECT_EQ(texts(parse_vary("a.b=600:800:50")), (std::vector<std::string>{"600", "650", "700", "750", "800"}));
  // 0.1 + 0.1 + 0.1 is 0.30000000000000004; 0.1 + 2 x 0.1 written to 15 digits is 0.3, and HI is kept
  // although (0.5 - 0.1) / 0.1 = 4.000000000000001 (within 1e-9 of STEP).
  EXPECT_EQ(texts(parse_vary("a=0.1:0.5:0.1")), (std::vector<std::string>{"0.1", "0.2", "0.3", "0.4", "0.5"}));
  EXPECT_EQ(texts(parse_vary("a=1:3")), (std::vector<std::string>{"1", "2", "3"}));  // STEP defaults to 1
  EXPECT_EQ(texts(parse_vary("a=1:2.5:1")), (std::vector<std::string>{"1", "2"}));   // while <= HI
  EXPECT_EQ(texts(parse_vary("a=-2:2:2")), (std::vector<std::string>{"-2", "0", "2"}));
  EXPECT_EQ(parse_vary("a=5:5").size(), 1u);
  EXPECT_EQ(*parse_vary("a=0.25:1:0.25").value(2).number, 0.75);
}

TEST(Vary, RangesOfDatesStepInDays) {
  const VaryOption option = parse_vary("t.delivery.planned=2026-01-01:2026-01-10:3");
  EXPECT_EQ(texts(option), (std::vector<std::string>{"2026-01-01", "2026-01-04", "2026-01-07", "2026-01-10"}));
  EXPECT_TRUE(option.value(1).is_date);
  EXPECT_EQ(*option.value(1).number, static_cast<double>(days_from_civil({2026, 1, 4})));
  EXPECT_EQ(parse_vary("a=2026-12-30:2027-01-02").size(), 4u);  // one day by default, across a year's end
}

TEST(Vary, ListsKeepEachValueAsYaml) {
  const VaryOption flow = parse_vary("s.install_per_day=[4, {triangular: [6, 10, 14]}, 2026-03-01]");
  EXPECT_EQ(texts(flow), (std::vector<std::string>{"4", "{triangular: [6, 10, 14]}", "2026-03-01"}));
  EXPECT_EQ(*flow.value(0).number, 4.0);
  EXPECT_FALSE(flow.value(1).number.has_value());
  EXPECT_TRUE(flow.value(2).is_date);
  EXPECT_EQ(flow.value(1).csv(), "\"{triangular: [6, 10, 14]}\"");  // CSV-quoted: it holds commas
  EXPECT_EQ(texts(parse_vary("a=600,700,800")), (std::vector<std::string>{"600", "700", "800"}));
  // A colon that is not between two numbers or two dates is a plain value, not a range.
  EXPECT_EQ(texts(parse_vary("a=site:site-b")), (std::vector<std::string>{"site:site-b"}));
  EXPECT_FALSE(parse_vary("a=1:2026-01-01").range.has_value());
}

TEST(Vary, BadValuesAreUsageErrors) {
  EXPECT_NE(usage_error([] { parse_vary("no-equals"); }).find("PATH=VALUES"), std::string::npos);
  EXPECT_NE(usage_error([] { parse_vary("=1,2"); }).find("PATH=VALUES"), std::string::npos);
  EXPECT_NE(usage_error([] { parse_vary("a..b=1"); }).find("empty part"), std::string::npos);
  EXPECT_NE(usage_error([] { parse_vary("a=[]"); }).find("no values"), std::string::npos);
  EXPECT_NE(usage_error([] { parse_vary("a=[1, 2"); }).find("flow sequence"), std::string::npos);
  EXPECT_NE(usage_error([] { parse_vary("a=1,,2"); }).find("comma list"), std::string::npos);
  EXPECT_NE(usage_error([] { parse_vary("a=1,{uniform: [1, 2]}"); }).find("comma list"), std::string::npos);
  EXPECT_NE(usage_error([] { parse_vary("a=5:1"); }).find("LO <= HI"), std::string::npos);
  EXPECT_NE(usage_error([] { parse_vary("a=1:5:0"); }).find("STEP > 0"), std::string::npos);
  EXPECT_NE(usage_error([] { parse_vary("a=1:5:-1"); }).find("STEP > 0"), std::string::npos);
  EXPECT_NE(usage_error([] { parse_vary("a=1:5:x"); }).find("STEP must be a number"), std::string::npos);
  EXPECT_NE(usage_error([] { parse_vary("a=2026-01-01:2026-02-01:0.5"); }).find("whole number of days"),
            std::string::npos);
  EXPECT_NE(usage_error([] { parse_vary("a=0:1e300:1"); }).find("at most 2^53"), std::string::npos);
}

TEST(Vary, OnlyModelInputsNotSetElsewhereCanBeVaried) {
  auto check = [](std::vector<std::string> varies, std::vector<std::string> sets) {
    std::vector<VaryOption> options;
    for (const auto& vary : varies) options.push_back(parse_vary(vary));
    return usage_error([&] { check_vary_paths(options, sets); });
  };
  for (const char* path :
       {"simulation.trials=1,2", "report.every=[day, week]", "targets.t.at_least=1,2", "milestones.m.at_least=1,2"}) {
    EXPECT_NE(check({path}, {}).find("only model inputs"), std::string::npos) << path;
  }
  EXPECT_NE(check({"a.b=1,2", "a.b=3,4"}, {}).find("overlaps --vary"), std::string::npos);
  EXPECT_NE(check({"a.b=1,2", "a.b.c=3,4"}, {}).find("overlaps --vary"), std::string::npos);
  EXPECT_NE(check({"s.power_mw[1].add=1,2"}, {"s.power_mw.1.add=5"}).find("overlaps --set"), std::string::npos);
  EXPECT_NE(check({"s.power_mw.1.add=1,2"}, {"s.power_mw=[]"}).find("overlaps --set"), std::string::npos);
  EXPECT_EQ(check({"a.b=1,2", "a.c=3"}, {"a.d=1"}), "");
}

TEST(Vary, TheGridRunsTheFirstOptionSlowestAndIsBounded) {
  const SweepGrid grid({parse_vary("a=1,2"), parse_vary("b=[x, y, z]")});
  ASSERT_EQ(grid.points(), 6u);
  EXPECT_EQ(grid.overrides(0), (std::vector<std::string>{"a=1", "b=x"}));
  EXPECT_EQ(grid.overrides(2), (std::vector<std::string>{"a=1", "b=z"}));
  EXPECT_EQ(grid.overrides(3), (std::vector<std::string>{"a=2", "b=x"}));
  EXPECT_EQ(grid.overrides(5), (std::vector<std::string>{"a=2", "b=z"}));
  EXPECT_EQ(SweepGrid({parse_vary("a=1:100"), parse_vary("b=1:100")}).points(), 10000u);
  EXPECT_NE(usage_error([] {
              SweepGrid({parse_vary("a=1:101"), parse_vary("b=1:100")});
            }).find("10100"),
            std::string::npos);
  // A range far beyond the limit is refused before any value is made.
  EXPECT_NE(usage_error([] { SweepGrid({parse_vary("a=1:1e15")}); }).find("at most 10000 points"), std::string::npos);
}

// ---- the bisection, against a scripted probability ------------------------------------

// solve_on_grid over a grid 0 .. n-1 whose probability at index k is p[k] (of 1000 trials).
SolveResult scripted(const std::vector<double>& p, SolveDirection direction, double required) {
  GridRange grid;
  grid.count = p.size();
  return solve_on_grid(
      grid, direction,
      [&](std::uint64_t k) {
        SolveEvaluation e;
        e.index = k;
        e.value = grid.value(k);
        e.trials = 1000;
        e.hits = static_cast<std::uint64_t>(std::llround(p[k] * 1000));
        e.probability = p[k];
        return e;
      },
      [&](const SolveEvaluation& e) { return e.probability >= required; });
}

std::vector<std::uint64_t> order(const SolveResult& result) {
  std::vector<std::uint64_t> out;
  for (const auto& e : result.evaluations) out.push_back(e.index);
  return out;
}

TEST(Solve, BisectsBetweenAFailingAndAPassingValue) {
  const std::vector<double> p = {0.0, 0.1, 0.2, 0.5, 0.7, 0.85, 0.9, 0.95, 1.0};
  const SolveResult min = scripted(p, SolveDirection::kMin, 0.8);
  EXPECT_EQ(order(min), (std::vector<std::uint64_t>{0, 8, 4, 6, 5}));  // both ends, then halves
  ASSERT_TRUE(min.answer && min.neighbour);
  EXPECT_EQ(min.evaluations[*min.answer].index, 5u);
  EXPECT_EQ(min.evaluations[*min.neighbour].index, 4u);
  EXPECT_TRUE(min.non_monotone.empty());

  std::vector<double> falling(p.rbegin(), p.rend());
  const SolveResult max = scripted(falling, SolveDirection::kMax, 0.8);
  ASSERT_TRUE(max.answer && max.neighbour);
  EXPECT_EQ(max.evaluations[*max.answer].index, 3u);
  EXPECT_EQ(max.evaluations[*max.neighbour].index, 4u);
}

TEST(Solve, AnEndThatPassesIsTheAnswerAndAGridThatNeverPassesHasNone) {
  const SolveResult low = scripted({0.9, 0.95, 1.0}, SolveDirection::kMin, 0.8);
  ASSERT_TRUE(low.answer);
  EXPECT_EQ(low.evaluations[*low.answer].index, 0u);
  EXPECT_FALSE(low.neighbour);  // nothing on the failing side
  const SolveResult none = scripted({0.1, 0.5, 0.7}, SolveDirection::kMin, 0.8);
  EXPECT_FALSE(none.answer);
  EXPECT_FALSE(none.neighbour);
  EXPECT_EQ(order(none), (std::vector<std::uint64_t>{0, 2}));
  const SolveResult one = scripted({0.9}, SolveDirection::kMax, 0.8);
  ASSERT_TRUE(one.answer);
  EXPECT_EQ(one.evaluations.size(), 1u);
  const SolveResult max_none = scripted({0.7, 0.5}, SolveDirection::kMax, 0.8);  // LO fails: nothing below passes
  EXPECT_FALSE(max_none.answer);
}

TEST(Solve, EveryPairAgainstTheDirectionIsListed) {
  // Rises to index 4, dips at 5, rises again: bisection visits 0, 8, 4, 6, 5.
  const SolveResult result = scripted({0.0, 0.1, 0.2, 0.5, 0.7, 0.6, 0.9, 0.95, 1.0}, SolveDirection::kMin, 0.75);
  EXPECT_EQ(order(result), (std::vector<std::uint64_t>{0, 8, 4, 6, 5}));
  ASSERT_EQ(result.non_monotone.size(), 1u);
  EXPECT_EQ(result.evaluations[result.non_monotone[0].first].index, 4u);
  EXPECT_EQ(result.evaluations[result.non_monotone[0].second].index, 5u);
  SolveRecord record;
  record.target = "t";
  record.path = "x";
  record.probability_required = 0.75;
  EXPECT_NE(solve_warnings(record, result).find("not non-decreasing in x: 0.7000 at 4 but 0.6000 at 5"),
            std::string::npos)
      << solve_warnings(record, result);
  const auto json = nlohmann::json::parse(solve_json(record, result));
  ASSERT_EQ(json["non_monotone"].size(), 1u);
  EXPECT_EQ(json["non_monotone"][0][0]["value"], 4);
  EXPECT_EQ(json["non_monotone"][0][1]["value"], 5);
}

// ---- closed forms on real specs --------------------------------------------------------

class Sweep : public testing::ScratchDirTest {
 protected:
  // One site, one tranche of 1,000 racks (72 GPUs each) planned on 2026-01-01,
  // no slip, no burn-in, no failures: rack k installed by the end of day d iff
  // floor(rate x (d + 1)) >= k (spec-format §4.4). `extra` adds tranche keys.
  fs::path ramp_spec(const std::string& extra = "", const std::string& install = "install_per_day: 10") {
    const fs::path path = dir_ / "ramp.yaml";
    std::ofstream(path) << "version: 1\nname: ramp\n"
                           "horizon: {start: 2026-01-01, end: 2026-06-30}\n"
                           "simulation: {trials: 200, seed: 7}\n"
                           "accelerators: {gpu: {dense_tflops: {bf16: 1000}}}\n"
                           "systems: {rack: {accelerator: gpu, accelerators: 72, power_kw: 100}}\n"
                           "sites: {s1: {"
                        << install
                        << "}}\n"
                           "tranches:\n  t1:\n    system: rack\n    site: s1\n    units: 1000\n"
                           "    delivery: {planned: 2026-01-01}\n"
                        << extra
                        << "targets:\n"
                           "  half-in-january: {metric: available_accelerators, date: 2026-01-31, at_least: 36000}\n"
                           "  all-by-april: {metric: available_accelerators, date: 2026-03-31, at_least: 72000}\n"
                           "milestones:\n  half: {metric: available_accelerators, at_least: 36000}\n";
    return path;
  }

  SweepRequest sweep(const fs::path& spec, std::vector<std::string> vary, int threads = 2) {
    SweepRequest request;
    request.spec_path = spec.string();
    request.vary = std::move(vary);
    request.out_dir = (dir_ / "sweep").string();
    request.simulation.threads = threads;
    request.backend = {Backend::kCpu, {}};
    request.plots = false;
    return request;
  }

  SolveRequest solve(const fs::path& spec, const std::string& target, double probability, const std::string& vary) {
    SolveRequest request;
    request.spec_path = spec.string();
    request.target = target;
    request.probability = probability;
    request.vary = vary;
    request.out_dir = (dir_ / "solve").string();
    request.simulation.threads = 2;
    request.backend = {Backend::kCpu, {}};
    return request;
  }

  nlohmann::json solve_json_file() const { return nlohmann::json::parse(read_file(dir_ / "solve" / "solve.json")); }
};

// 500 racks (36,000 GPUs) by the end of 2026-01-31 (day 30) need floor(31 rate)
// >= 500: rate >= 16.129..., so 16.13 on a grid of 0.01 and 17 on whole numbers.
TEST_F(Sweep, SolveFindsTheExactMinimalInstallRateOfADeterministicRamp) {
  const fs::path spec = ramp_spec();
  SolveOutcome outcome = solve_command(solve(spec, "half-in-january", 0.9, "sites.s1.install_per_day=1:40"));
  EXPECT_EQ(outcome.exit_code, 0);
  nlohmann::json json = solve_json_file();
  EXPECT_EQ(json["value"], 17);
  EXPECT_EQ(json["probability_at_value"], 1.0);
  EXPECT_EQ(json["neighbour"]["value"], 16);
  EXPECT_EQ(json["neighbour"]["probability"], 0.0);
  EXPECT_EQ(json["achievable"], true);
  EXPECT_TRUE(json["non_monotone"].empty());
  EXPECT_EQ(outcome.warnings, "");  // 0 and 1 with 200 trials: no interval straddles 0.9

  outcome = solve_command(solve(spec, "half-in-january", 0.9, "sites.s1.install_per_day=10:20:0.01"));
  json = solve_json_file();
  EXPECT_EQ(json["value"], 16.13);
  EXPECT_EQ(json["neighbour"]["value"], 16.12);
  EXPECT_NE(outcome.report.find("Smallest sites.s1.install_per_day = 16.13"), std::string::npos) << outcome.report;
}

// With unlimited installation and a constant 10-day burn-in, a rack delivered on
// day D is online at the end of day D + 10 (§4.5): the latest delivery that has
// every rack serving on 2026-03-31 is 2026-03-21.
TEST_F(Sweep, SolveFindsTheLatestDeliveryAsTheDeadlineMinusTheBurnIn) {
  const fs::path spec = ramp_spec("    burn_in_days: 10\n", "ready: {planned: 2026-01-01}");
  SolveRequest request = solve(spec, "all-by-april", 0.5, "tranches.t1.delivery.planned=2026-01-01:2026-06-30");
  request.maximize = true;
  EXPECT_EQ(solve_command(request).exit_code, 0);
  const nlohmann::json json = solve_json_file();
  EXPECT_EQ(json["value"], "2026-03-21");
  EXPECT_EQ(json["neighbour"]["value"], "2026-03-22");
  EXPECT_EQ(json["direction"], "max");
}

// A tranche that happens with probability q (one uniform draw per trial, the
// same for every q: common random numbers) meets its target with probability
// q, so the smallest q on a 0.01 grid with P >= 0.8 is 0.8 within Monte Carlo
// error: at 20,000 trials the standard error of P near 0.8 is sqrt(0.8 x 0.2 /
// 20,000) = 0.0028; 4 sigma (a false failure about once in 16,000 runs) plus
// the grid step bounds the answer to [0.78, 0.82].
TEST_F(Sweep, SolveOnABernoulliTrancheAnswersTheRequiredProbability) {
  const fs::path spec = ramp_spec("    probability: 0.5\n", "ready: {planned: 2026-01-01}");
  SolveRequest request = solve(spec, "all-by-april", 0.8, "tranches.t1.probability=0:1:0.01");
  request.simulation.trials = 20000;
  EXPECT_EQ(solve_command(request).exit_code, 0);
  const nlohmann::json json = solve_json_file();
  const double answer = json["value"].get<double>();
  EXPECT_NEAR(answer, 0.8, 0.02);
  EXPECT_GE(json["probability_at_value"].get<double>(), 0.8);
  EXPECT_LT(json["neighbour"]["probability"].get<double>(), 0.8);
  EXPECT_TRUE(json["non_monotone"].empty());  // one draw per trial: exactly monotone
  EXPECT_EQ(json["trials"], 20000);
}

TEST_F(Sweep, AGridThatNeverMeetsTheTargetExitsOneAndStillReports) {
  const Outcome outcome = capplan("solve " + ramp_spec().string() +
                                  " --target half-in-january --probability 0.5 --vary sites.s1.install_per_day=1:10 "
                                  "--backend cpu --quiet --out " +
                                  (dir_ / "solve").string());
  EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
  EXPECT_NE(outcome.output.find("Not achievable"), std::string::npos) << outcome.output;
  const nlohmann::json json = solve_json_file();
  EXPECT_TRUE(json["value"].is_null());
  EXPECT_EQ(json["achievable"], false);
  EXPECT_TRUE(json["neighbour"].is_null());
  EXPECT_EQ(json["evaluations"].size(), 2u);
}

// --direction max on a probability that rises with the value: HI passes, so
// it is the answer, and the rise from LO to HI is reported, never hidden.
TEST_F(Sweep, SolveWarnsAboutPairsAgainstTheDirection) {
  const Outcome outcome = capplan("solve " + ramp_spec().string() +
                                  " --target half-in-january --probability 0.5 --vary sites.s1.install_per_day=1:40 "
                                  "--direction max --backend cpu --out " +
                                  (dir_ / "solve").string());
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("warning: P(half-in-january) is not non-increasing"), std::string::npos)
      << outcome.output;
  EXPECT_EQ(solve_json_file()["non_monotone"].size(), 1u);
}

// Probabilities exactly 0 and 1 on a deterministic ramp, with their Wilson
// intervals; the forecast and milestone tables hold the hand-computed values.
TEST_F(Sweep, ADeterministicSweepGivesExactZerosAndOnes) {
  const SweepOutcome outcome = sweep_command(sweep(ramp_spec(), {"sites.s1.install_per_day=[10, 17]"}));
  EXPECT_EQ(outcome.points, 2u);
  const fs::path out = dir_ / "sweep";
  EXPECT_EQ(read_file(out / "sweep.csv"),
            "point,sites.s1.install_per_day,target,metric,scope,date,threshold,probability,ci_lo,ci_hi\n"
            "1,10,half-in-january,available_accelerators,total,2026-01-31,36000,0.000000,0.000000,0.018845\n"
            "1,10,all-by-april,available_accelerators,total,2026-03-31,72000,0.000000,0.000000,0.018845\n"
            "2,17,half-in-january,available_accelerators,total,2026-01-31,36000,1.000000,0.981155,1.000000\n"
            "2,17,all-by-april,available_accelerators,total,2026-03-31,72000,1.000000,0.981155,1.000000\n");
  // By the end of January (day 30) rate 10 installs floor(10 x 31) = 310 racks (22,320 GPUs), rate 17
  // 527 (37,944); by the end of March (day 89) 900 (64,800) and all 1,000.
  EXPECT_EQ(read_file(out / "sweep_forecast.csv"),
            "point,sites.s1.install_per_day,target,metric,scope,date,mean,p10,p50,p90\n"
            "1,10,half-in-january,available_accelerators,total,2026-01-31,22320,22320,22320,22320\n"
            "1,10,all-by-april,available_accelerators,total,2026-03-31,64800,64800,64800,64800\n"
            "2,17,half-in-january,available_accelerators,total,2026-01-31,37944,37944,37944,37944\n"
            "2,17,all-by-april,available_accelerators,total,2026-03-31,72000,72000,72000,72000\n");
  // 500 racks: day 49 at rate 10 (2026-02-19), day 29 at rate 17 (floor(17 x 30) = 510; 2026-01-30).
  EXPECT_EQ(read_file(out / "sweep_milestones.csv"),
            "point,sites.s1.install_per_day,milestone,probability_reached,p10,p50,p90\n"
            "1,10,half,1.000000,2026-02-19,2026-02-19,2026-02-19\n"
            "2,17,half,1.000000,2026-01-30,2026-01-30,2026-01-30\n");
  const auto run = nlohmann::json::parse(read_file(out / "run.json"));
  EXPECT_EQ(run["command"], "sweep");
  EXPECT_EQ(run["points"], 2);
  EXPECT_EQ(run["trials"], 200);
}

TEST_F(Sweep, ResultsDoNotDependOnThreadsAndEveryPointSharesTheTrials) {
  const fs::path spec = testing::source_path("configs/minimal.yaml");
  const std::vector<std::string> vary = {"sites.site-a.install_per_day=[2, 4, {uniform: [3, 5]}]",
                                         "tranches.t1.units=80,100"};
  SweepRequest one = sweep(spec, vary, 1);
  one.simulation.trials = 3000;
  one.out_dir = (dir_ / "one").string();
  SweepRequest two = sweep(spec, vary, 2);
  two.simulation.trials = 3000;
  two.out_dir = (dir_ / "two").string();
  sweep_command(one);
  sweep_command(two);
  for (const char* table : {"sweep.csv", "sweep_forecast.csv"}) {
    EXPECT_EQ(read_file(dir_ / "one" / table), read_file(dir_ / "two" / table)) << table;
  }
  // A point equals a plain run of the spec with the point's values as --set (common random numbers).
  RunRequest run;
  run.spec_path = spec.string();
  run.out_dir = (dir_ / "run").string();
  run.simulation.trials = 3000;
  run.simulation.overrides = {"sites.site-a.install_per_day={uniform: [3, 5]}", "tranches.t1.units=100"};
  run.backend = {Backend::kCpu, {}};
  run.drivers_sample = 0;
  run_command(run);
  const std::string targets = read_file(dir_ / "run" / "targets.csv");
  const std::string row = targets.substr(targets.find('\n') + 1);  // "half-by-mid-march,...,p,ci_lo,ci_hi\n"
  EXPECT_NE(read_file(dir_ / "one" / "sweep.csv").find("6,\"{uniform: [3, 5]}\",100," + row), std::string::npos)
      << read_file(dir_ / "one" / "sweep.csv") << row;
}

// ---- bad input: exit 2, nothing written -----------------------------------------------

TEST_F(Sweep, BadInputExitsTwoAndWritesNothing) {
  const std::string spec = ramp_spec().string();
  const std::string out = " --backend cpu --out " + (dir_ / "out").string();
  const std::string solve_args = "solve " + spec + " --target half-in-january ";
  struct Case {
    std::string arguments, message;
  };
  const std::vector<Case> cases = {
      {"sweep " + spec + " --vary sites.s1.install_per_dya=1,2", "point 1 of 2 (sites.s1.install_per_dya=1)"},
      {"sweep " + spec + " --vary 'tranches.t1.units=[10, -5, 20]'", "point 2 of 3 (tranches.t1.units=-5)"},
      {"sweep " + spec + " --vary simulation.seed=1,2", "only model inputs"},
      {"sweep " + spec + " --vary tranches.t1.units=1,2 --set tranches.t1.units=5", "overlaps --set"},
      {"sweep " + spec + " --vary tranches.t1.units=1:101 --vary sites.s1.install_per_day=1:100", "at most 10000"},
      {"sweep " + testing::source_path("tests/specs/several-errors.yaml") + " --vary tranches.t1.units=1,2", ""},
      {solve_args + "--probability 0.9 --vary sites.s1.install_per_dya=1:40", "point 1 of 40"},
      {solve_args + "--probability 0.9 --vary 'sites.s1.install_per_day=[1, 2]'", "range LO:HI[:STEP]"},
      {solve_args + "--probability 0.9 --vary sites.s1.install_per_day=a:b", "range LO:HI[:STEP]"},
      {solve_args + "--probability 0.9 --vary sites.s1.install_per_day=40:1", "LO <= HI"},
      {solve_args + "--probability 0.9 --vary sites.s1.install_per_day=1:40:0", "STEP > 0"},
      {solve_args + "--probability 0 --vary sites.s1.install_per_day=1:40", "strictly between 0 and 1"},
      {solve_args + "--probability 1 --vary sites.s1.install_per_day=1:40", "strictly between 0 and 1"},
      {solve_args + "--probability 1.5 --vary sites.s1.install_per_day=1:40", "strictly between 0 and 1"},
      {solve_args + "--probability 0.9 --vary sites.s1.install_per_day=1:40 --direction up", "min or max"},
      {"solve " + spec + " --target nope --probability 0.9 --vary sites.s1.install_per_day=1:40",
       "no such target (its targets: half-in-january, all-by-april)"},
  };
  for (const Case& c : cases) {
    const Outcome outcome = capplan(c.arguments + out);
    EXPECT_EQ(outcome.exit_code, 2) << c.arguments << "\n" << outcome.output;
    EXPECT_NE(outcome.output.find(c.message), std::string::npos) << c.arguments << "\n" << outcome.output;
    EXPECT_FALSE(fs::exists(dir_ / "out")) << c.arguments;
  }
}

TEST_F(Sweep, ASpecWithoutTargetsOrMilestonesCannotBeSwept) {
  const Outcome outcome = capplan("sweep " + ramp_spec().string() +
                                  " --vary tranches.t1.units=1,2 --set targets={} --set milestones={} --backend cpu "
                                  "--out " +
                                  (dir_ / "out").string());
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_NE(outcome.output.find("has neither"), std::string::npos) << outcome.output;
}

TEST_F(Sweep, ChartsShowOneAndTwoDimensionalSweeps) {
  SweepRequest request = sweep(ramp_spec(), {"sites.s1.install_per_day=10:20:5"});
  request.plots = true;
  sweep_command(request);
  for (const char* file : {"sweep-half-in-january.svg", "sweep-half-in-january.png", "sweep-all-by-april.svg"}) {
    EXPECT_GT(fs::file_size(dir_ / "sweep" / file), 1000u) << file;
  }
  const std::string svg = read_file(dir_ / "sweep" / "sweep-half-in-january.svg");
  EXPECT_NE(svg.find("95% interval"), std::string::npos);
  request.vary.push_back("tranches.t1.delivery.planned=2026-01-01:2026-01-21:10");
  sweep_command(request);
  const std::string heat = read_file(dir_ / "sweep" / "sweep-half-in-january.svg");
  EXPECT_NE(heat.find("tranches.t1.delivery.planned"), std::string::npos);
  EXPECT_NE(heat.find("2026-01-11"), std::string::npos);  // a tick label of the second axis
}

}  // namespace
}  // namespace capplan
