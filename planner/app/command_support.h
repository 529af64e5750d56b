// What the commands (planner/app/commands.h) share: loading a spec with the
// request's changes, the run options of this rank, and the checks of values
// that name the option they came from.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "planner/app/commands.h"
#include "planner/base/parallel.h"
#include "planner/engine/model_builder.h"
#include "planner/engine/run_driver.h"
#include "planner/engine/statistics.h"
#include "planner/ledger/ledger.h"
#include "planner/spec/spec.h"

namespace capplan {

// A spec with the request's changes applied, and its compiled model.
struct Scenario {
  Spec spec;
  std::unique_ptr<CompiledModel> model;
};

// Loads the spec at `path` with the request's --set changes, trial count and
// seed, and compiles it with `extra_dates` as record dates (each must lie
// inside the horizon: a UsageError naming --driver-date otherwise) and
// `extra_scopes` recorded (each must name a site or system of the spec: a
// UsageError naming --driver-scope otherwise).
Scenario load_scenario(const std::string& path, const SimulationRequest& request,
                       const std::vector<DayNumber>& extra_dates = {}, const std::vector<Scope>& extra_scopes = {});
// The same for a spec already loaded (its --set changes applied): the
// request's trials and seed, then the compiled model.
Scenario compile_scenario(Spec spec, const SimulationRequest& request, const std::vector<DayNumber>& extra_dates = {},
                          const std::vector<Scope>& extra_scopes = {});

// This rank's options for simulating `scenario`: its trials and seed, one GPU
// per rank on a node (ranks beyond the node's GPUs share GPU 0).
RunOptions run_options(const Scenario& scenario, const SimulationRequest& request, const BackendRequest& backend,
                       const Communicator& communicator);

// The ledger the request names (--ledger, else $CAPPLAN_LEDGER), checked on
// rank 0 (a UsageError, the file untouched, when it is not a ledger this
// capplan can use); nothing on other ranks or when there is none. Only rank 0 records.
std::optional<Ledger> open_ledger(const SimulationRequest& request, const Communicator& communicator);

// A simulated scenario as a ledger run of `command` (rank 0), with every result
// of `stats`, its wall time since `wall_start` and its status.
LedgerRun simulated_run(const std::string& command, const Scenario& scenario, const ForecastStatistics& stats,
                        Backend backend, std::chrono::steady_clock::time_point wall_start,
                        const std::string& status = "ok");

// Records `runs` as one group when there is a ledger (a RuntimeFailure, exit 3,
// when it cannot be written: the command's outputs are already complete).
void record_in_ledger(const std::optional<Ledger>& ledger, std::vector<LedgerRun> runs);
// The same for the runs `make` returns, made only when there is a ledger (a
// simulated run's record holds its tables).
void record_in_ledger(const std::optional<Ledger>& ledger, const std::function<std::vector<LedgerRun>()>& make);

// `trials` if it is a trial count a run accepts (1 .. kMaxTrials), else a
// UsageError naming `option`.
std::uint64_t checked_trials(std::int64_t trials, const char* option = "--trials");
std::uint64_t checked_trials(std::uint64_t trials, const char* option = "--trials");

}  // namespace capplan
