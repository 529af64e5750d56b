// What one trial reports: the metric indices of its record (names and order
// match capplan::metric_names() in planner/spec/spec.h and the forecast.csv rows)
// and the codes of its tranche completion days.
#pragma once

namespace capplan {

enum Metric : int {
  kDeliveredSystems = 0,       // systems delivered to their site (cumulative)
  kInstalledSystems = 1,       // systems installed (cumulative; includes burn-in, online and down)
  kOnlineSystems = 2,          // systems that passed burn-in (includes those down for repair)
  kAvailableAccelerators = 3,  // (online - down) x accelerators per system
  kFacilityPowerMw = 4,        // installed systems' IT power x pue [MW]
  kPeakPflops = 5,             // available accelerators x dense TFLOPS at `precision` / 1000 [PFLOPS]
  kEffectivePflops = 6,        // peak x utilization [PFLOPS]
  kDeliveredFlopE24 = 7,       // cumulative effective compute since day 0 [1e24 FLOP]
  kMetricCount = 8
};

// True for metrics whose value is an integer count (exact histogram bins).
inline constexpr bool metric_is_count(int metric) { return metric <= kAvailableAccelerators; }

// A trial's completion day of a tranche (the day its last unit goes online)
// is a day index 0 .. days - 1, or one of these.
constexpr int kNotCompleted = -1;   // not within the horizon
constexpr int kDoesNotHappen = -2;  // the tranche does not happen in this trial

}  // namespace capplan
