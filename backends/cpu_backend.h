// The CPU backend: runs the shared per-trial simulation over OpenMP threads.
#pragma once

#include <cstdint>

#include "kernels/model.h"

namespace capplan {

// Simulates trials first_trial .. first_trial + count - 1 into
// records[count][record_values(model)], completion_days[count][outcome_count(model)]
// and, when `sampled` is not null, sampled[count][slot_count] (the quantities sampled once).
// Results do not depend on `threads`: each trial's draws are keyed by its number.
void run_trials_cpu(const ModelView& model, std::uint64_t first_trial, std::int64_t count, double* records,
                    int* completion_days, double* sampled, int threads);

// Threads the CPU backend uses when asked for 0 ("all").
int default_cpu_threads();

}  // namespace capplan
