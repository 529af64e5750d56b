// The compiled model: flat, plain-old-data arrays that the per-trial simulation
// reads. Built on the host by planner/model_builder from a validated Spec; the
// same layout is used by every backend (pointers to host or device memory).
#pragma once

#include <cstdint>

#include "kernels/hd.h"
#include "kernels/metrics.h"

namespace capplan {

// Inverse-CDF samplers; parameters precomputed on the host (planner/engine/model_builder.cpp).
enum DistKind : int {
  kDistConstant = 0,    // a
  kDistUniform = 1,     // a + u (b - a)
  kDistTriangular = 2,  // min a, mode b, max c; d = (b - a) / (c - a)
  kDistNormal = 3,      // a + b z, clamped to [c, d]: z = Phi^-1(u_lo + u u_span), or for a
                        // range in the upper tail (flags = 1) z = -Phi^-1(u_lo + (1 - u) u_span)
  kDistLognormal = 4,   // exp(a + b Phi^-1(u'))
  kDistTable = 5,       // a + (b - a) Q(u'), Q of Beta(1/c, 1/d) tabulated (beta, beta-PERT)
  kDistDiscrete = 6,    // table: table_size cumulative weights then table_size values
  kDistBernoulli = 7    // 1 if u > 1 - a else 0 (a = probability)
};

struct DistParams {
  int kind = kDistConstant;
  int table_offset = 0;  // into ModelView::tables
  int table_size = 0;
  double a = 0.0, b = 0.0, c = 0.0, d = 0.0;
  double u_lo = 0.0;  // truncation of the uniform: u' = u_lo + u u_span
  double u_span = 1.0;
  int flags = 0;  // kDistNormal: 1 = sample the truncated range through the upper tail
};

// Layout of a tabulated quantile function Q on [0, 1] (kDistTable):
// kTableBodyIntervals + 1 body points Q(i / kTableBodyIntervals), then
// kTableTailPoints lower-tail points Q(2^-(k + kTableBodyBits)) and
// kTableTailPoints upper-tail points Q(1 - 2^-(k + kTableBodyBits)), k = 0..kTableTailPoints-1.
// Between points, Q is interpolated linearly in (distance to the nearer end)^(1 / shape)
// (kernels/sampling.h), which follows the power law of a Beta quantile near each end.
constexpr int kTableBodyBits = 12;
constexpr int kTableBodyIntervals = 1 << kTableBodyBits;
constexpr int kTableTailPoints = 42;  // down to u = 2^-53, the smallest draw
constexpr int kTableSize = kTableBodyIntervals + 1 + 2 * kTableTailPoints;

// One quantity sampled once per trial, with a stable name (planner/spec/spec.h).
struct QuantitySlot {
  std::uint32_t stream_id = 0;  // FNV-1a hash of the quantity's stable name
  int dist = 0;                 // index into ModelView::dists
};

struct TrancheParams {
  int system = 0;
  int site = 0;
  std::int64_t units = 0;
  int planned_day = 0;         // delivery planned day relative to the horizon start (may be < 0)
  int spread_days = 1;         // >= 1
  std::int64_t per_day = 0;    // units / spread_days: units on each day of the spread ...
  std::int64_t remainder = 0;  // ... plus one on each of the first units % spread_days days
  int slot_slip = 0, slot_burn_in = 0, slot_acceptance = 0, slot_rework = 0, slot_happens = 0;
  std::uint32_t burn_in_stream = 0;  // stream for per-cohort burn-in pass draws
  int fleet = 0;                     // index into ModelView::fleets: its (site, system type) pair
  int after_offset = 0;              // into ModelView::after
  int after_count = 0;
};

struct SiteParams {
  int ready_planned_day = 0;
  int slot_ready = 0;
  int slot_install_rate = 0;
  int power_limited = 0;
  int install_limited = 0;
  double pue = 1.0;
  int power_step_offset = 0;  // into ModelView::power_steps
  int power_step_count = 0;
  int tranche_offset = 0;  // into ModelView::site_tranches (tranche indices in spec order)
  int tranche_count = 0;
  int fleet_offset = 0;  // the site's fleets are ModelView::fleets[fleet_offset .. + fleet_count)
  int fleet_count = 0;
};

struct PowerStepParams {
  int planned_day = 0;
  int slot_slip = 0;
  double add_kw = 0.0;  // facility power added [kW]
};

struct SystemParams {
  int accelerators = 0;
  double power_kw = 0.0;          // IT power per system [kW]
  double tflops = 0.0;            // dense TFLOPS per accelerator at the spec's precision
  double down_probability = 0.0;  // q = f r / (1 + f r), per online system per day
};

// The systems of one type at one site (every pair that some tranche has):
// units go online, and are drawn down for repair each day, per fleet, so that
// a site's failures are its own.
struct FleetParams {
  int site = 0;
  int system = 0;
  std::uint32_t failure_stream = 0;  // stream for the fleet's daily down-count draws
};

enum RiskTargetKind : int { kRiskTargetTranche = 0, kRiskTargetSite = 1, kRiskTargetPower = 2 };

struct RiskTargetParams {
  int kind = kRiskTargetTranche;
  int index = 0;  // tranche index, site index, or global power step index
};

struct RiskParams {
  int slot_occurs = 0;
  int slot_delay = -1;         // -1 when the risk has no delay_days
  int slot_power_factor = -1;  // -1 when the risk has no power_factor
  int target_offset = 0;       // into ModelView::risk_targets
  int target_count = 0;
};

// A connected component of correlated quantities (Gaussian copula).
struct CorrelationComponent {
  int slot_offset = 0;  // into ModelView::correlated_slots
  int size = 0;
  int cholesky_offset = 0;  // into ModelView::cholesky (packed lower triangle, row-major)
};

// The part of the roll-out a recorded block or a milestone is about
// (planner/spec/spec.h Scope): the total, one site, one system type, or the
// largest single-site value of each metric.
enum ScopeKind : int { kScopeTotal = 0, kScopeSite = 1, kScopeSystem = 2, kScopeLargestSite = 3 };

struct ScopeParams {
  int kind = kScopeTotal;
  int index = 0;  // site or system index
};

// The first day on which `metric` in `scope` is at least `at_least`.
struct MilestoneParams {
  ScopeParams scope;
  int metric = 0;
  double at_least = 0.0;
};

struct ModelView {
  std::uint64_t seed = 0;
  int days = 0;  // simulated days 0 .. days-1

