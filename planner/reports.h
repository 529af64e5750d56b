// The run's outputs as text: forecast.csv, tranches.csv, targets.csv, run.json
// and the human summary. Pure functions of the statistics, so equal statistics
// give byte-identical files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "planner/model_builder.h"
#include "planner/spec.h"
#include "planner/statistics.h"

namespace capplan {

// What run.json records about how the run was made.
struct RunRecord {
  std::vector<std::string> argv;
  std::string spec_sha256;
  std::uint64_t seed = 0;
  std::uint64_t trials = 0;
  std::string backend = "cpu";
  std::string device;
  int threads = 1;
  std::int64_t batch_trials = 0;
  double wall_seconds = 0.0;
  double simulate_seconds = 0.0;
  std::vector<std::string> outputs;
  int ranks = 1;
  std::vector<std::string> processes;  // one JSON object per rank: rank, host, backend, device, threads
  std::string extra;                   // a JSON object whose keys are added to run.json (overrides, drivers, precision)
};

// Column name of quantile q: 0.1 -> "p10", 0.025 -> "p2.5".
std::string quantile_column(double q);

std::string forecast_csv(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats);
std::string tranches_csv(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats);
std::string targets_csv(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats);
// Per tranche, P(complete by the date) at the end of each 7-day week and the horizon end (S-curves).
std::string completion_cdf_csv(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats);
std::string run_json(const Spec& spec, const RunRecord& record);
std::string run_summary(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats,
                        const RunRecord& record, const std::string& out_dir);

}  // namespace capplan
