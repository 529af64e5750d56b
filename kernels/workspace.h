// Per-trial scratch memory for the simulation, carved from one buffer so that
// a backend can give each thread (or GPU thread) its own fixed-size slice.
//
// Two layouts, one code path:
//  * kStride = 1 (TrialWorkspace): each trial's arrays are plain contiguous
//    arrays (the CPU backend: one slice per OpenMP thread);
//  * kStride = 32 (BasicWorkspace<kWarpLanes>): the 32 trials of a GPU warp
//    share one group, interleaved element by element -- element i of lane l
//    sits at array[i * 32 + l] -- so when the lanes touch the same element of
//    their own trials (the common case: same day, same tranche) the warp's 32
//    accesses fall into one or two cache lines instead of 32.
// The simulation reads and writes only through LaneArray::operator[], so it
// does the same work, and gives the same bits, in either layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "kernels/hd.h"
#include "kernels/model.h"

namespace capplan {

constexpr int kWarpLanes = 32;  // trials interleaved in one GPU workspace group

// One trial's view of an array: element i at base[i * kStride].
template <class T, int kStride>
struct LaneArray {
  using value_type = T;
  T* base = nullptr;

  LaneArray() = default;
  CAPPLAN_HD_INLINE LaneArray(T* p) : base(p) {}  // NOLINT: a plain pointer is a stride-kStride view
  CAPPLAN_HD_INLINE T& operator[](std::int64_t i) const { return base[i * kStride]; }
  CAPPLAN_HD_INLINE LaneArray operator+(std::int64_t offset) const { return LaneArray(base + offset * kStride); }
};

template <int kStride>
struct BasicWorkspace {
  template <class T>
  using Array = LaneArray<T, kStride>;
  // sampled quantities
  Array<double> uniforms;  // [slot_count] u of each quantity (after the copula)
  Array<double> values;    // [slot_count] Q(u)
  Array<double> normals;   // [max_component_size] independent normals of one component
  // per tranche
  Array<int> delivery_day;  // first delivery day (after slip and risk delays), >= 0
  Array<int> burn_in_days;
  Array<int> rework_days;
  Array<int> happens;  // 0 or 1
  Array<double> acceptance;
  Array<std::int64_t> delivered;  // delivered by the end of the current day
  Array<std::int64_t> installed;  // installed by the end of the current day
  Array<std::int64_t> installed_today;
  Array<std::int64_t> head_day;  // arrival day of the oldest unit not yet installed (kept as installs happen)
  Array<std::int64_t> passed;    // units that pass burn-in within the horizon (resolved at install)
  Array<int> last_pass_day;
  Array<int> fully_installed;  // at the start of the current day (for `after`)
  Array<int> by_delivery;      // tranches that happen, by first delivery day (ties: spec order)
  Array<int> delivering;       // [delivering_count] tranches in their delivery spread today
  Array<int> installed_list;   // [installed_list_count] tranches with units installed today
  // per site
  Array<int> ready_day;
  Array<int> run_length;  // consecutive installable days so far in the current run
  Array<double> install_rate;
  Array<double> power_factor;
  Array<double> installed_kw;   // installed IT power [kW]
  Array<std::int64_t> waiting;  // units delivered to the site and not yet installed
  Array<int> blocked_until;     // nothing is installable before this day unless a delivery or a
                                // completed `after` tranche reopens the site (-1: look again)
  Array<double> available_kw;   // facility power on line [kW] (power-limited sites) ...
  Array<int> power_change_day;  // ... until this day, when the next power step comes on line
  // per power step
  Array<int> power_step_day;
  // per fleet (site x system type)
  Array<std::int64_t> online;
  Array<std::int32_t> online_additions;  // [fleet_count * days] units going online on each day
  Array<std::int64_t> fleet_down;        // down today (drawn at the end of the day)
  // per fleet, kept only when ModelView::track_fleets (breakdowns, milestones by scope)
  Array<std::int64_t> fleet_delivered;
  Array<std::int64_t> fleet_installed;
  Array<double> fleet_flop_e24;  // cumulative effective compute [1e24 FLOP]
  // scalars of the current day
  int delivering_count = 0;
  int installed_list_count = 0;
  std::int64_t installed_systems = 0;  // installed by the end of the current day, all tranches
};

using TrialWorkspace = BasicWorkspace<1>;

namespace detail {

// Calls f(array, element count) for every array of the workspace, in layout order.
template <int kStride, class F>
CAPPLAN_HD_INLINE void for_each_workspace_array(const ModelView& m, BasicWorkspace<kStride>& w, F&& f) {
  const std::int64_t t = m.tranche_count;
  const std::int64_t s = m.site_count;
  f(w.uniforms, m.slot_count);
  f(w.values, m.slot_count);
  f(w.normals, m.max_component_size);
  f(w.delivery_day, t);
  f(w.burn_in_days, t);
  f(w.rework_days, t);
  f(w.happens, t);
  f(w.acceptance, t);
  f(w.delivered, t);
  f(w.installed, t);
  f(w.installed_today, t);
  f(w.head_day, t);
  f(w.passed, t);
  f(w.last_pass_day, t);
  f(w.fully_installed, t);
  f(w.by_delivery, t);
  f(w.delivering, t);
  f(w.installed_list, t);
  f(w.ready_day, s);
  f(w.run_length, s);
  f(w.install_rate, s);
  f(w.power_factor, s);
  f(w.installed_kw, s);
  f(w.waiting, s);
  f(w.blocked_until, s);
  f(w.available_kw, s);
  f(w.power_change_day, s);
  f(w.power_step_day, m.power_step_count);
  f(w.online, m.fleet_count);
  f(w.online_additions, static_cast<std::int64_t>(m.fleet_count) * m.days);
  f(w.fleet_down, m.fleet_count);
  const std::int64_t tracked = m.track_fleets ? m.fleet_count : 0;
  f(w.fleet_delivered, tracked);
  f(w.fleet_installed, tracked);
  f(w.fleet_flop_e24, tracked);
}

// Lays out the arrays of a group of kStride trials from `base` (may be null
// to only count) as seen by trial `lane` of the group; returns the group's bytes.
// Each array of the group starts on a 16-byte (kStride 1) or 128-byte boundary.
template <int kStride>
CAPPLAN_HD_INLINE std::size_t layout_workspace(const ModelView& m, char* base, int lane, BasicWorkspace<kStride>* ws) {
  constexpr std::size_t kAlignment = kStride == 1 ? 16 : 128;
  BasicWorkspace<kStride> w;
  std::size_t offset = 0;
  for_each_workspace_array(m, w, [&](auto& array, std::int64_t count) {
    using T = typename std::decay_t<decltype(array)>::value_type;
    if (base) array.base = reinterpret_cast<T*>(base + offset) + lane;
    const std::size_t bytes = sizeof(T) * static_cast<std::size_t>(count) * kStride;
    offset += (bytes + kAlignment - 1) / kAlignment * kAlignment;
  });
  if (ws) *ws = w;
  return offset;
}

}  // namespace detail

// Bytes of scratch one trial needs (a multiple of 16).
CAPPLAN_HD_INLINE std::size_t workspace_bytes(const ModelView& m) {
  return detail::layout_workspace<1>(m, nullptr, 0, nullptr);
}

// The workspace laid out in `base` (16-byte aligned, workspace_bytes(m) long).
CAPPLAN_HD_INLINE TrialWorkspace carve_workspace(const ModelView& m, char* base) {
  TrialWorkspace w;
  detail::layout_workspace<1>(m, base, 0, &w);
  return w;
}

// Bytes of scratch of one interleaved group of kStride trials (a multiple of 128).
template <int kStride>
CAPPLAN_HD_INLINE std::size_t group_workspace_bytes(const ModelView& m) {
  return detail::layout_workspace<kStride>(m, nullptr, 0, nullptr);
}

// Trial `lane` (0 .. kStride-1) of the interleaved group at `group_base`
// (128-byte aligned, group_workspace_bytes<kStride>(m) long).
template <int kStride>
CAPPLAN_HD_INLINE BasicWorkspace<kStride> carve_group_workspace(const ModelView& m, char* group_base, int lane) {
  BasicWorkspace<kStride> w;
  detail::layout_workspace<kStride>(m, group_base, lane, &w);
  return w;
}

}  // namespace capplan
