// Simulating a compiled model over every rank of a run: a fixed trial count,
// or checkpoints until a requested precision is met. The statistics and the
// driver sample end up complete on rank 0.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "planner/base/parallel.h"
#include "planner/engine/backend.h"
#include "planner/engine/model_builder.h"
#include "planner/engine/precision.h"
#include "planner/engine/run_driver.h"
#include "planner/engine/statistics.h"
#include "planner/spec/spec.h"

namespace capplan {

// The outcome of simulating one scenario across all ranks: the statistics,
// drivers and trials are complete on rank 0; backend .. batch_trials describe
// this rank's own runner.
struct Simulation {
  std::unique_ptr<ForecastStatistics> statistics;
  DriverSample drivers;
  std::uint64_t trials = 0;         // over all ranks
  Backend backend = Backend::kCpu;  // kCpu or kCuda
  std::string device;               // in words
  int threads = 1;
  std::int64_t batch_trials = 0;
  double simulate_seconds = 0.0;              // this rank's simulation and aggregation; wall time over several ranks
  std::optional<PrecisionOutcome> precision;  // with a PrecisionGoal
};

// Simulates options.trials trials over the ranks of `communicator`. With a
// goal, checkpoints at trials x 1, 2, 4, ... (capped by goal->max_trials, never
// below options.trials) until assess_precision() says the goal is met: the
// checkpoints depend only on the arguments, so the same spec and seed stop at
// the same trial count on any number of threads or ranks. Rank 0 names the
// backend and device on `log` (none when null). A failure on any rank fails
// every rank (on_every_rank).
Simulation simulate(const Spec& spec, const CompiledModel& model, const RunOptions& options,
                    const Communicator& communicator, const std::optional<PrecisionGoal>& goal = std::nullopt,
                    std::ostream* log = nullptr);

// Where each rank ran, in rank order on rank 0 (an empty array elsewhere): one
// object per rank with its rank, host, backend, device and threads.
nlohmann::ordered_json gather_processes(const Simulation& simulation, const Communicator& communicator);

}  // namespace capplan
