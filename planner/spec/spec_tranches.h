// The tranches section: delivery batches of systems to sites, and the order
// between them that `after` sets.
#pragma once

#include "planner/spec/spec.h"
#include "planner/spec/spec_diagnostics.h"
#include "planner/spec/spec_fields.h"

namespace capplan::loader {

// tranches: id -> {system, site, units, probability, delivery, burn_in_days,
// acceptance, rework_days, after}. Systems and sites must be read first. Once
// every tranche is read, `after` entries are checked: other tranches, once
// each, without cycles.
void read_tranches(SpecDiagnostics& diag, const Field& field, Spec& spec);

}  // namespace capplan::loader