  int record_day_count = 0;          // days whose metrics are recorded (report and target dates)
  const int* record_days = nullptr;  // ascending
  // A trial's record is scope_count blocks of record_day_count rows of
  // kMetricCount values: record[(scope x record_day_count + row) x kMetricCount + metric].
  // Block 0 is the total; blocks 1.. are the breakdown scopes.
  int scope_count = 1;
  const ScopeParams* scopes = nullptr;
  int track_fleets = 0;  // 1 when a breakdown or milestone needs per-fleet values

  int milestone_count = 0;
  const MilestoneParams* milestones = nullptr;

  int slot_count = 0;
  const QuantitySlot* slots = nullptr;
  const DistParams* dists = nullptr;
  const double* tables = nullptr;

  int tranche_count = 0;
  const TrancheParams* tranches = nullptr;
  const int* after = nullptr;

  int site_count = 0;
  const SiteParams* sites = nullptr;
  const int* site_tranches = nullptr;

  int power_step_count = 0;
  const PowerStepParams* power_steps = nullptr;

  int system_count = 0;
  const SystemParams* systems = nullptr;

  int fleet_count = 0;  // (site, system type) pairs with a tranche, site-major in spec order
  const FleetParams* fleets = nullptr;

  int risk_count = 0;
  const RiskParams* risks = nullptr;
  const RiskTargetParams* risk_targets = nullptr;

  int component_count = 0;
  const CorrelationComponent* components = nullptr;
  const int* correlated_slots = nullptr;
  const double* cholesky = nullptr;
  int max_component_size = 0;

  int slot_utilization = 0;
};

// Completion days of one trial: one per tranche, then one per milestone.
CAPPLAN_HD_INLINE int outcome_count(const ModelView& m) { return m.tranche_count + m.milestone_count; }

// Values in one trial's record (every block).
CAPPLAN_HD_INLINE std::int64_t record_values(const ModelView& m) {
  return static_cast<std::int64_t>(m.record_day_count) * m.scope_count * kMetricCount;
}

}  // namespace capplan
