// The run's outputs as text: forecast.csv, tranches.csv, targets.csv,
// completion_cdf.csv, sensitivity.csv, run.json and the human summary. Pure functions of the statistics, so equal
// statistics give byte-identical files.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "planner/base/date.h"
#include "planner/engine/backend.h"
#include "planner/engine/engine.h"
#include "planner/engine/model_builder.h"
#include "planner/engine/statistics.h"
#include "planner/spec/spec.h"

namespace capplan {

// What run.json records about how the run was made.
struct RunRecord {
  std::vector<std::string> argv;
  std::string spec_sha256;
  std::uint64_t seed = 0;
  std::uint64_t trials = 0;
  Backend backend = Backend::kCpu;  // what ran it: kCpu or kCuda
  std::string device;
  int threads = 1;
  std::int64_t batch_trials = 0;
  double wall_seconds = 0.0;
  double simulate_seconds = 0.0;
  std::vector<std::string> outputs;
  int ranks = 1;
  // One object per rank: rank, host, backend, device, threads (gather_processes).
  nlohmann::ordered_json processes = nlohmann::ordered_json::array();
  std::vector<std::string> overrides;  // the spec's --set changes, in the order given
  nlohmann::ordered_json drivers;      // the driver analysis: date, sample_trials
  // With --precision: requested, met, trials_used, max_trials, worst_cell,
  // worst_half_width_over_tolerance; null otherwise (and left out of run.json).
  nlohmann::ordered_json precision;
};

// The record of a simulated run (rank 0's view): all but argv, ranks,
// processes, outputs and wall_seconds, which only the caller knows.
RunRecord make_run_record(const Spec& spec, const Simulation& simulation, DayNumber driver_date);

// The tables that grow with the model (report rows x scopes, outcomes x weeks)
// are written row by row into a stream, so that a result set's file is never
// assembled whole in memory; each string function below returns what its
// write_ function writes.
void write_forecast_csv(std::ostream& out, const Spec& spec, const CompiledModel& model,
                        const ForecastStatistics& stats);
void write_forecast_by_csv(std::ostream& out, const Spec& spec, const CompiledModel& model,
                           const ForecastStatistics& stats);
void write_completion_cdf_csv(std::ostream& out, const Spec& spec, const CompiledModel& model,
                              const ForecastStatistics& stats);
// Per milestone and weekly date: P(reached by the end of that day).
void write_milestone_cdf_csv(std::ostream& out, const CompiledModel& model, const ForecastStatistics& stats);

std::string forecast_csv(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats);
// forecast.csv's columns with `scope` after `date`: report.by's scopes, per report date and metric.
std::string forecast_by_csv(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats);
// Per milestone: probability reached, the first-passage date's quantiles and intervals, Wilson interval.
std::string milestones_csv(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats);
std::string tranches_csv(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats);
std::string targets_csv(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats);
// Per tranche, P(complete by the date) at the end of each 7-day week and the horizon end (S-curves).
std::string completion_cdf_csv(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats);
std::string run_json(const Spec& spec, const RunRecord& record);
// What every JSON record capplan writes (run.json, solve.json) starts with:
// format_version 1, tool, tool_version, git_revision, argv and spec {path, name, sha256}.
nlohmann::ordered_json provenance_json(const std::vector<std::string>& argv, const std::string& spec_path,
                                       const std::string& spec_name, const std::string& spec_sha256);
std::string run_summary(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats,
                        const RunRecord& record, const std::string& out_dir);

}  // namespace capplan
