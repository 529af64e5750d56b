// The spec sections about uncertainty beyond single distributions: risks (with
// their targets), operations (failures, utilization) and correlation groups.
#pragma once

#include "planner/spec/spec.h"
#include "planner/spec/spec_diagnostics.h"
#include "planner/spec/spec_fields.h"

namespace capplan::loader {

// risks: id -> {probability, delay_days (>= 0), power_factor (>= 0), applies_to: [targets]}.
// Tranches and sites must be read first.
void read_risks(SpecDiagnostics& diag, const Field& field, Spec& spec);

// operations: {failures_per_accelerator_day: >= 0, repair_days: duration, utilization: fraction}.
void read_operations(SpecDiagnostics& diag, const Field& field, Operations& operations);

// correlations: a list of groups {variables, rank_correlation} over the
// quantities the spec samples, so every other section must be read first.
// When every group is well formed, the combined matrix must be reachable
// (positive definite) and no pair may get two values.
void read_correlations(SpecDiagnostics& diag, const Field& field, Spec& spec);

}  // namespace capplan::loader
