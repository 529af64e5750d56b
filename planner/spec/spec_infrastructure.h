// The spec sections that say what is installed and where: accelerators,
// systems and sites (with their power steps).
#pragma once

#include <string>
#include <unordered_map>

#include "planner/spec/spec.h"
#include "planner/spec/spec_diagnostics.h"
#include "planner/spec/spec_fields.h"

namespace capplan::loader {

// Accelerator id -> where its dense_tflops map is, for check_precision.
using TflopsLocations = std::unordered_map<std::string, SourceLocation>;

// accelerators: id -> {dense_tflops: {precision: TFLOPS > 0, ...}}. Fills
// spec.accelerators and records each dense_tflops map in `tflops_where`.
void read_accelerators(SpecDiagnostics& diag, const Field& field, Spec& spec, TflopsLocations& tflops_where);

// systems: id -> {accelerator: <id>, accelerators: 1 .. kMaxAcceleratorsPerSystem,
// power_kw: >= 0}; accelerators must be read first.
void read_systems(SpecDiagnostics& diag, const Field& field, Spec& spec);

// Every accelerator used by a system must have a dense_tflops entry at spec.precision.
void check_precision(SpecDiagnostics& diag, const Spec& spec, const TflopsLocations& tflops_where);

// sites: id -> {ready: {planned, slip_days}, power_mw: [...], pue: >= 1,
// install_per_day: rate}; the horizon must be read first (a site is ready from
// its start by default).
void read_sites(SpecDiagnostics& diag, const Field& field, Spec& spec);

}  // namespace capplan::loader
