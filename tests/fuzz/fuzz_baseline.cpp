// libFuzzer target: a baseline file as `capplan check` reads it, on arbitrary
// bytes (parse_baseline: JSON, then validate_baseline), and then, as check
// goes on, against the spec it names: check_baseline_spec,
// check_baseline_fits, the statistical and the exact comparison, their
// summary and JUnit XML.
//
// The specs with a shipped baseline (configs/baselines/) are loaded and
// simulated once, with few trials: the comparisons need fresh statistics, not
// good ones. openai-aws-2026 reports two dates only (kReferenceDates), as its
// seed baseline does: with every breakdown scope and milestone it then fits
// in the -max_len of tools/fuzz.sh (the shipped baseline, of 14 dates, is
// about 500 kB). A baseline naming another spec is checked against minimal
// (and refused by check_baseline_spec). capplan::Error is the expected refusal;
// anything else is a finding and is left for libFuzzer to report.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "planner/analysis/regression.h"
#include "planner/base/errors.h"
#include "planner/engine/run_driver.h"
#include "planner/spec/spec_loader.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using capplan::CheckReport;

// Enough trials for every statistic to exist, few enough to start in a second.
constexpr std::uint64_t kTrials = 64;

// The reference's report dates here and in its seed baseline
// (tests/fuzz/corpus/baseline/openai-aws-2026.json).
const char* const kReferenceDates = "report.every=[2026-06-30, 2026-12-31]";

// A spec, its compiled model (which the statistics point into), a run's
// statistics and tables.
struct Scenario {
  capplan::Spec spec;
  std::unique_ptr<capplan::CompiledModel> model;
  std::unique_ptr<capplan::ForecastStatistics> stats;
  capplan::RunTables tables;
};

Scenario simulate(const std::string& name, const std::vector<std::string>& overrides = {}) {
  Scenario s;
  s.spec = capplan::load_spec_text(capplan::fuzz::source_text("configs/" + name + ".yaml"), name + ".yaml", overrides);
  s.model = std::make_unique<capplan::CompiledModel>(capplan::build_model(s.spec));
  capplan::RunOptions options;
  options.trials = kTrials;
  options.seed = 1;
  options.threads = 1;
  options.progress = false;
  s.stats = std::move(capplan::run_simulation(*s.model, options).statistics);
  s.tables = capplan::checked_tables(s.spec, *s.model, *s.stats);
  return s;
}

// minimal first: the fallback for a baseline of any other spec.
const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> all = [] {
    std::vector<Scenario> list;
    for (const char* name : {"minimal", "example-all-features"}) list.push_back(simulate(name));
    list.push_back(simulate("openai-aws-2026", {kReferenceDates}));
    return list;
  }();
  return all;
}

// The scenario whose spec.name the (validated) baseline names, else minimal.
const Scenario& scenario_for(const nlohmann::json& baseline) {
  const std::string& name = baseline["spec"]["name"].get_ref<const std::string&>();
  for (const Scenario& s : scenarios()) {
    if (s.spec.name == name) return s;
  }
  return scenarios().front();
}

// What check does with a baseline it has read, and what it prints.
void check(const nlohmann::json& baseline, bool family_wise) {
  const Scenario& s = scenario_for(baseline);
  capplan::check_baseline_spec(baseline, s.spec, "fuzz.json");
  capplan::check_baseline_fits(baseline, s.spec, *s.model);
  const CheckReport statistical = capplan::check_statistical(baseline, s.spec, *s.model, *s.stats, 4.0, family_wise);
  const CheckReport exact = capplan::check_exact(baseline, s.tables);
  capplan::check_summary(statistical);
  capplan::check_summary(exact);
  capplan::junit_xml({{s.spec.name, statistical}, {s.spec.name + "-exact", exact}});
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  scenarios();  // simulated once, before the first input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    // Both kinds of cell limit, chosen by the input so that a finding replays.
    check(capplan::parse_baseline(text, "fuzz.json"), size % 2 == 0);
  } catch (const capplan::Error&) {
    // A refused baseline: a clean usage error.
  }
  return 0;
}
