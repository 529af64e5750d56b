// The per-trial roll-out simulation: one trial, day by day, by the model's
// rules (docs/spec-format.md §4). Written once for every backend: no
// allocation, exceptions, virtual calls or host-only library calls; only
// correctly rounded floating point (no contraction), so CPU and GPU give the
// same bits.
#pragma once

#include <cstdint>

#include "kernels/binomial.h"
#include "kernels/fmath.h"
#include "kernels/hd.h"
#include "kernels/metrics.h"
#include "kernels/model.h"
#include "kernels/rng.h"
#include "kernels/sampling.h"
#include "kernels/workspace.h"

namespace capplan {

// What one trial produces (kStride: see kernels/workspace.h).
template <int kStride>
struct BasicTrialOutput {
  LaneArray<double, kStride> record;       // [record_day_count * kMetricCount] metrics at the end of each record day
  LaneArray<int, kStride> completion_day;  // [tranche_count + milestone_count] day the tranche's last unit
                                           // goes online; -1 if not within the horizon, -2 if the tranche
                                           // does not happen in this trial; then each milestone's first
                                           // day reached, -1 if not within the horizon
  double* sampled = nullptr;               // optional [slot_count]: the values of the quantities sampled once (drivers)
};
using TrialOutput = BasicTrialOutput<1>;

// 1 PFLOPS for one day (86400 s) = 8.64e19 FLOP = 8.64e-5 x 1e24 FLOP.
constexpr double kE24FlopPerPflopsDay = 8.64e-5;

namespace detail {

constexpr std::int64_t kUnlimited = std::int64_t(1) << 50;
constexpr int kDayLimit = 100000000;  // keeps day arithmetic far from int overflow

CAPPLAN_HD_INLINE int clamp_day(std::int64_t day) {
  if (day < -kDayLimit) return -kDayLimit;
  if (day > kDayLimit) return kDayLimit;
  return static_cast<int>(day);
}

CAPPLAN_HD_INLINE std::int64_t min64(std::int64_t a, std::int64_t b) { return a < b ? a : b; }

// Units of tranche `t` delivered by the end of day `day` (even spread, remainder first).
CAPPLAN_HD_INLINE std::int64_t cumulative_delivered(const TrancheParams& t, int first_day, int day) {
  if (day < first_day) return 0;
  const std::int64_t elapsed = static_cast<std::int64_t>(day) - first_day + 1;
  if (elapsed >= t.spread_days) return t.units;
  return elapsed * t.per_day + min64(elapsed, t.remainder);
}

// Day (relative to the first delivery day) on which unit `i` (0-based) arrives.
CAPPLAN_HD_INLINE std::int64_t unit_arrival_offset(const TrancheParams& t, std::int64_t i) {
  const std::int64_t in_long_days = t.remainder * (t.per_day + 1);
  if (i < in_long_days) return i / (t.per_day + 1);
  return t.remainder + (i - in_long_days) / t.per_day;
}

}  // namespace detail

// Draws every quantity sampled once per trial into w.values (w.uniforms holds
// the probabilities after the copula).
template <class Workspace>
CAPPLAN_HD_INLINE void sample_trial_quantities(const ModelView& m, std::uint32_t trial, Workspace& w) {
  for (int i = 0; i < m.slot_count; ++i) {
    w.uniforms[i] = single_uniform(m.seed, trial, m.slots[i].stream_id);
  }
  // Gaussian copula: x = L z over each component; u = Phi(x), kept strictly inside (0, 1).
  for (int c = 0; c < m.component_count; ++c) {
    const CorrelationComponent& comp = m.components[c];
    const int* slots = m.correlated_slots + comp.slot_offset;
    for (int j = 0; j < comp.size; ++j) w.normals[j] = fmath::norm_inv(w.uniforms[slots[j]]);
    const double* row = m.cholesky + comp.cholesky_offset;
    for (int j = 0; j < comp.size; ++j) {
      double x = 0.0;
      for (int k = 0; k <= j; ++k) x += row[k] * w.normals[k];
      row += j + 1;
      double u = fmath::norm_cdf(x);
      const double smallest = 1.0 / 9007199254740992.0;  // 2^-53, the extremes of a direct draw
      if (u < smallest) u = smallest;
      if (u > 1.0 - smallest) u = 1.0 - smallest;
      w.uniforms[slots[j]] = u;
    }
  }
  for (int i = 0; i < m.slot_count; ++i) {
    w.values[i] = sample_quantile(m.dists[m.slots[i].dist], m.tables, w.uniforms[i]);
  }
}

// Turns the sampled quantities into this trial's dates, rates and factors.
template <class Workspace>
CAPPLAN_HD_INLINE void apply_trial_quantities(const ModelView& m, Workspace& w) {
  const auto v = w.values;
  for (int t = 0; t < m.tranche_count; ++t) {
    const TrancheParams& tp = m.tranches[t];
    w.delivery_day[t] = detail::clamp_day(static_cast<std::int64_t>(tp.planned_day) + round_days(v[tp.slot_slip]));
    const int burn_in = round_days(v[tp.slot_burn_in]);
    const int rework = round_days(v[tp.slot_rework]);
    w.burn_in_days[t] = burn_in < 0 ? 0 : burn_in;
    w.rework_days[t] = rework < 0 ? 0 : rework;
    double acceptance = v[tp.slot_acceptance];
    w.acceptance[t] = acceptance < 0.0 ? 0.0 : (acceptance > 1.0 ? 1.0 : acceptance);
    w.happens[t] = v[tp.slot_happens] != 0.0 ? 1 : 0;
  }
  for (int s = 0; s < m.site_count; ++s) {
    const SiteParams& sp = m.sites[s];
    w.ready_day[s] = detail::clamp_day(static_cast<std::int64_t>(sp.ready_planned_day) + round_days(v[sp.slot_ready]));
    const double rate = v[sp.slot_install_rate];
    w.install_rate[s] = rate < 0.0 ? 0.0 : rate;
    w.power_factor[s] = 1.0;
  }
  for (int p = 0; p < m.power_step_count; ++p) {
    const PowerStepParams& pp = m.power_steps[p];
    w.power_step_day[p] = detail::clamp_day(static_cast<std::int64_t>(pp.planned_day) + round_days(v[pp.slot_slip]));
  }
  // Risks, in spec order: delays add to the delays they apply to; power factors multiply.
  for (int r = 0; r < m.risk_count; ++r) {
    const RiskParams& rp = m.risks[r];
    if (v[rp.slot_occurs] == 0.0) continue;
    const int delay = rp.slot_delay >= 0 ? round_days(v[rp.slot_delay]) : 0;
    const double factor = rp.slot_power_factor >= 0 ? v[rp.slot_power_factor] : 1.0;
    for (int i = 0; i < rp.target_count; ++i) {
      const RiskTargetParams& target = m.risk_targets[rp.target_offset + i];
      if (target.kind == kRiskTargetTranche) {
        w.delivery_day[target.index] =
            detail::clamp_day(static_cast<std::int64_t>(w.delivery_day[target.index]) + delay);
      } else if (target.kind == kRiskTargetSite) {
        w.ready_day[target.index] = detail::clamp_day(static_cast<std::int64_t>(w.ready_day[target.index]) + delay);
        if (rp.slot_power_factor >= 0) w.power_factor[target.index] *= (factor < 0.0 ? 0.0 : factor);
      } else {
        w.power_step_day[target.index] =
            detail::clamp_day(static_cast<std::int64_t>(w.power_step_day[target.index]) + delay);
      }
    }
  }
  // Dates before the horizon start count as day 0.
  for (int t = 0; t < m.tranche_count; ++t) w.delivery_day[t] = w.delivery_day[t] < 0 ? 0 : w.delivery_day[t];
  for (int s = 0; s < m.site_count; ++s) w.ready_day[s] = w.ready_day[s] < 0 ? 0 : w.ready_day[s];
  for (int p = 0; p < m.power_step_count; ++p) w.power_step_day[p] = w.power_step_day[p] < 0 ? 0 : w.power_step_day[p];
}

namespace detail {

// How many more systems of `power_kw` fit at a site: the largest n with
// (installed_kw + n power_kw) x pue <= available_kw.
CAPPLAN_HD_INLINE std::int64_t systems_that_fit(double installed_kw, double power_kw, double pue, double available_kw) {
  if (power_kw <= 0.0) return kUnlimited;
  const double room = available_kw / pue - installed_kw;  // IT kW still free (estimate)
  const double estimate = room > 0.0 ? floor(room / power_kw) : 0.0;
  if (estimate >= 1.0e15) return kUnlimited;  // tiny systems: more fit than could ever be delivered
  std::int64_t n = static_cast<std::int64_t>(estimate);
  while (n > 0 && (installed_kw + static_cast<double>(n) * power_kw) * pue > available_kw) --n;
  while ((installed_kw + static_cast<double>(n + 1) * power_kw) * pue <= available_kw) ++n;
  return n;
}

// Today's installation quota of a site [systems] on the k-th consecutive
// installable day: floor(rate k) - floor(rate (k - 1)), so a fractional rate
// installs on some days and not others; unused quota is lost.
CAPPLAN_HD_INLINE std::int64_t install_quota(const SiteParams& site, double rate, int k) {
  if (!site.install_limited) return kUnlimited;
  double today = floor(rate * k) - floor(rate * (k - 1));
  if (today > 1.0e15) today = 1.0e15;
  return static_cast<std::int64_t>(today);
}

// Among the installable tranches of a site, the one whose oldest waiting unit
// arrived first (ties: the one considered first, i.e. spec order), and the
// runner-up's oldest arrival day.
struct OldestTwo {
  int best = -1, second = -1;
  std::int64_t best_head = 0, second_head = 0, best_count = 0;
  CAPPLAN_HD_INLINE void consider(int t, std::int64_t head, std::int64_t count) {
    if (best < 0 || head < best_head) {
      second = best;
      second_head = best_head;
      best = t;
      best_head = head;
      best_count = count;
    } else if (second < 0 || head < second_head) {
      second = t;
      second_head = head;
    }
  }
};

// How many units of the best tranche to install next under `quota`: when
// another tranche also has units waiting, only the best one's units that
// arrived before the other's oldest (the same day too, when the best comes
// first in the spec).
template <class Workspace>
CAPPLAN_HD_INLINE std::int64_t units_to_install(const ModelView& m, const Workspace& w, std::int64_t quota,
                                                const OldestTwo& oldest) {
  std::int64_t n = min64(quota, oldest.best_count);
  if (oldest.second >= 0) {
    const std::int64_t limit_day = oldest.best < oldest.second ? oldest.second_head : oldest.second_head - 1;
    const std::int64_t limit = limit_day > 2000000000 ? 2000000000 : limit_day;
    const int best = oldest.best;
    const std::int64_t eligible =
        cumulative_delivered(m.tranches[best], w.delivery_day[best], static_cast<int>(limit)) - w.installed[best];
    n = min64(n, eligible);
  }
  return n;
}

// Installs at site `s` on day `d` (installation rule: docs/spec-format.md §4.4).
//
// Cost: most site-days have nothing to do. A site with nothing waiting returns
// at once; a site whose waiting units are all blocked (power, `after`) records
// the day it can next change by itself (its next power step) and is not looked
// at again before then, unless a delivery to it or a tranche completing its
// installation (which can release an `after`) reopens it (blocked_until = -1).
template <class Workspace>
CAPPLAN_HD_INLINE void install_at_site(const ModelView& m, int s, int d, Workspace& w) {
  const SiteParams& site = m.sites[s];
  if (d < w.ready_day[s] || w.waiting[s] == 0 || d < w.blocked_until[s]) {
    w.run_length[s] = 0;
    return;
  }
  const int* site_tranches = m.site_tranches + site.tranche_offset;
  // Facility power available today [kW]: changes only when a power step comes
  // on line, so it is summed again (in step order: same bits) only then, in
  // the same pass that finds the next such day (kDayLimit + 1 if none).
  if (site.power_limited && d >= w.power_change_day[s]) {
    double sum_kw = 0.0;
    int next_change = kDayLimit + 1;
    for (int p = 0; p < site.power_step_count; ++p) {
      const int step = site.power_step_offset + p;
      const int day = w.power_step_day[step];
      if (day <= d) {
        sum_kw += m.power_steps[step].add_kw;
      } else if (day < next_change) {
        next_change = day;
      }
    }
    w.available_kw[s] = sum_kw * w.power_factor[s];
    w.power_change_day[s] = next_change;
  }
  const double available_kw = w.available_kw[s];

  // Systems of tranche t that may be installed now, power permitting: 0 if blocked.
  // (A tranche that does not happen has nothing delivered, so nothing waiting.)
  auto installable = [&](int t) -> std::int64_t {
    const std::int64_t waiting = w.delivered[t] - w.installed[t];
    if (waiting <= 0) return 0;
    const TrancheParams& tp = m.tranches[t];
    for (int a = 0; a < tp.after_count; ++a) {
      if (!w.fully_installed[m.after[tp.after_offset + a]]) return 0;
    }
    if (!site.power_limited) return waiting;
    const std::int64_t fit = systems_that_fit(w.installed_kw[s], m.systems[tp.system].power_kw, site.pue, available_kw);
    return min64(waiting, fit);
  };

  OldestTwo oldest;
  auto find_oldest = [&]() {
    oldest = OldestTwo();
    for (int i = 0; i < site.tranche_count; ++i) {
      const int t = site_tranches[i];
      const std::int64_t count = installable(t);
      if (count > 0) oldest.consider(t, w.head_day[t], count);
    }
  };
  find_oldest();
  if (oldest.best < 0) {
    w.run_length[s] = 0;  // a day with nothing installable banks nothing
    w.blocked_until[s] = site.power_limited ? w.power_change_day[s] : kDayLimit + 1;
    return;
  }
  const int k = ++w.run_length[s];
  std::int64_t quota = install_quota(site, w.install_rate[s], k);
  // Install in order of arrival (ties: spec order), first fit under the power limit.
  for (bool first = true; quota > 0; first = false) {
    if (!first) find_oldest();
    const int best = oldest.best;
    if (best < 0) break;
    const std::int64_t n = units_to_install(m, w, quota, oldest);
    if (n <= 0) break;
    if (w.installed_today[best] == 0) w.installed_list[w.installed_list_count++] = best;
    w.installed[best] += n;
    if (m.track_fleets) w.fleet_installed[m.tranches[best].fleet] += n;
    if (w.installed[best] < m.tranches[best].units) {
      w.head_day[best] = w.delivery_day[best] + unit_arrival_offset(m.tranches[best], w.installed[best]);
    }
    w.installed_today[best] += n;
    w.waiting[s] -= n;
    w.installed_systems += n;
    w.installed_kw[s] = w.installed_kw[s] + static_cast<double>(n) * m.systems[m.tranches[best].system].power_kw;
    quota -= n;
  }
}

// Units of tranche t installed on day d go through burn-in; passing units go
// online, failing ones re-enter burn-in after rework. Resolved now, since
// burn-in has no capacity limit: the outcome depends on this cohort only.
template <class Workspace>
CAPPLAN_HD_INLINE void resolve_burn_in(const ModelView& m, std::uint32_t trial, int t, int d, std::int64_t units,
                                       Workspace& w) {
  const TrancheParams& tp = m.tranches[t];
  const double acceptance = w.acceptance[t];
  const auto additions = w.online_additions + static_cast<std::int64_t>(tp.fleet) * m.days;
  std::int64_t remaining = units;
  std::int64_t finish = static_cast<std::int64_t>(d) + w.burn_in_days[t];
  const std::int64_t cycle = static_cast<std::int64_t>(w.burn_in_days[t]) + w.rework_days[t];
  for (std::uint32_t attempt = 0; remaining > 0 && finish < m.days && acceptance > 0.0; ++attempt) {
    std::int64_t passing = remaining;
    if (cycle > 0 && acceptance < 1.0) {
      // Zero-length cycles repeat on the same day until every unit passes.
      UniformStream stream(m.seed, trial, tp.burn_in_stream, (static_cast<std::uint32_t>(d) << 16) | attempt);
      passing = sample_binomial(remaining, acceptance, stream);
    }
    if (passing > 0) {
      additions[finish] += static_cast<std::int32_t>(passing);
      w.passed[t] += passing;
      if (finish > w.last_pass_day[t]) w.last_pass_day[t] = static_cast<int>(finish);
    }
    remaining -= passing;
    finish += cycle;
  }
}

// The value of `metric` for fleet f at the end of today (after today's down
// draws); the delivered compute is kept only when m.track_fleets.
template <class Workspace>
CAPPLAN_HD_INLINE double fleet_metric(const ModelView& m, const Workspace& w, int f, int metric, double utilization) {
  const FleetParams& fleet = m.fleets[f];
  const SystemParams& sp = m.systems[fleet.system];
  const double available = static_cast<double>((w.online[f] - w.fleet_down[f]) * sp.accelerators);
  switch (metric) {
    case kDeliveredSystems:
      return static_cast<double>(w.fleet_delivered[f]);
    case kInstalledSystems:
      return static_cast<double>(w.fleet_installed[f]);
    case kOnlineSystems:
      return static_cast<double>(w.online[f]);
    case kAvailableAccelerators:
      return available;
    case kFacilityPowerMw:
      return static_cast<double>(w.fleet_installed[f]) * sp.power_kw * m.sites[fleet.site].pue / 1000.0;
    case kPeakPflops:
      return available * sp.tflops / 1000.0;
    case kEffectivePflops:
      return available * sp.tflops / 1000.0 * utilization;
    default:
      return w.fleet_flop_e24[f];
  }
}

// The value of `metric` in `scope` at the end of today; `total` holds the
// totals (kMetricCount values). Sites and system types sum their fleets (in
// fleet order); largest-site is the largest site value of this metric.
template <class Workspace>
CAPPLAN_HD_INLINE double scope_metric(const ModelView& m, const Workspace& w, ScopeParams scope, int metric,
                                      double utilization, const double* total) {
  if (scope.kind == kScopeTotal) return total[metric];
  if (scope.kind == kScopeSystem) {
    double sum = 0.0;
    for (int f = 0; f < m.fleet_count; ++f) {
      if (m.fleets[f].system == scope.index) sum += fleet_metric(m, w, f, metric, utilization);
    }
    return sum;
  }
  const int first = scope.kind == kScopeSite ? scope.index : 0;
  const int last = scope.kind == kScopeSite ? scope.index : m.site_count - 1;
  double largest = 0.0;
  for (int s = first; s <= last; ++s) {
    const SiteParams& site = m.sites[s];
    double sum = 0.0;
    for (int f = site.fleet_offset; f < site.fleet_offset + site.fleet_count; ++f) {
      sum += fleet_metric(m, w, f, metric, utilization);
    }
    largest = s == first || sum > largest ? sum : largest;
  }
  return largest;
}

// Each fleet's down count of day d, drawn from its own stream.
template <class Workspace>
CAPPLAN_HD_INLINE void draw_down_counts(const ModelView& m, std::uint32_t trial, int d, Workspace& w) {
  for (int f = 0; f < m.fleet_count; ++f) {
    const FleetParams& fleet = m.fleets[f];
    const SystemParams& sp = m.systems[fleet.system];
    w.online[f] += w.online_additions[static_cast<std::int64_t>(f) * m.days + d];
    std::int64_t down = 0;
    if (sp.down_probability > 0.0 && w.online[f] > 0) {
      UniformStream stream(m.seed, trial, fleet.failure_stream, static_cast<std::uint32_t>(d));
      down = sample_binomial(w.online[f], sp.down_probability, stream);
    }
    w.fleet_down[f] = down;
  }
}

// The end of day d, common to every way of running the installations: units
// that pass burn-in today go online, each fleet's down count is drawn, compute
// accrues, the milestones are checked, and on a record day the metrics of
// every recorded scope are written. `total` receives today's totals.
template <class Workspace, class Output>
CAPPLAN_HD_INLINE void close_day(const ModelView& m, std::uint32_t trial, int d, double utilization,
                                 std::int64_t delivered_systems, std::int64_t installed_systems, Workspace& w,
                                 Output& out, double& delivered_flop_e24, int& next_record) {
  draw_down_counts(m, trial, d, w);
  std::int64_t online_systems = 0, available_accelerators = 0;
  double peak_tflops = 0.0;
  for (int f = 0; f < m.fleet_count; ++f) {
    const SystemParams& sp = m.systems[m.fleets[f].system];
    const std::int64_t accelerators = (w.online[f] - w.fleet_down[f]) * sp.accelerators;
    online_systems += w.online[f];
    available_accelerators += accelerators;
    peak_tflops += static_cast<double>(accelerators) * sp.tflops;
    if (m.track_fleets)
      w.fleet_flop_e24[f] += fleet_metric(m, w, f, kEffectivePflops, utilization) * kE24FlopPerPflopsDay;
  }
  const double peak_pflops = peak_tflops / 1000.0;
  const double effective_pflops = peak_pflops * utilization;
  delivered_flop_e24 += effective_pflops * kE24FlopPerPflopsDay;

  const bool record_day = next_record < m.record_day_count && m.record_days[next_record] == d;
  if (!record_day && m.milestone_count == 0) return;
  double facility_kw = 0.0;
  for (int s = 0; s < m.site_count; ++s) facility_kw += w.installed_kw[s] * m.sites[s].pue;
  double total[kMetricCount];
  total[kDeliveredSystems] = static_cast<double>(delivered_systems);
  total[kInstalledSystems] = static_cast<double>(installed_systems);
  total[kOnlineSystems] = static_cast<double>(online_systems);
  total[kAvailableAccelerators] = static_cast<double>(available_accelerators);
  total[kFacilityPowerMw] = facility_kw / 1000.0;
  total[kPeakPflops] = peak_pflops;
  total[kEffectivePflops] = effective_pflops;
  total[kDeliveredFlopE24] = delivered_flop_e24;
  for (int k = 0; k < m.milestone_count; ++k) {
    int& reached = out.completion_day[m.tranche_count + k];
    if (reached >= 0) continue;
    const MilestoneParams& ms = m.milestones[k];
    if (scope_metric(m, w, ms.scope, ms.metric, utilization, total) >= ms.at_least) reached = d;
  }
  if (!record_day) return;
  const auto total_row = out.record + static_cast<std::int64_t>(next_record) * kMetricCount;
  for (int metric = 0; metric < kMetricCount; ++metric) total_row[metric] = total[metric];
  for (int scope = 1; scope < m.scope_count; ++scope) {
    const auto row = out.record + (static_cast<std::int64_t>(scope) * m.record_day_count + next_record) * kMetricCount;
    for (int metric = 0; metric < kMetricCount; ++metric) {
      row[metric] = scope_metric(m, w, m.scopes[scope], metric, utilization, total);
    }
  }
  ++next_record;
}

// The tranche completion days (and the sampled inputs, when asked for).
template <class Workspace, class Output>
CAPPLAN_HD_INLINE void close_trial(const ModelView& m, Workspace& w, Output& out) {
  for (int t = 0; t < m.tranche_count; ++t) {
    const TrancheParams& tp = m.tranches[t];
    int day = w.happens[t] ? kNotCompleted : kDoesNotHappen;
    if (w.happens[t] && w.passed[t] == tp.units) {
      day = tp.units > 0 ? w.last_pass_day[t] : (w.delivery_day[t] < m.days ? w.delivery_day[t] : kNotCompleted);
    }
    out.completion_day[t] = day;
  }
  if (out.sampled) {
    for (int i = 0; i < m.slot_count; ++i) out.sampled[i] = w.values[i];
  }
}

}  // namespace detail

// How simulate_trial() reaches its two large per-day steps. The default
// inlines them (the CPU backend, and one CUDA kernel variant); a backend may
// pass a policy whose functions call out-of-line copies instead, which on a
// GPU trades call overhead for fewer registers per thread (more resident
// warps). The work done, and so every result bit, is the same either way.
struct InlineSteps {
  template <class Workspace>
  static CAPPLAN_HD_INLINE void install_at_site(const ModelView& m, int s, int d, Workspace& w) {
    detail::install_at_site(m, s, d, w);
  }
  template <class Workspace>
  static CAPPLAN_HD_INLINE void resolve_burn_in(const ModelView& m, std::uint32_t trial, int t, int d,
                                                std::int64_t units, Workspace& w) {
    detail::resolve_burn_in(m, trial, t, d, units, w);
  }
};

// Simulates trial number `trial`: samples its quantities, runs days 0 .. days-1
// and writes the recorded metrics and tranche completion days.
// Workspace and output are BasicWorkspace<k> and BasicTrialOutput<k> of one
// layout (k = 1: plain arrays; k = kWarpLanes: a GPU warp's interleaved group).
template <class Steps = InlineSteps, int kStride = 1>
CAPPLAN_HD_INLINE void simulate_trial(const ModelView& m, std::uint32_t trial, BasicWorkspace<kStride>& w,
                                      BasicTrialOutput<kStride> out) {
  sample_trial_quantities(m, trial, w);
  apply_trial_quantities(m, w);
  const double utilization = w.values[m.slot_utilization];

  // Tranches that happen, in order of their first delivery day (insertion sort:
  // few tranches, and the spec usually lists them nearly in date order).
  int scheduled = 0;
  for (int t = 0; t < m.tranche_count; ++t) {
    w.delivered[t] = 0;
    w.installed[t] = 0;
    w.installed_today[t] = 0;
    w.passed[t] = 0;
    w.last_pass_day[t] = -1;
    w.head_day[t] = w.delivery_day[t];  // unit 0 arrives on the first delivery day
    // `after` sees the state at the start of the day; a tranche that does not happen never blocks.
    w.fully_installed[t] = (!w.happens[t] || m.tranches[t].units <= 0) ? 1 : 0;
    if (!w.happens[t]) continue;
    int i = scheduled++;
    for (; i > 0 && w.delivery_day[w.by_delivery[i - 1]] > w.delivery_day[t]; --i) {
      w.by_delivery[i] = w.by_delivery[i - 1];
    }
    w.by_delivery[i] = t;
  }
  for (int s = 0; s < m.site_count; ++s) {
    w.run_length[s] = 0;
    w.installed_kw[s] = 0.0;
    w.waiting[s] = 0;
    w.blocked_until[s] = -1;
    w.power_change_day[s] = -1;
    w.available_kw[s] = 0.0;
  }
  for (int f = 0; f < m.fleet_count; ++f) {
    w.online[f] = 0;
    w.fleet_down[f] = 0;
    if (m.track_fleets) {
      w.fleet_delivered[f] = 0;
      w.fleet_installed[f] = 0;
      w.fleet_flop_e24[f] = 0.0;
    }
  }
  for (int k = 0; k < m.milestone_count; ++k) out.completion_day[m.tranche_count + k] = kNotCompleted;
  const std::int64_t addition_count = static_cast<std::int64_t>(m.fleet_count) * m.days;
  for (std::int64_t i = 0; i < addition_count; ++i) w.online_additions[i] = 0;
  w.delivering_count = 0;
  w.installed_list_count = 0;
  w.installed_systems = 0;

  // The day loop touches only what changes: tranches within their delivery
  // spread, sites with units waiting, tranches that installed units today.
  // Every total it keeps is an integer, so the order of updates cannot matter.
  std::int64_t delivered_systems = 0;
  int next_scheduled = 0;
  double delivered_flop_e24 = 0.0;
  int next_record = 0;
  for (int d = 0; d < m.days; ++d) {
    while (next_scheduled < scheduled && w.delivery_day[w.by_delivery[next_scheduled]] <= d) {
      w.delivering[w.delivering_count++] = w.by_delivery[next_scheduled++];
    }
    for (int i = 0; i < w.delivering_count;) {
      const int t = w.delivering[i];
      const TrancheParams& tp = m.tranches[t];
      const std::int64_t now = detail::cumulative_delivered(tp, w.delivery_day[t], d);
      const std::int64_t arrived = now - w.delivered[t];
      if (arrived > 0) {
        w.delivered[t] = now;
        delivered_systems += arrived;
        if (m.track_fleets) w.fleet_delivered[tp.fleet] += arrived;
        w.waiting[tp.site] += arrived;
        w.blocked_until[tp.site] = -1;
      }
      if (now >= tp.units) {
        w.delivering[i] = w.delivering[--w.delivering_count];  // spread over: drop it
      } else {
        ++i;
      }
    }
    for (int s = 0; s < m.site_count; ++s) Steps::install_at_site(m, s, d, w);

    bool reopen_sites = false;
    for (int i = 0; i < w.installed_list_count; ++i) {
      const int t = w.installed_list[i];
      Steps::resolve_burn_in(m, trial, t, d, w.installed_today[t], w);
      w.installed_today[t] = 0;
      if (w.installed[t] >= m.tranches[t].units) {
        w.fully_installed[t] = 1;  // seen from tomorrow on
        reopen_sites = true;
      }
    }
    w.installed_list_count = 0;
    if (reopen_sites) {
      for (int s = 0; s < m.site_count; ++s) w.blocked_until[s] = -1;
    }

    detail::close_day(m, trial, d, utilization, delivered_systems, w.installed_systems, w, out, delivered_flop_e24,
                      next_record);
  }
  detail::close_trial(m, w, out);
}

}  // namespace capplan
