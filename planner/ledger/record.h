// What a command records in the ledger: a run's header from its spec, and its
// results from the statistics (read back from the very tables the run writes,
// so the ledger holds the numbers the CSV files show) or from a sweep point.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "planner/analysis/sweep.h"
#include "planner/engine/backend.h"
#include "planner/engine/model_builder.h"
#include "planner/engine/statistics.h"
#include "planner/ledger/ledger.h"
#include "planner/spec/spec.h"

namespace capplan {

// A run of `spec` by `command`: its names, hashes (spec_sha256 of the
// effective text after --set, spec_file_sha256 of the file), effective text,
// overrides, seed, trial count, backend, ranks and tool version. Results,
// wall_seconds and status are the caller's.
LedgerRun ledger_run(const std::string& command, const Spec& spec, std::uint64_t trials, Backend backend, int ranks);

// Sets the run's started_utc (when `start` was, in UTC) and wall_seconds (from `start` until now).
void set_timing(LedgerRun& run, std::chrono::steady_clock::time_point start);

// Every target, every forecast.csv and forecast_by.csv cell, every milestone
// and tranche statistic of a run.
void add_results(LedgerRun& run, const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats);

// A sweep or solve point: its targets (with the target metric's mean and
// quantiles as forecast cells) and milestones (probability and quantile dates).
void add_point_results(LedgerRun& run, const Spec& spec, const PointOutcome& outcome);

}  // namespace capplan
