// The straightforward day-by-day trial (every tranche and every site visited
// every day), kept for tests only: kernels/trial.h's simulate_trial() skips
// what cannot change and must give exactly the same bits
// (tests/test_equivalence.cpp). Shares the sampling and burn-in code.
#pragma once

#include <cstdint>

#include "kernels/trial.h"

namespace capplan::reference {

// Installs at site `s` on day `d` (installation rule: docs/spec-format.md §4.4).
inline void install_at_site(const ModelView& m, int s, int d, TrialWorkspace& w) {
  using namespace capplan::detail;
  const SiteParams& site = m.sites[s];
  if (d < w.ready_day[s]) {
    w.run_length[s] = 0;
    return;
  }
  const int* site_tranches = m.site_tranches + site.tranche_offset;
  bool any_waiting = false;  // the common case on most days: nothing to install
  for (int i = 0; i < site.tranche_count && !any_waiting; ++i) {
    any_waiting = w.delivered[site_tranches[i]] > w.installed[site_tranches[i]];
  }
  if (!any_waiting) {
    w.run_length[s] = 0;
    return;
  }
  double available_kw = 0.0;
  if (site.power_limited) {
    for (int p = 0; p < site.power_step_count; ++p) {
      const int step = site.power_step_offset + p;
      if (w.power_step_day[step] <= d) available_kw += m.power_steps[step].add_kw;
    }
    available_kw = available_kw * w.power_factor[s];
  }

  // Systems of tranche t that may be installed now, power permitting: 0 if blocked.
  auto installable = [&](int t) -> std::int64_t {
    if (!w.happens[t]) return 0;
    const TrancheParams& tp = m.tranches[t];
    const std::int64_t waiting = w.delivered[t] - w.installed[t];
    if (waiting <= 0) return 0;
    for (int a = 0; a < tp.after_count; ++a) {
      if (!w.fully_installed[m.after[tp.after_offset + a]]) return 0;
    }
    if (!site.power_limited) return waiting;
    const std::int64_t fit = systems_that_fit(w.installed_kw[s], m.systems[tp.system].power_kw, site.pue, available_kw);
    return min64(waiting, fit);
  };

  bool any_installable = false;
  for (int i = 0; i < site.tranche_count && !any_installable; ++i) any_installable = installable(site_tranches[i]) > 0;
  if (!any_installable) {
    w.run_length[s] = 0;  // a day with nothing installable banks nothing
    return;
  }
  const int k = ++w.run_length[s];
  std::int64_t quota = install_quota(site, w.install_rate[s], k);
  // Install in order of arrival (ties: spec order), first fit under the power limit.
  while (quota > 0) {
    OldestTwo oldest;
    for (int i = 0; i < site.tranche_count; ++i) {
      const int t = site_tranches[i];
      const std::int64_t count = installable(t);
      if (count <= 0) continue;
      oldest.consider(t, w.delivery_day[t] + unit_arrival_offset(m.tranches[t], w.installed[t]), count);
    }
    const int best = oldest.best;
    if (best < 0) break;
    const std::int64_t n = units_to_install(m, w, quota, oldest);
    w.installed[best] += n;
    w.installed_today[best] += n;
    w.installed_kw[s] = w.installed_kw[s] + static_cast<double>(n) * m.systems[m.tranches[best].system].power_kw;
    quota -= n;
  }
}

// One trial, every tranche and site visited every day.
inline void simulate_trial(const ModelView& m, std::uint32_t trial, TrialWorkspace& w, TrialOutput out) {
  sample_trial_quantities(m, trial, w);
  apply_trial_quantities(m, w);
  const double utilization = w.values[m.slot_utilization];

  for (int t = 0; t < m.tranche_count; ++t) {
    w.delivered[t] = 0;
    w.installed[t] = 0;
    w.passed[t] = 0;
    w.last_pass_day[t] = -1;
  }
  for (int s = 0; s < m.site_count; ++s) {
    w.run_length[s] = 0;
    w.installed_kw[s] = 0.0;
  }
  for (int f = 0; f < m.fleet_count; ++f) w.online[f] = 0;
  const std::int64_t addition_count = static_cast<std::int64_t>(m.fleet_count) * m.days;
  for (std::int64_t i = 0; i < addition_count; ++i) w.online_additions[i] = 0;

  double delivered_flop_e24 = 0.0;
  int next_record = 0;
  for (int d = 0; d < m.days; ++d) {
    std::int64_t delivered_systems = 0;
    for (int t = 0; t < m.tranche_count; ++t) {
      const TrancheParams& tp = m.tranches[t];
      w.delivered[t] = w.happens[t] ? detail::cumulative_delivered(tp, w.delivery_day[t], d) : 0;
      delivered_systems += w.delivered[t];
      // `after` sees the state at the start of the day; a tranche that does not happen never blocks.
      w.fully_installed[t] = (!w.happens[t] || w.installed[t] >= tp.units) ? 1 : 0;
      w.installed_today[t] = 0;
    }
    for (int s = 0; s < m.site_count; ++s) reference::install_at_site(m, s, d, w);

    std::int64_t installed_systems = 0;
    for (int t = 0; t < m.tranche_count; ++t) {
      installed_systems += w.installed[t];
      if (w.installed_today[t] > 0) detail::resolve_burn_in(m, trial, t, d, w.installed_today[t], w);
    }

    detail::close_day(m, trial, d, utilization, delivered_systems, installed_systems, w, out, delivered_flop_e24,
                      next_record);
  }
  detail::close_trial(m, w, out);
}

}  // namespace capplan::reference
