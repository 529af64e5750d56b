// capplan's commands as library functions: each takes a typed request and
// returns a typed outcome. The command line (planner/app/cli.h) only parses its
// options into a request, calls the command and prints the outcome's text.
//
// Every command runs on every rank of an MPI job and agrees on failures
// (planner/base/failure.h); the text to print is filled on rank 0 only. Errors are
// typed exceptions (planner/base/errors.h): SpecError, UsageError (exit code 2),
// RuntimeFailure (3), AgreedFailure across ranks.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "backends/cuda_backend.h"
#include "planner/analysis/regression.h"
#include "planner/base/date.h"
#include "planner/engine/backend.h"
#include "planner/engine/precision.h"
#include "planner/ledger/history.h"
#include "planner/spec/spec.h"

namespace capplan {

// How the commands that simulate load their spec and run its trials.
struct SimulationRequest {
  std::vector<std::string> overrides;   // --set PATH=VALUE changes, in order
  std::optional<std::uint64_t> trials;  // 1 .. kMaxTrials; the spec's when empty
  std::optional<std::uint64_t> seed;    // the spec's when empty
  int threads = 0;                      // CPU threads, 0 = all
  bool progress = false;                // a progress line on stderr (rank 0)
  std::ostream* log = nullptr;          // where rank 0 names the backend and device; none when null
  // --ledger FILE: the ledger the command records into (docs/ledger.md); when
  // empty, the environment's CAPPLAN_LEDGER if set, else nothing is recorded.
  std::optional<std::string> ledger;
};

// Which backend simulates, and how the cuda one launches (never changes a result).
struct BackendRequest {
  Backend backend = Backend::kAuto;
  CudaOptions cuda;
};

struct ValidateRequest {
  std::string spec_path;
  std::vector<std::string> overrides;
};

struct ValidateOutcome {
  std::string report;  // "PATH: valid spec 'NAME' (N tranches, ...)\n" (rank 0)
};

// Checks a spec the way a run would (loading and compiling it); throws SpecError if invalid.
ValidateOutcome validate_command(const ValidateRequest& request);

struct RunRequest {
  std::string spec_path;
  std::string out_dir;  // empty: out/<spec name>
  SimulationRequest simulation;
  BackendRequest backend;
  std::optional<PrecisionGoal> precision;  // max_trials 0: 100 x the starting trials, capped at kMaxTrials
  std::uint64_t drivers_sample = 10000;    // trials kept for sensitivity.csv; 0 turns the driver analysis off
  std::optional<DayNumber> driver_date;    // inside the horizon; the horizon end when empty
  Scope driver_scope;                      // the scope whose outputs the drivers explain (default total)
  bool plots = false;                      // also the charts and summary.md
  std::vector<std::string> argv;           // recorded in run.json
};

struct RunOutcome {
  std::string out_dir;
  std::uint64_t trials = 0;
  std::uint64_t seed = 0;
  Backend backend = Backend::kCpu;            // what ran it (kCpu or kCuda)
  std::optional<PrecisionOutcome> precision;  // with a precision goal
  std::string report;                         // the summary for stdout (rank 0)
};

// Simulates the spec and writes forecast.csv, tranches.csv, targets.csv,
// completion_cdf.csv, sensitivity.csv and run.json (and with plots the charts).
RunOutcome run_command(const RunRequest& request);

struct CompareRequest {
  std::string spec_a;
  std::optional<std::string> spec_b;  // empty: A with the simulation's --set changes
  std::string out_dir;                // empty: out/compare-<A>-vs-<B>
  SimulationRequest simulation;       // overrides apply to B only; trials and seed to both
};

struct CompareOutcome {
  std::string out_dir;
  std::string report;  // the summary for stdout (rank 0)
};

// Simulates A and B on common random numbers (always on the CPU backend) and
// writes compare.csv and compare_targets.csv.
CompareOutcome compare_command(const CompareRequest& request);

struct SweepRequest {
  std::string spec_path;
  std::vector<std::string> vary;  // "PATH=VALUES", in order: the first varies slowest
  std::string out_dir;            // empty: out/sweep-<name>
  SimulationRequest simulation;   // every point uses its trials and seed (common random numbers)
  BackendRequest backend;
  bool plots = true;              // the charts sweep-<target>.svg/.png (needs gnuplot)
  std::vector<std::string> argv;  // recorded in run.json
};

struct SweepOutcome {
  std::string out_dir;
  std::uint64_t points = 0;
  std::string report;  // a table of P(target) per point, for stdout (rank 0)
};

// Simulates the spec at every point of the --vary grid (every point validated
// first: an invalid one is a SpecError naming it, before anything runs) and
// writes sweep.csv, sweep_forecast.csv, sweep_milestones.csv (with milestones),
// run.json and the charts. A spec without targets and milestones is a UsageError.
SweepOutcome sweep_command(const SweepRequest& request);

struct SolveRequest {
  std::string spec_path;
  std::string target;
  double probability = 0.0;  // required P(target met), in (0, 1)
  std::string vary;          // "PATH=LO:HI[:STEP]" of numbers or dates
  bool maximize = false;     // --direction max: the largest value (else the smallest)
  std::string out_dir;       // empty: out/solve-<name>
  SimulationRequest simulation;
  BackendRequest backend;
  std::vector<std::string> argv;  // recorded in solve.json
};

struct SolveOutcome {
  std::string out_dir;
  bool achievable = false;
  int exit_code = 0;     // 0 answer found, 1 not achievable on the grid; the same on every rank
  std::string report;    // the one-line answer (rank 0)
  std::string warnings;  // "warning: ..." lines for stderr (rank 0)
};

// Bisects the grid for the smallest (or largest) value at which P(target met)
// >= probability, on common random numbers, and writes solve.json.
SolveOutcome solve_command(const SolveRequest& request);

struct PlotRequest {
  std::string out_dir;  // a run's output directory
};

struct PlotOutcome {
  std::string report;  // "Wrote the charts and summary.md in DIR\n" (rank 0)
};

// Draws the charts and summary.md of a run's outputs (rank 0 only).
PlotOutcome plot_command(const PlotRequest& request);

struct BaselineRequest {
  std::string spec_path;
  std::string output;  // the baseline file to write
  SimulationRequest simulation;
  BackendRequest backend;
};

struct BaselineOutcome {
  std::uint64_t trials = 0;
  std::uint64_t seed = 0;
  std::string report;  // "Wrote baseline FILE (N trials, seed S)\n" (rank 0)
};

// Simulates the spec and stores its forecast as a regression baseline (baseline.h).
BaselineOutcome baseline_command(const BaselineRequest& request);

struct CheckRequest {
  std::string spec_path;
  std::string baseline_path;
  double sigmas = 4.0;           // the whole check's false-alarm level, > 0
  bool per_cell = false;         // apply sigmas to each cell as it is
  bool exact = false;            // demand byte-identical tables (the baseline's seed unless one is given)
  std::string junit;             // also write JUnit XML here; none when empty
  SimulationRequest simulation;  // its trials are ignored: the baseline's count is used
  BackendRequest backend;
};

struct CheckOutcome {
  CheckReport check;   // the cell-by-cell verdict (rank 0)
  int exit_code = 0;   // 0 passed, 1 a regression; the same on every rank
  std::string report;  // "NAME: " and check_summary() (rank 0)
};

// Re-runs the spec with the baseline's trial count and compares it with the
// baseline; an unreadable or unfit baseline is a UsageError.
CheckOutcome check_command(const CheckRequest& request);

struct HistoryRequest {
  std::optional<std::string> ledger;  // --ledger FILE; $CAPPLAN_LEDGER when empty
  HistoryFilter filter;               // --all, --spec, --target, --since, --last
  TableFormat format = TableFormat::kTable;
  std::string plot_dir;  // --plot DIR: charts, history.md and history.csv; none when empty
  // --runs A,B: everything that differs from run A to run B (instead of the history)
  std::optional<std::pair<std::int64_t, std::int64_t>> runs;
};

struct HistoryOutcome {
  std::string report;  // the table in the format asked for, or a message when nothing matches (rank 0)
};

// Reads the ledger (never writes it: a file that does not exist is a
// UsageError, not a new ledger) and returns the history table, or with `runs`
// the differences between two runs (a run id that does not exist is a
// UsageError). With plot_dir, also writes the charts and history.md there.
HistoryOutcome history_command(const HistoryRequest& request);

struct SchemaOutcome {
  std::string report;  // the JSON Schema of the spec format (rank 0)
};

SchemaOutcome schema_command();

struct BenchRequest {
  std::vector<std::string> spec_paths;
  std::uint64_t trials = 20000;             // per measurement
  std::optional<std::uint64_t> gpu_trials;  // empty: trials with kCuda, else min(kMaxTrials, 100 x trials)
  int threads = 0;                          // the multi-threaded CPU row's threads, 0 = all
  BackendRequest backend;                   // kAuto: CPU rows, plus GPU rows when a GPU is present
  std::optional<Report::Every> report;      // overrides each spec's report dates
  bool cuda_sweep = false;                  // a GPU row for every kernel variant at block sizes 64, 128, 256
};

// One measured row of the bench table.
struct BenchRow {
  std::string scenario;
  std::string report;  // day, week, month or dates
  std::string label;   // "cpu x4", or "cuda b128 r0 i" (block, register cap, inline or called steps)
  std::uint64_t trials = 0;
  double seconds = 0.0;
  double trials_per_second = 0.0;
  double vs_cpu = 0.0;  // trials/s over the one-thread CPU row's; 0 without one
};

struct BenchOutcome {
  std::vector<BenchRow> rows;
};

// Measures trials per second: a one-thread and a multi-threaded CPU row and
// the GPU rows of each spec. Writes the table's header and each row to
// `table` as it is measured. One process only.
BenchOutcome bench_command(const BenchRequest& request, std::ostream& table);

}  // namespace capplan
