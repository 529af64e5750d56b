// Scenario comparison on common random numbers: A and B are simulated with the
// same seed and trial numbers, so every quantity they share draws the same
// values and differences come from what was changed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "planner/base/parallel.h"
#include "planner/engine/model_builder.h"
#include "planner/engine/run_driver.h"
#include "planner/engine/statistics.h"
#include "planner/spec/spec.h"

namespace capplan {

// Per (report date, metric): in how many trials B's value exceeded A's, and equalled it.
// A scope both specs record: its record block in A and in B.
struct ComparedScope {
  std::string scope;  // "total", "site:<id>", ...
  int block_a = 0, block_b = 0;
};

// The scopes compare reports: the total, then A's report.by scopes that B reports too.
std::vector<ComparedScope> compared_scopes(const CompiledModel& a, const CompiledModel& b);

class PairedCounts {
 public:
  PairedCounts(const CompiledModel& a, const CompiledModel& b);
  // records_a/b: the same trials' records of A and B ([trial][block][row][metric]).
  void add(const double* records_a, const double* records_b, std::int64_t n);
  void reduce_to_root(const Communicator& communicator);
  // `scope` indexes compared_scopes(a, b).
  double probability_b_greater(int scope, int report, int metric) const;
  double probability_equal(int scope, int report, int metric) const;

 private:
  std::size_t index(int scope, int report, int metric) const;

  const CompiledModel& a_;
  const CompiledModel& b_;
  std::vector<ComparedScope> scopes_;
  std::vector<std::uint64_t> greater_, equal_;  // [scope][report][metric]
  std::uint64_t trials_ = 0;
};

// A and B simulated on the same trial numbers.
struct PairedSimulation {
  std::unique_ptr<ForecastStatistics> a, b;
  PairedCounts paired;
  // Sums every rank's statistics and paired counts onto rank 0.
  void reduce_to_root(const Communicator& communicator);
};

// Simulates this rank's share (trial_share) of trials 0 .. options.trials - 1
// of A and of B, batch by batch on the same trial numbers, and pairs each
// trial's records. Always on the CPU backend, whatever options.backend says:
// pairing needs each trial's records, which only the CPU backend keeps.
PairedSimulation simulate_paired(const CompiledModel& a, const CompiledModel& b, const RunOptions& options);

// Throws UsageError unless A and B report on the same dates with the same quantiles.
void check_comparable(const Spec& a, const CompiledModel& model_a, const Spec& b, const CompiledModel& model_b);

// compare.csv: date,metric,quantile,a,b,difference,difference_lo,difference_hi,
// probability_b_greater,probability_equal. The difference interval combines the
// two quantiles' 97.5% order-statistic intervals, so it covers at least 95%.
std::string compare_csv(const Spec& spec_a, const CompiledModel& a, const ForecastStatistics& stats_a,
                        const CompiledModel& b, const ForecastStatistics& stats_b, const PairedCounts& paired);

// compare_targets.csv: target,probability_a,probability_b,difference (targets present in both).
std::string compare_targets_csv(const CompiledModel& a, const ForecastStatistics& stats_a, const CompiledModel& b,
                                const ForecastStatistics& stats_b);

// The short table printed on stdout: headline metrics at the horizon end and the targets.
std::string compare_summary(const Spec& spec_a, const Spec& spec_b, const CompiledModel& a,
                            const ForecastStatistics& stats_a, const CompiledModel& b,
                            const ForecastStatistics& stats_b, const PairedCounts& paired);

}  // namespace capplan
