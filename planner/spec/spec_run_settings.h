// The spec sections that say what is simulated and reported: horizon,
// simulation, report and targets.
#pragma once

#include <vector>

#include "planner/spec/spec.h"
#include "planner/spec/spec_diagnostics.h"
#include "planner/spec/spec_fields.h"

namespace capplan::loader {

// horizon: {start, end}; end >= start, at most kMaxHorizonDays. Sets `horizon`
// and returns true only when it was read without problems.
bool read_horizon(SpecDiagnostics& diag, const Field& field, Horizon& horizon);

// simulation: {trials: 1 .. kMaxTrials, seed: 0 .. kMaxSeed}.
void read_simulation(SpecDiagnostics& diag, const Field& field, Spec& spec);

// In the next two, `horizon` is null when the horizon had problems; dates are
// then not checked against it.

// report: {every: day | week | month | [dates], quantiles: [ascending, distinct, in (0, 1)],
//          by: [distinct of site, system, largest-site]}.
void read_report(SpecDiagnostics& diag, const Field& field, const Horizon* horizon, Report& report);

// targets: id -> {metric: a metric name, scope: a scope of the spec (default total),
// date: inside the horizon, at_least: number >= 0}. Needs the sites and systems read.
void read_targets(SpecDiagnostics& diag, const Field& field, const Horizon* horizon, Spec& spec);

// milestones: id -> {metric: a metric name, scope (default total), at_least: number >= 0}.
void read_milestones(SpecDiagnostics& diag, const Field& field, Spec& spec);

}  // namespace capplan::loader
