// What a compiled model needs in memory, computed from its sizes before
// anything of that size is allocated, and the checks of those needs against
// the budgets of planner/base/limits.h. A need over its budget is an error
// (exit 2) that states the sizes, the budget and how to reduce it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "planner/base/size_text.h"  // format_bytes, grouped_count: the sizes in its messages
#include "planner/engine/model_builder.h"

namespace capplan {

// The parts of a run's memory that grow with the model [bytes].
struct ModelFootprint {
  std::size_t completion_counters = 0;   // (tranches + milestones) x (days + 1) x 8
  std::size_t total_histograms = 0;      // the totals' histograms at the coarsest resolution
  std::size_t breakdown_histograms = 0;  // the other scope blocks' histograms at the coarsest resolution
  std::size_t trial_record = 0;          // one trial's record (every scope block) and completion days
  std::size_t trial_workspace = 0;       // one trial's scratch on the CPU (per thread)
};

ModelFootprint model_footprint(const CompiledModel& model);

// One trial's record (every scope block) and completion days, as a batch holds them [bytes].
std::size_t trial_record_bytes(const CompiledModel& model);

// Throws SpecError (in `spec_file`) if a part of the footprint exceeds its
// budget: completion counters, histograms at the coarsest resolution, the
// records of the smallest batch, one trial's workspace.
void check_model_budgets(const CompiledModel& model, const std::string& spec_file);

// The CPU threads a run of `model` uses: `requested`, or all cores when 0,
// lowered to what kWorkspaceBudgetBytes holds. Throws UsageError if
// `requested` threads' workspaces exceed it.
int cpu_threads_within_budget(const CompiledModel& model, int requested);

// Throws UsageError if keeping the sampled inputs of `sample_trials` trials
// for the driver analysis exceeds kDriverSampleBudgetBytes.
void check_driver_sample_budget(const CompiledModel& model, std::uint64_t sample_trials);

}  // namespace capplan
