#include "planner/engine/run_driver.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <utility>
#include <vector>

#include "backends/cpu_backend.h"
#include "backends/cuda_backend.h"
#include "kernels/metrics.h"
#include "planner/base/errors.h"
#include "planner/engine/model_budget.h"

namespace capplan {

namespace {
// Batch buffers are kept near this size whatever the trial count, but hold at
// least kMinBatchTrials trials (limits.h bounds those) [bytes].
constexpr std::size_t kBatchBufferBytes = std::size_t(64) << 20;
// GPU trials per call, so the progress line moves on long runs.
constexpr std::uint64_t kGpuChunk = std::uint64_t(1) << 22;

std::string cpu_description(int threads) {
  return "cpu (" + std::to_string(threads) + " thread" + (threads == 1 ? "" : "s") + ")";
}
}  // namespace

std::unique_ptr<CudaSimulator> make_cuda_simulator(const CompiledModel& model, const ForecastStatistics& statistics,
                                                   int device, const CudaOptions& options) {
  HostModel host;
  host.view = model.view(0);
  host.dists = model.dists.size();
  host.tables = model.tables.size();
  host.after = model.after.size();
  host.site_tranches = model.site_tranches.size();
  host.risk_targets = model.risk_targets.size();
  host.correlated_slots = model.correlated_slots.size();
  host.cholesky = model.cholesky.size();
  return std::make_unique<CudaSimulator>(host, statistics.counter_layout(), device, options);
}

void DriverSample::gather_to_root(const Communicator& communicator) {
  if (communicator.size() == 1) return;
  std::vector<double> packed;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    packed.push_back(static_cast<double>(trials[i]));  // trial numbers < 2^32 are exact in a double
    packed.insert(packed.end(), inputs.begin() + static_cast<std::ptrdiff_t>(i * input_count),
                  inputs.begin() + static_cast<std::ptrdiff_t>((i + 1) * input_count));
    packed.insert(packed.end(), outputs.begin() + static_cast<std::ptrdiff_t>(2 * i),
                  outputs.begin() + static_cast<std::ptrdiff_t>(2 * i + 2));
  }
  const std::vector<double> all = communicator.gather_doubles_to_root(packed);
  if (!communicator.is_root()) return;
  const std::size_t stride = static_cast<std::size_t>(input_count) + 3;
  std::vector<std::size_t> order(all.size() / stride);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return all[a * stride] < all[b * stride]; });
  trials.clear();
  inputs.clear();
  outputs.clear();
  for (std::size_t k : order) {
    const double* entry = all.data() + k * stride;
    trials.push_back(static_cast<std::uint64_t>(entry[0]));
    inputs.insert(inputs.end(), entry + 1, entry + 1 + input_count);
    outputs.insert(outputs.end(), entry + 1 + input_count, entry + stride);
  }
}

TrialRunner::TrialRunner(const CompiledModel& model, const RunOptions& options)
    : model_(model), view_(model.view(options.seed)) {
  if (options.trials < 1 || options.trials > kMaxTrials) {
    throw UsageError("--trials must be between 1 and " + std::to_string(kMaxTrials));
  }
  threads_ = cpu_threads_within_budget(model, options.threads);
  std::int64_t batch = options.batch_trials;
  if (batch <= 0) {
    batch = static_cast<std::int64_t>(kBatchBufferBytes / std::max<std::size_t>(trial_record_bytes(model), 1));
    batch = std::max<std::int64_t>(kMinBatchTrials, std::min<std::int64_t>(batch, 65536));
  }
  batch_ = std::max<std::int64_t>(1, std::min<std::int64_t>(batch, static_cast<std::int64_t>(options.trials)));
  driver_sample_ = options.driver_row >= 0 ? options.driver_sample : 0;
  driver_row_ = options.driver_row;
  check_driver_sample_budget(model, driver_sample_);
  drivers_.input_count = static_cast<int>(model.slots.size());
  try {
    records_.resize(static_cast<std::size_t>(batch_) * model.record_values());
    completion_.resize(static_cast<std::size_t>(batch_) * model.outcome_count());
    reserve_driver_sample();
    statistics_ = std::make_unique<ForecastStatistics>(model);
  } catch (const std::bad_alloc&) {
    throw RuntimeFailure("out of memory allocating the batch buffers and histograms");
  }
  seed_ = options.seed;
  device_ = cpu_description(threads_);
  if (resolve_backend(options.backend, options.device) == Backend::kCuda) {
    // Throws RuntimeFailure (exit 3) naming why when no usable GPU is there.
    gpu_ = make_cuda_simulator(model, *statistics_, options.device, options.cuda);
    backend_ = Backend::kCuda;
    device_ = gpu_->describe();
  }
}

