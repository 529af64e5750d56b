// Compiles a validated Spec into the flat model the per-trial simulation reads
// (kernels/model.h), plus what the reports need to label its output.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/metrics.h"
#include "kernels/model.h"
#include "planner/spec/spec.h"

namespace capplan {

// A target, resolved to a record row of a scope's block.
struct CompiledTarget {
  std::string id;
  int metric = 0;
  int scope_block = 0;  // 0 = total, else the block of CompiledModel::scope_names
  int record_index = 0;
  double threshold = 0.0;
  DayNumber date = 0;
};

// How a metric's values become non-negative integers for exact sums and histograms.
struct MetricScale {
  bool is_count = false;
  double unit = 1.0;     // count metrics: value = x * unit exactly (accelerators: gcd per system)
  double maximum = 0.0;  // an upper bound of the metric over every possible trial
};

class CompiledModel {
 public:
  // Storage behind ModelView (kernels/model.h).
  std::vector<QuantitySlot> slots;
  std::vector<std::string> slot_names;  // stable quantity names, one per slot
  std::vector<DistParams> dists;
  std::vector<double> tables;
  std::vector<TrancheParams> tranches;
  std::vector<int> after;
  std::vector<SiteParams> sites;
  std::vector<int> site_tranches;
  std::vector<PowerStepParams> power_steps;
  std::vector<SystemParams> systems;
  std::vector<FleetParams> fleets;
  std::vector<ScopeParams> scopes;  // one per record block; [0] is the total
  std::vector<MilestoneParams> milestones;
  std::vector<RiskParams> risks;
  std::vector<RiskTargetParams> risk_targets;
  std::vector<CorrelationComponent> components;
  std::vector<int> correlated_slots;
  std::vector<double> cholesky;
  int max_component_size = 0;
  int slot_utilization = 0;
  int days = 0;
  std::vector<int> record_days;  // ascending day indices

  // Labels for the reports.
  DayNumber horizon_start = 0;
  std::vector<int> report_rows;  // record rows that are report dates, ascending
  std::vector<CompiledTarget> targets;
  std::vector<Scope> scope_names;          // one per record block, as in the spec; [0] is the total
  int breakdown_blocks = 0;                // blocks 1 .. breakdown_blocks are report.by's (forecast_by.csv); any
                                           // later ones only serve scoped targets
  std::vector<Milestone> milestone_specs;  // as in the spec, one per MilestoneParams
  std::array<MetricScale, kMetricCount> metric_scales{};

  // A view for the host backend; `seed` keys every random stream.
  ModelView view(std::uint64_t seed) const;
  // Values in one trial's record (every scope block), and its completion days
  // (tranches, then milestones).
  std::size_t record_values() const { return record_days.size() * scopes.size() * kMetricCount; }
  std::size_t outcome_count() const { return tranches.size() + milestones.size(); }
};

// Throws SpecError if the spec cannot be compiled (e.g. two quantity names
// hashing to one stream id, which renaming an id resolves).
// `extra_record_dates` are recorded too (e.g. the driver analysis date); they
// must lie inside the horizon.
// `extra_scopes` are recorded too (e.g. the driver analysis's scope); their
// ids must name sites and systems of the spec.
CompiledModel build_model(const Spec& spec, const std::vector<DayNumber>& extra_record_dates = {},
                          const std::vector<Scope>& extra_scopes = {});

// The record block of `scope` (0: the total), or -1 if it is not recorded.
int scope_block(const CompiledModel& model, const Scope& scope);

// The record row of a date that build_model recorded, or -1.
int record_row(const CompiledModel& model, DayNumber date);

// Report day indices (relative to the horizon start) for the spec's `report`.
std::vector<int> report_days(const Spec& spec);

}  // namespace capplan
