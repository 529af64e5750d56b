#include "planner/run_driver.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "kernels/cpu_backend.h"
#include "kernels/metrics.h"
#include "planner/errors.h"
#include "planner/parallel.h"

namespace capplan {

namespace {
// Batch buffers are kept near this size whatever the trial count [bytes].
constexpr std::size_t kBatchBufferBytes = std::size_t(64) << 20;
}

RunResult run_simulation(const CompiledModel& model, const RunOptions& options) {
  if (options.trials < 1 || options.trials > kMaxTrials) {
    throw UsageError("--trials must be between 1 and " + std::to_string(kMaxTrials));
  }
  RunResult result;
  result.threads = options.threads > 0 ? options.threads : default_cpu_threads();
  const std::size_t record_values = model.record_days.size() * kMetricCount;
  const std::size_t bytes_per_trial = record_values * sizeof(double) + model.tranches.size() * sizeof(int);
  std::int64_t batch = options.batch_trials;
  if (batch <= 0) {
    batch = static_cast<std::int64_t>(kBatchBufferBytes / std::max<std::size_t>(bytes_per_trial, 1));
    batch = std::max<std::int64_t>(256, std::min<std::int64_t>(batch, 65536));
  }
  const auto [first_trial, share] = trial_share(options.trials, options.rank, options.ranks);
  batch = std::max<std::int64_t>(1, std::min<std::int64_t>(batch, static_cast<std::int64_t>(share)));
  result.batch_trials = batch;

  std::vector<double> records;
  std::vector<int> completion;
  try {
    records.resize(static_cast<std::size_t>(batch) * record_values);
    completion.resize(static_cast<std::size_t>(batch) * model.tranches.size());
    result.statistics = std::make_unique<ForecastStatistics>(model);
  } catch (const std::bad_alloc&) {
    throw RuntimeFailure("out of memory allocating the batch buffers and histograms");
  }

  const ModelView view = model.view(options.seed);
  const auto start = std::chrono::steady_clock::now();
  bool progress_shown = false;
  for (std::uint64_t done = 0; done < share; done += static_cast<std::uint64_t>(batch)) {
    const std::int64_t count = static_cast<std::int64_t>(std::min<std::uint64_t>(batch, share - done));
    run_trials_cpu(view, first_trial + done, count, records.data(), completion.data(), result.threads);
    result.statistics->add(records.data(), completion.data(), count, result.threads);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (options.progress && elapsed > 1.0) {
      const std::uint64_t finished = done + static_cast<std::uint64_t>(count);
      std::fprintf(stderr, "\rcapplan: %3.0f%% (%llu / %llu trials, %.1f s)", 100.0 * finished / share,
                   static_cast<unsigned long long>(finished), static_cast<unsigned long long>(share), elapsed);
      std::fflush(stderr);
      progress_shown = true;
    }
  }
  if (progress_shown) std::fprintf(stderr, "\n");
  result.simulate_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace capplan
