// Runs a compiled model's trials in batches of bounded size and accumulates
// the forecast statistics.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "planner/model_builder.h"
#include "planner/statistics.h"

namespace capplan {

struct RunOptions {
  std::uint64_t trials = 100000;  // 1 .. 2^32 - 1 (trial numbers key 32-bit counters)
  std::uint64_t seed = 1;
  int threads = 0;                // 0 = all available
  std::int64_t batch_trials = 0;  // 0 = chosen from the memory per trial
  bool progress = true;           // a progress line on stderr for runs longer than a second
  int rank = 0;                   // this process simulates its share of the trial numbers
  int ranks = 1;
};

struct RunResult {
  std::unique_ptr<ForecastStatistics> statistics;
  std::string backend = "cpu";
  int threads = 1;
  std::int64_t batch_trials = 0;
  double simulate_seconds = 0.0;  // simulation and aggregation
};

// Simulates this rank's share of trials 0 .. options.trials - 1 (all of them
// for one rank); the statistics hold that share until reduced across ranks.
RunResult run_simulation(const CompiledModel& model, const RunOptions& options);

// The largest trial count a run accepts.
constexpr std::uint64_t kMaxTrials = 4294967295ull;

}  // namespace capplan
