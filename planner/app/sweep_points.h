// What `capplan sweep` and `capplan solve` share: the spec file read once,
// each point loaded with its changes after the --set ones, validated,
// compiled and simulated over every rank with the request's trials and seed.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "planner/analysis/sweep.h"
#include "planner/app/command_support.h"
#include "planner/app/commands.h"
#include "planner/ledger/ledger.h"

namespace capplan {

class PointRunner {
 public:
  // Reads the spec file (a SpecError when it cannot be read).
  PointRunner(const std::string& spec_path, SimulationRequest simulation, BackendRequest backend);

  // The spec with `changes` ("PATH=VALUE") applied after the --set options, and
  // its model. A SpecError's every problem starts with `label` ("point 3 (PATH=VALUE)").
  Scenario load(const std::vector<std::string>& changes, const std::string& label) const;
  // Simulates the scenario over every rank (no progress line, no driver
  // sample); the outcome is complete on rank 0. Adds the simulation's seconds
  // to simulate_seconds().
  PointOutcome simulate(const Scenario& scenario);

  // A simulated point as a ledger run of `command` (rank 0): its effective
  // spec, targets and milestones, its wall time since `start`.
  LedgerRun ledger_run(const std::string& command, const Scenario& scenario, const PointOutcome& outcome,
                       std::chrono::steady_clock::time_point start) const;

  const std::string& spec_path() const { return spec_path_; }
  const std::string& spec_text() const { return spec_text_; }
  const SimulationRequest& simulation() const { return simulation_; }
  double simulate_seconds() const { return simulate_seconds_; }
  Backend backend_used() const { return backend_used_; }
  int threads_used() const { return threads_used_; }

 private:
  std::string spec_path_, spec_text_;
  SimulationRequest simulation_;
  BackendRequest backend_;
  double simulate_seconds_ = 0.0;
  Backend backend_used_ = Backend::kCpu;
  int threads_used_ = 1;
};

// "point 3 of 20 (PATH=VALUE, PATH=VALUE)": how messages name a point (numbered from 1).
std::string point_label(std::uint64_t point, std::uint64_t points, const std::vector<std::string>& changes);

// A progress line on stderr ("sweep: point 3/20"), rewritten in place (a
// newline ends it when `last`); nothing when `show` is false.
void show_progress(bool show, const std::string& text, bool last = false);

}  // namespace capplan
