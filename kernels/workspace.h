// Per-trial scratch memory for the simulation, carved from one buffer so that
// a backend can give each thread (or GPU thread) its own fixed-size slice.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/hd.h"
#include "kernels/model.h"

namespace capplan {

struct TrialWorkspace {
  // sampled quantities
  double* uniforms;  // [slot_count] u of each quantity (after the copula)
  double* values;    // [slot_count] Q(u)
  double* normals;   // [max_component_size] independent normals of one component
  // per tranche
  int* delivery_day;  // first delivery day (after slip and risk delays), >= 0
  int* burn_in_days;
  int* rework_days;
  int* happens;  // 0 or 1
  double* acceptance;
  std::int64_t* delivered;  // delivered by the end of the current day
  std::int64_t* installed;  // installed by the end of the current day
  std::int64_t* installed_today;
  std::int64_t* passed;  // units that pass burn-in within the horizon (resolved at install)
  int* last_pass_day;
  int* fully_installed;  // at the start of the current day (for `after`)
  int* by_delivery;      // tranches that happen, by first delivery day (ties: spec order)
  int* delivering;       // [delivering_count] tranches in their delivery spread today
  int* installed_list;   // [installed_list_count] tranches with units installed today
  // per site
  int* ready_day;
  int* run_length;  // consecutive installable days so far in the current run
  double* install_rate;
  double* power_factor;
  double* installed_kw;   // installed IT power [kW]
  std::int64_t* waiting;  // units delivered to the site and not yet installed
  int* blocked_until;     // nothing is installable before this day unless a delivery or a
                          // completed `after` tranche reopens the site (-1: look again)
  double* available_kw;   // facility power on line [kW] (power-limited sites) ...
  int* power_change_day;  // ... until this day, when the next power step comes on line
  // per power step
  int* power_step_day;
  // per system type
  std::int64_t* online;
  std::int32_t* online_additions;  // [system_count * days] units going online on each day
  // scalars of the current day
  int delivering_count;
  int installed_list_count;
  std::int64_t installed_systems;  // installed by the end of the current day, all tranches
};

namespace detail {
CAPPLAN_HD_INLINE std::size_t align_up(std::size_t n) { return (n + 15) & ~static_cast<std::size_t>(15); }

// Lays the arrays out from `base` (may be null to only count); returns bytes used.
CAPPLAN_HD_INLINE std::size_t layout_workspace(const ModelView& m, char* base, TrialWorkspace* ws) {
  std::size_t offset = 0;
  auto take = [&](std::size_t bytes) -> char* {
    char* p = base ? base + offset : nullptr;
    offset += align_up(bytes);
    return p;
  };
  const std::size_t t = static_cast<std::size_t>(m.tranche_count);
  const std::size_t s = static_cast<std::size_t>(m.site_count);
  TrialWorkspace w;
  w.uniforms = reinterpret_cast<double*>(take(sizeof(double) * m.slot_count));
  w.values = reinterpret_cast<double*>(take(sizeof(double) * m.slot_count));
  w.normals = reinterpret_cast<double*>(take(sizeof(double) * m.max_component_size));
  w.delivery_day = reinterpret_cast<int*>(take(sizeof(int) * t));
  w.burn_in_days = reinterpret_cast<int*>(take(sizeof(int) * t));
  w.rework_days = reinterpret_cast<int*>(take(sizeof(int) * t));
  w.happens = reinterpret_cast<int*>(take(sizeof(int) * t));
  w.acceptance = reinterpret_cast<double*>(take(sizeof(double) * t));
  w.delivered = reinterpret_cast<std::int64_t*>(take(sizeof(std::int64_t) * t));
  w.installed = reinterpret_cast<std::int64_t*>(take(sizeof(std::int64_t) * t));
  w.installed_today = reinterpret_cast<std::int64_t*>(take(sizeof(std::int64_t) * t));
  w.passed = reinterpret_cast<std::int64_t*>(take(sizeof(std::int64_t) * t));
  w.last_pass_day = reinterpret_cast<int*>(take(sizeof(int) * t));
  w.fully_installed = reinterpret_cast<int*>(take(sizeof(int) * t));
  w.by_delivery = reinterpret_cast<int*>(take(sizeof(int) * t));
  w.delivering = reinterpret_cast<int*>(take(sizeof(int) * t));
  w.installed_list = reinterpret_cast<int*>(take(sizeof(int) * t));
  w.ready_day = reinterpret_cast<int*>(take(sizeof(int) * s));
  w.run_length = reinterpret_cast<int*>(take(sizeof(int) * s));
  w.install_rate = reinterpret_cast<double*>(take(sizeof(double) * s));
  w.power_factor = reinterpret_cast<double*>(take(sizeof(double) * s));
  w.installed_kw = reinterpret_cast<double*>(take(sizeof(double) * s));
  w.waiting = reinterpret_cast<std::int64_t*>(take(sizeof(std::int64_t) * s));
  w.blocked_until = reinterpret_cast<int*>(take(sizeof(int) * s));
  w.available_kw = reinterpret_cast<double*>(take(sizeof(double) * s));
  w.power_change_day = reinterpret_cast<int*>(take(sizeof(int) * s));
  w.power_step_day = reinterpret_cast<int*>(take(sizeof(int) * m.power_step_count));
  w.online = reinterpret_cast<std::int64_t*>(take(sizeof(std::int64_t) * m.system_count));
  w.online_additions =
      reinterpret_cast<std::int32_t*>(take(sizeof(std::int32_t) * static_cast<std::size_t>(m.system_count) * m.days));
  w.delivering_count = 0;
  w.installed_list_count = 0;
  w.installed_systems = 0;
  if (ws) *ws = w;
  return offset;
}
}  // namespace detail

// Bytes of scratch one trial needs (a multiple of 16).
CAPPLAN_HD_INLINE std::size_t workspace_bytes(const ModelView& m) {
  return detail::layout_workspace(m, nullptr, nullptr);
}

// The workspace laid out in `base` (16-byte aligned, workspace_bytes(m) long).
CAPPLAN_HD_INLINE TrialWorkspace carve_workspace(const ModelView& m, char* base) {
  TrialWorkspace w;
  detail::layout_workspace(m, base, &w);
  return w;
}

}  // namespace capplan