void TrialRunner::reserve_driver_sample() {
  if (driver_sample_ == 0) return;
  const std::size_t slots = model_.slots.size();
  const std::size_t kept = static_cast<std::size_t>(driver_sample_);
  // The sampled inputs of one batch stay near kBatchBufferBytes too.
  const std::size_t fit =
      std::max<std::size_t>(1, kBatchBufferBytes / std::max<std::size_t>(1, slots * sizeof(double)));
  sample_batch_ = static_cast<std::int64_t>(std::min({static_cast<std::size_t>(batch_), kept, fit}));
  sampled_.resize(static_cast<std::size_t>(sample_batch_) * slots);
  drivers_.trials.reserve(kept);
  drivers_.inputs.reserve(kept * slots);
  drivers_.outputs.reserve(2 * kept);
}

std::int64_t TrialRunner::batch_at(std::uint64_t trial, std::uint64_t remaining) const {
  std::uint64_t count = std::min<std::uint64_t>(static_cast<std::uint64_t>(batch_), remaining);
  // A batch that keeps driver inputs ends with the sample and fits sampled_.
  if (trial < driver_sample_) {
    count = std::min({count, driver_sample_ - trial, static_cast<std::uint64_t>(sample_batch_)});
  }
  return static_cast<std::int64_t>(count);
}

TrialRunner::~TrialRunner() = default;

int TrialRunner::cuda_block_size() const { return gpu_ ? gpu_->block_size() : 0; }

void TrialRunner::run_batch(std::uint64_t first, std::int64_t count) {
  const auto start = std::chrono::steady_clock::now();
  const bool keep_inputs = first < driver_sample_;
  run_trials_cpu(view_, first, count, records_.data(), completion_.data(), keep_inputs ? sampled_.data() : nullptr,
                 threads_);
  statistics_->add(records_.data(), completion_.data(), count, threads_);
  if (keep_inputs) {
    const std::size_t slots = model_.slots.size();
    const std::size_t row_values = model_.record_values();
    for (std::int64_t i = 0; i < count && first + static_cast<std::uint64_t>(i) < driver_sample_; ++i) {
      const std::size_t k = static_cast<std::size_t>(i);
      drivers_.trials.push_back(first + k);
      drivers_.inputs.insert(drivers_.inputs.end(), sampled_.begin() + static_cast<std::ptrdiff_t>(k * slots),
                             sampled_.begin() + static_cast<std::ptrdiff_t>((k + 1) * slots));
      const double* row = records_.data() + k * row_values + static_cast<std::size_t>(driver_row_) * kMetricCount;
      drivers_.outputs.push_back(row[kAvailableAccelerators]);
      drivers_.outputs.push_back(row[kDeliveredFlopE24]);
    }
  }
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void TrialRunner::run_range(std::uint64_t begin, std::uint64_t end, const RunOptions& options) {
  // Plain variables, not a structured binding: the progress lambda uses
  // `share`, and C++17 (Clang enforces it) does not let a lambda capture one.
  const std::pair<std::uint64_t, std::uint64_t> this_rank = trial_share(end - begin, options.rank, options.ranks);
  const std::uint64_t first = begin + this_rank.first;
  const std::uint64_t share = this_rank.second;
  const auto start = std::chrono::steady_clock::now();
  bool progress_shown = false;
  auto report = [&](std::uint64_t finished) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!options.progress || elapsed <= 1.0) return;
    std::fprintf(stderr, "\rcapplan: %3.0f%% (%llu / %llu trials, %.1f s)", 100.0 * finished / share,
                 static_cast<unsigned long long>(finished), static_cast<unsigned long long>(share), elapsed);
    std::fflush(stderr);
    progress_shown = true;
  };
  std::uint64_t done = 0;
  // Trials that keep their inputs for the driver analysis run on the CPU.
  const std::uint64_t cpu_until = gpu_ ? std::min(share, driver_sample_ > first ? driver_sample_ - first : 0) : share;
  for (std::int64_t count = 0; done < cpu_until; done += static_cast<std::uint64_t>(count)) {
    count = batch_at(first + done, cpu_until - done);
    run_batch(first + done, count);
    report(done + static_cast<std::uint64_t>(count));
  }
  done = cpu_until;
  if (gpu_ && done < share) {
    const auto gpu_start = std::chrono::steady_clock::now();
    for (; done < share; done += std::min(kGpuChunk, share - done)) {
      gpu_->run(seed_, first + done, std::min(kGpuChunk, share - done));
      report(done + std::min(kGpuChunk, share - done));
    }
    StatisticsCounters counters = statistics_->empty_counters();
    counters.trials = gpu_->download(counters.view());
    statistics_->add(counters);
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - gpu_start).count();
  }
  if (progress_shown) std::fprintf(stderr, "\n");
}

RunResult run_simulation(const CompiledModel& model, const RunOptions& options) {
  TrialRunner runner(model, options);
  runner.run_range(0, options.trials, options);
  RunResult result;
  result.threads = runner.threads();
  result.backend = runner.backend();
  result.device = runner.device();
  result.batch_trials = runner.batch_capacity();
  result.simulate_seconds = runner.simulate_seconds();
  result.drivers = std::move(runner.drivers());
  result.statistics = std::make_unique<ForecastStatistics>(std::move(runner.statistics()));
  return result;
}

}  // namespace capplan
