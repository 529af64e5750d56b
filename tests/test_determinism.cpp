// Determinism promises: results do not depend on threads or batch sizes, and a
// quantity's draws depend only on (seed, trial, its stable name), so reordering
// the spec or adding a tranche leaves every other quantity's draws unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/trial.h"
#include "kernels/workspace.h"
#include "planner/engine/precision.h"
#include "planner/engine/run_driver.h"
#include "planner/output/reports.h"
#include "planner/spec/spec_loader.h"
#include "tests/spec_fixtures.h"
#include "tests/test_support.h"

namespace capplan {
namespace {

using testing::base_spec;
using testing::run_trial;
using testing::tranche;
using testing::triangular;
using testing::uniform;

// Three sites, four tranches (t4 waits for t1), risks, failures and random
// everything; no two tranches compete for one site's installs, so spec order
// (the tie-break) cannot matter.
Spec varied_spec() {
  Spec spec = base_spec(200);
  spec.report.every = Report::Every::week;
  Site s2 = spec.sites[0];
  s2.id = "s2";
  s2.install_limited = true;
  s2.install_per_day = triangular(1.0, 2.0, 4.0);
  s2.ready.slip_days = uniform(0.0, 20.0);
  Site s3 = s2;
  s3.id = "s3";
  s3.power_limited = true;
  PowerStep step;
  step.planned = spec.horizon.start + 30;
  step.add_mw = 8.0;
  step.slip_days = triangular(-5.0, 0.0, 30.0);
  s3.power_mw = {step};
  s3.pue = 1.25;
  spec.sites.push_back(s2);
  spec.sites.push_back(s3);
  spec.sites[0].install_limited = true;
  spec.sites[0].install_per_day = uniform(2.0, 5.0);
  const char* sites[] = {"s1", "s2", "s3", "s1"};
  for (int i = 0; i < 4; ++i) {
    Tranche t = tranche(spec, "t" + std::to_string(i + 1), 40 + 10 * i, 10 + 15 * i, sites[i]);
    t.delivery_slip_days = triangular(-3.0, 7.0, 40.0);
    t.spread_days = 5 + i;
    t.burn_in_days = triangular(2.0, 4.0, 9.0);
    Distribution acceptance;
    acceptance.kind = Distribution::Kind::beta;
    acceptance.a = 60.0;
    acceptance.b = 4.0;
    t.acceptance = acceptance;
    t.rework_days = uniform(3.0, 8.0);
    t.probability = i == 2 ? 0.7 : 1.0;
    spec.tranches.push_back(t);
  }
  spec.tranches[3].after = {"t1"};
  Risk risk;
  risk.id = "late";
  risk.probability = 0.4;
  risk.has_delay = true;
  risk.delay_days = uniform(5.0, 25.0);
  RiskTarget target;
  target.kind = RiskTarget::Kind::tranche;
  target.id = "t2";
  risk.applies_to = {target};
  spec.risks.push_back(risk);
  Risk grid = risk;
  grid.id = "grid";
  grid.has_delay = false;
  grid.has_power_factor = true;
  grid.power_factor = uniform(0.5, 0.9);
  grid.applies_to[0].kind = RiskTarget::Kind::site;
  grid.applies_to[0].id = "s3";
  spec.risks.push_back(grid);
  spec.operations.failures_per_accelerator_day = 4.7e-4;
  spec.operations.repair_days = triangular(1.0, 2.0, 3.0);
  spec.operations.utilization = triangular(0.35, 0.4, 0.45);
  Target goal;
  goal.id = "goal";
  goal.metric = "available_accelerators";
  goal.date = spec.horizon.end;
  goal.at_least = 10000;
  spec.targets.push_back(goal);
  return spec;
}

struct Tables {
  std::string forecast, tranches, targets;
};

Tables run_tables(const Spec& spec, int threads, std::int64_t batch, std::uint64_t trials = 3000) {
  const CompiledModel model = build_model(spec);
  RunOptions options;
  options.trials = trials;
  options.seed = 42;
  options.threads = threads;
  options.batch_trials = batch;
  options.progress = false;
  const RunResult result = run_simulation(model, options);
  return {forecast_csv(spec, model, *result.statistics), tranches_csv(spec, model, *result.statistics),
          targets_csv(spec, model, *result.statistics)};
}

TEST(Determinism, ThreadsAndBatchSizesGiveIdenticalTables) {
  const Spec spec = varied_spec();
  const Tables reference = run_tables(spec, 1, 0);
  for (auto [threads, batch] : {std::pair{2, 97}, std::pair{2, 1000}, std::pair{1, 1}, std::pair{3, 256}}) {
    const Tables other = run_tables(spec, threads, batch);
    EXPECT_EQ(other.forecast, reference.forecast) << threads << " threads, batch " << batch;
    EXPECT_EQ(other.tranches, reference.tranches) << threads << " threads, batch " << batch;
    EXPECT_EQ(other.targets, reference.targets) << threads << " threads, batch " << batch;
  }
}

TEST(Determinism, TheSeedChangesTheResult) {
  const Spec spec = varied_spec();
  Spec reseeded = spec;
  const CompiledModel model = build_model(spec);
  const auto a = run_trial(model, 42, 5);
  const auto b = run_trial(model, 43, 5);
  EXPECT_NE(a.records, b.records);
}

// Sampled values of one trial, by stable quantity name.
std::map<std::string, double> sampled_values(const CompiledModel& model, std::uint64_t seed, std::uint32_t trial) {
  const ModelView view = model.view(seed);
  std::vector<double> scratch(workspace_bytes(view) / sizeof(double) + 1);
  TrialWorkspace w = carve_workspace(view, reinterpret_cast<char*>(scratch.data()));
  sample_trial_quantities(view, trial, w);
  std::map<std::string, double> values;
  for (std::size_t i = 0; i < model.slot_names.size(); ++i) values[model.slot_names[i]] = w.values[i];
  return values;
}

std::map<std::string, int> completion_by_id(const Spec& spec, const testing::TrialResult& r) {
  std::map<std::string, int> days;
  for (std::size_t t = 0; t < spec.tranches.size(); ++t) days[spec.tranches[t].id] = r.completion[t];
  return days;
}

TEST(Determinism, ReorderingTheSpecChangesNoDraw) {
  const Spec spec = varied_spec();
  Spec reordered = spec;
  std::reverse(reordered.tranches.begin(), reordered.tranches.end());
  std::reverse(reordered.sites.begin(), reordered.sites.end());
  std::reverse(reordered.risks.begin(), reordered.risks.end());
  const CompiledModel a = build_model(spec);
  const CompiledModel b = build_model(reordered);
  for (std::uint32_t trial = 0; trial < 300; ++trial) {
    ASSERT_EQ(sampled_values(a, 9, trial), sampled_values(b, 9, trial)) << "trial " << trial;
    const auto ra = run_trial(a, 9, trial);
    const auto rb = run_trial(b, 9, trial);
    ASSERT_EQ(completion_by_id(spec, ra), completion_by_id(reordered, rb)) << "trial " << trial;
    for (std::size_t row = 0; row < a.record_days.size(); ++row) {
      for (int m : {kDeliveredSystems, kInstalledSystems, kOnlineSystems, kAvailableAccelerators}) {
        ASSERT_EQ(ra.at(static_cast<int>(row), m), rb.at(static_cast<int>(row), m)) << "trial " << trial;
      }
    }
  }
}

TEST(Determinism, AddingATrancheLeavesTheOthersUnchanged) {
  const Spec spec = varied_spec();
  Spec extended = spec;
  Site extra_site = spec.sites[0];
  extra_site.id = "s4";
  extended.sites.insert(extended.sites.begin(), extra_site);
  extended.tranches.insert(extended.tranches.begin() + 1, tranche(spec, "t-new", 25, 40, "s4"));
  const CompiledModel a = build_model(spec);
  const CompiledModel b = build_model(extended);
  for (std::uint32_t trial = 0; trial < 300; ++trial) {
    auto values_b = sampled_values(b, 5, trial);
    for (const auto& [name, value] : sampled_values(a, 5, trial)) {
      ASSERT_EQ(values_b.at(name), value) << name << " in trial " << trial;
    }
    auto days_b = completion_by_id(extended, run_trial(b, 5, trial));
    for (const auto& [id, day] : completion_by_id(spec, run_trial(a, 5, trial))) {
      ASSERT_EQ(days_b.at(id), day) << id << " in trial " << trial;
    }
  }
}

// The CUDA backend's layout: the 32 trials of a warp share one scratch group,
// interleaved element by element (kernels/workspace.h). Checked here on the
// CPU: every lane's elements are distinct bytes inside the group, and a trial
// simulated in any lane of a group gives the bits of the plain layout.
TEST(Determinism, WarpInterleavedWorkspaceMatchesThePlainLayout) {
  for (const std::string name : {"configs/openai-aws-2026.yaml", "configs/example-all-features.yaml",
                                 "tests/specs/every-feature.yaml", "configs/bench-large.yaml"}) {
    SCOPED_TRACE(name);
    const Spec spec = load_spec_file(testing::source_path(name));
    const CompiledModel model = build_model(spec);
    const ModelView view = model.view(spec.seed);
    const std::size_t group_bytes = group_workspace_bytes<kWarpLanes>(view);
    ASSERT_EQ(group_bytes % 128, 0u);
    EXPECT_LE(group_bytes, kWarpLanes * (workspace_bytes(view) + 30 * 128));  // 30 arrays, each padded < 128 B

    // Each byte of the group belongs to at most one element of one lane.
    std::vector<double> storage(group_bytes / sizeof(double) + 16);
    char* group = reinterpret_cast<char*>(storage.data());
    group += (128 - reinterpret_cast<std::uintptr_t>(group) % 128) % 128;
    std::vector<int> owner(group_bytes, -1);
    for (int lane = 0; lane < kWarpLanes; ++lane) {
      BasicWorkspace<kWarpLanes> w = carve_group_workspace<kWarpLanes>(view, group, lane);
      int array_index = 0;
      detail::for_each_workspace_array(view, w, [&](auto& array, std::int64_t count) {
        using T = typename std::decay_t<decltype(array)>::value_type;
        for (std::int64_t i = 0; i < count; ++i) {
          const char* element = reinterpret_cast<const char*>(&array[i]);
          ASSERT_EQ(reinterpret_cast<std::uintptr_t>(element) % alignof(T), 0u);
          const std::ptrdiff_t at = element - group;
          ASSERT_GE(at, 0);
          ASSERT_LE(at + static_cast<std::ptrdiff_t>(sizeof(T)), static_cast<std::ptrdiff_t>(group_bytes));
          for (std::size_t b = 0; b < sizeof(T); ++b) {
            ASSERT_EQ(owner[at + b], -1) << "lane " << lane << ", array " << array_index << ", element " << i;
            owner[at + b] = lane;
          }
        }
        ++array_index;
      });
    }

    // Trials 0..31 in lanes 0..31 (run in the reverse order, so that a lane
    // writing outside its elements would spoil an earlier lane's output), then
    // compared with the plain layout.
    const std::size_t record_size = model.record_values();
    const std::size_t tranche_count = model.outcome_count();
    std::vector<double> records(record_size * kWarpLanes);
    std::vector<int> completion(tranche_count * kWarpLanes);
    for (int lane = kWarpLanes - 1; lane >= 0; --lane) {
      BasicWorkspace<kWarpLanes> w = carve_group_workspace<kWarpLanes>(view, group, lane);
      BasicTrialOutput<kWarpLanes> out;
      out.record = records.data() + lane;
      out.completion_day = completion.data() + lane;
      simulate_trial(view, static_cast<std::uint32_t>(lane), w, out);
    }
    for (int lane = 0; lane < kWarpLanes; ++lane) {
      const testing::TrialResult plain = run_trial(model, spec.seed, static_cast<std::uint32_t>(lane));
      for (std::size_t i = 0; i < record_size; ++i) {
        ASSERT_EQ(std::memcmp(&plain.records[i], &records[i * kWarpLanes + lane], sizeof(double)), 0)
            << "trial " << lane << ", record value " << i;
      }
      for (std::size_t t = 0; t < tranche_count; ++t) {
        ASSERT_EQ(plain.completion[t], completion[t * kWarpLanes + lane]) << "trial " << lane << ", tranche " << t;
      }
    }
  }
}

// The interval columns written to targets.csv, tranches.csv and milestones.csv
// are Wilson 95% intervals (z = 1.959964, Phi^-1(0.975)) of the written
// probability, computed here by hand from the closed form: a wrong z (e.g.
// 1.64) moves them by far more than the 1e-6 of the 6-decimal print.
std::pair<double, double> wilson95(double p, double n) {
  const double z = 1.959963984540054;
  const double denominator = 1.0 + z * z / n;
  const double center = (p + z * z / (2.0 * n)) / denominator;
  const double half = z * std::sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denominator;
  return {center - half, center + half};
}

std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (std::size_t comma; (comma = line.find(',', start)) != std::string::npos; start = comma + 1) {
    fields.push_back(line.substr(start, comma - start));
  }
  fields.push_back(line.substr(start));
  return fields;
}

// Checks each row of `csv` (after its header): the probability in column
// `probability` against the interval in columns `lo` and `lo + 1` (negative:
// counted from the end, -1 the last). Returns the rows checked.
int expect_wilson_columns(const std::string& csv, int probability, int lo, double n) {
  std::istringstream rows(csv);
  std::string line;
  std::getline(rows, line);
  int checked = 0;
  while (std::getline(rows, line)) {
    const std::vector<std::string> f = csv_fields(line);
    const std::size_t low_column = lo >= 0 ? static_cast<std::size_t>(lo) : f.size() - static_cast<std::size_t>(-lo);
    const auto [low, high] = wilson95(std::stod(f[static_cast<std::size_t>(probability)]), n);
    EXPECT_NEAR(std::stod(f[low_column]), low, 1e-6) << line;
    EXPECT_NEAR(std::stod(f[low_column + 1]), high, 1e-6) << line;
    ++checked;
  }
  return checked;
}

RunResult simulate_spec(const CompiledModel& model, std::uint64_t seed, std::uint64_t trials) {
  RunOptions options;
  options.trials = trials;
  options.seed = seed;
  options.progress = false;
  return run_simulation(model, options);
}

TEST(WrittenIntervals, TargetTrancheAndMilestoneProbabilitiesCarryWilson95Intervals) {
  const double n = 2000.0;  // every printed probability is a multiple of 1/2000: exact in 6 decimals
  for (const char* file : {"configs/example-all-features.yaml", "tests/specs/every-feature.yaml"}) {
    SCOPED_TRACE(file);
    const Spec spec = load_spec_file(testing::source_path(file));
    const CompiledModel model = build_model(spec);
    const RunResult result = simulate_spec(model, spec.seed, 2000);
    // targets.csv: target,metric,scope,date,threshold,probability,ci_lo,ci_hi
    int checked = expect_wilson_columns(targets_csv(spec, model, *result.statistics), 5, 6, n);
    // tranches.csv: tranche,units,probability_complete,...,probability_ci_lo,probability_ci_hi,criticality
    checked += expect_wilson_columns(tranches_csv(spec, model, *result.statistics), 2, -3, n);
    // milestones.csv: milestone,metric,scope,threshold,probability_reached,...,probability_ci_lo,probability_ci_hi
    checked += expect_wilson_columns(milestones_csv(spec, model, *result.statistics), 4, -2, n);
    EXPECT_EQ(checked, static_cast<int>(spec.targets.size() + spec.tranches.size() + spec.milestones.size()));
  }
  EXPECT_FALSE(load_spec_file(testing::source_path("tests/specs/every-feature.yaml")).milestones.empty());
}

// The precision check (run --precision) judges a target's or a milestone's
// probability by the half-width of its Wilson 95% interval over the relative
// precision asked for. A tranche that happens with probability 0.3 and is then
// installed at once is the only uncertainty: the forecast's quantile intervals
// have zero width (each lies inside one of the two atoms), so the target or the
// milestone is the worst cell, and its ratio is the hand-computed half-width
// over the precision.
TEST(WrittenIntervals, ThePrecisionCheckUsesWilson95HalfWidths) {
  for (bool milestone : {false, true}) {
    SCOPED_TRACE(milestone ? "milestone" : "target");
    Spec spec = base_spec(10);
    Tranche maybe = tranche(spec, "maybe", 10, 0);
    maybe.probability = 0.3;
    spec.tranches.push_back(maybe);
    if (milestone) {
      Milestone all;
      all.id = "all";
      all.metric = "installed_systems";
      all.at_least = 10.0;
      spec.milestones.push_back(all);
    } else {
      Target all;
      all.id = "all";
      all.metric = "installed_systems";
      all.date = spec.horizon.start + 5;
      all.at_least = 10.0;
      spec.targets.push_back(all);
    }
    const CompiledModel model = build_model(spec);
    const RunResult result = simulate_spec(model, 5, 2000);
    const ForecastStatistics& stats = *result.statistics;
    const std::uint64_t hits = milestone ? stats.completion_count(stats.milestone_outcome(0)) : stats.target_hits(0);
    ASSERT_GT(hits, 500u);  // about 600 of 2000
    ASSERT_LT(hits, 700u);
    const auto [low, high] = wilson95(static_cast<double>(hits) / 2000.0, 2000.0);
    const double relative = 0.01;
    const PrecisionAssessment assessment = assess_precision(spec, model, stats, relative);
    EXPECT_EQ(assessment.worst_cell, milestone ? "milestone all" : "target all");
    EXPECT_NEAR(assessment.worst_ratio, 0.5 * (high - low) / relative, 1e-9);
    EXPECT_FALSE(assessment.met);
  }
}

}  // namespace
}  // namespace capplan
