// Reading a distribution (a plain number or one of uniform, triangular, pert,
// normal, lognormal, beta, discrete) and checking it against where it is used.
#pragma once

#include <optional>

#include "planner/spec/spec.h"
#include "planner/spec/spec_diagnostics.h"
#include "planner/spec/spec_fields.h"

namespace capplan::loader {

// Where a distribution is used, which decides the values it may take.
enum class Use {
  signed_days,    // slip_days: any sign
  duration,       // burn_in_days, rework_days, delay_days, repair_days: >= 0
  install_rate,   // install_per_day: >= 0, a constant > 0
  unit_interval,  // acceptance, utilization: within [0, 1]
  factor          // power_factor: >= 0
};

// The distribution at `field`, in the sampler's parameters (see Distribution),
// located at the field; nothing after reporting when it is malformed or can
// take values `use` does not allow.
std::optional<Distribution> read_distribution(SpecDiagnostics& diag, const Field& field, Use use);

}  // namespace capplan::loader
