// Runs a compiled model's trials in batches of bounded size on the CPU or
// CUDA backend, accumulating the forecast statistics and, for the first trials, the
// sampled inputs that the driver analysis needs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backends/cuda_backend.h"
#include "planner/base/limits.h"
#include "planner/base/parallel.h"
#include "planner/engine/backend.h"
#include "planner/engine/model_builder.h"
#include "planner/engine/statistics.h"

namespace capplan {

struct RunOptions {
  std::uint64_t trials = 100000;  // 1 .. kMaxTrials
  std::uint64_t seed = 1;
  // 0 = all cores, but no more than kWorkspaceBudgetBytes holds; more than it
  // holds is a UsageError.
  int threads = 0;
  std::int64_t batch_trials = 0;  // 0 = chosen from the memory per trial
  bool progress = true;           // a progress line on stderr for runs longer than a second
  int rank = 0;                   // this process simulates its share of the trial numbers
  int ranks = 1;
  std::uint64_t driver_sample = 0;  // trials 0 .. driver_sample-1 keep their sampled inputs
  int driver_row = -1;              // record row whose outputs the drivers are measured on
  Backend backend = Backend::kCpu;  // kAuto: cuda when a GPU is available
  int device = 0;                   // GPU index for the cuda backend
  CudaOptions cuda;                 // launch and kernel variant of the cuda backend (never changes results)
};

// Sampled inputs and two outputs (available_accelerators, delivered_flop_e24 at
// the driver row) of the first trials, for rank correlations.
struct DriverSample {
  int input_count = 0;
  std::vector<std::uint64_t> trials;
  std::vector<double> inputs;   // [trial][input_count]
  std::vector<double> outputs;  // [trial][2]
  // Gathers every rank's sample onto rank 0, in trial order.
  void gather_to_root(const Communicator& communicator);
};

// The CUDA backend for `model`, aggregating into counters of `statistics`'
// layout (throws RuntimeFailure without a usable GPU).
std::unique_ptr<CudaSimulator> make_cuda_simulator(const CompiledModel& model, const ForecastStatistics& statistics,
                                                   int device, const CudaOptions& options);

// Runs batches of trials and aggregates them; one per model and process.
class TrialRunner {
 public:
  TrialRunner(const CompiledModel& model, const RunOptions& options);
  ~TrialRunner();

  // Simulates trials [first, first + count) (count <= batch_capacity(); a
  // batch that starts in the driver sample ends with it and holds at most
  // the sampled-input buffer's trials, as run_range's do), adds them to the
  // statistics and keeps their records until the next batch.
  void run_batch(std::uint64_t first, std::int64_t count);
  // Simulates this rank's share of [begin, end) in batches, on the chosen
  // backend (trials that keep driver inputs always run on the CPU; the counters
  // add exactly, so the split does not change any result).
  void run_range(std::uint64_t begin, std::uint64_t end, const RunOptions& options);

  Backend backend() const { return backend_; }           // kCpu or kCuda, never kAuto
  const std::string& device() const { return device_; }  // what ran it, in words
  int cuda_block_size() const;                           // 0 on the CPU backend

  std::int64_t batch_capacity() const { return batch_; }
  int threads() const { return threads_; }
  const double* records() const { return records_.data(); }  // last batch, [trial][row][metric]
  ForecastStatistics& statistics() { return *statistics_; }
  DriverSample& drivers() { return drivers_; }
  double simulate_seconds() const { return seconds_; }

 private:
  // Sizes the sampled-input buffer and the driver sample (their final size).
  void reserve_driver_sample();
  // Trials of the batch that starts at `trial`, with `remaining` trials left to run.
  std::int64_t batch_at(std::uint64_t trial, std::uint64_t remaining) const;

  const CompiledModel& model_;
  ModelView view_;
  int threads_ = 1;
  std::int64_t batch_ = 1;
  std::uint64_t driver_sample_ = 0;
  int driver_row_ = -1;
  std::vector<double> records_;
  std::vector<int> completion_;
  std::vector<double> sampled_;    // [sample_batch_][slots]
  std::int64_t sample_batch_ = 0;  // at most this many trials of a batch keep their inputs
  std::unique_ptr<ForecastStatistics> statistics_;
  DriverSample drivers_;
  double seconds_ = 0.0;
  std::uint64_t seed_ = 0;
  Backend backend_ = Backend::kCpu;
  std::string device_ = "cpu";
  std::unique_ptr<CudaSimulator> gpu_;
};

struct RunResult {
  std::unique_ptr<ForecastStatistics> statistics;
  DriverSample drivers;
  Backend backend = Backend::kCpu;
  std::string device = "cpu";
  int threads = 1;
  std::int64_t batch_trials = 0;
  double simulate_seconds = 0.0;  // simulation and aggregation on this process
};

// Simulates this rank's share of trials 0 .. options.trials - 1 (all of them
// for one rank); the statistics hold that share until reduced across ranks.
RunResult run_simulation(const CompiledModel& model, const RunOptions& options);

}  // namespace capplan
