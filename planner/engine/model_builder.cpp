#include "planner/engine/model_builder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/math/special_functions/beta.hpp>

#include "kernels/rng.h"
#include "kernels/trial.h"
#include "planner/base/errors.h"
#include "planner/engine/model_budget.h"
#include "planner/spec/correlation.h"

namespace capplan {

ModelView CompiledModel::view(std::uint64_t seed) const {
  ModelView v;
  v.seed = seed;
  v.days = days;
  v.record_day_count = static_cast<int>(record_days.size());
  v.record_days = record_days.data();
  v.slot_count = static_cast<int>(slots.size());
  v.slots = slots.data();
  v.dists = dists.data();
  v.tables = tables.data();
  v.tranche_count = static_cast<int>(tranches.size());
  v.tranches = tranches.data();
  v.after = after.data();
  v.site_count = static_cast<int>(sites.size());
  v.sites = sites.data();
  v.site_tranches = site_tranches.data();
  v.power_step_count = static_cast<int>(power_steps.size());
  v.power_steps = power_steps.data();
  v.system_count = static_cast<int>(systems.size());
  v.systems = systems.data();
  v.fleet_count = static_cast<int>(fleets.size());
  v.fleets = fleets.data();
  v.scope_count = static_cast<int>(scopes.size());
  v.scopes = scopes.data();
  v.milestone_count = static_cast<int>(milestones.size());
  v.milestones = milestones.data();
  v.track_fleets = scopes.size() > 1 || std::any_of(milestones.begin(), milestones.end(), [](const MilestoneParams& m) {
                     return m.scope.kind != kScopeTotal;
                   });
  v.risk_count = static_cast<int>(risks.size());
  v.risks = risks.data();
  v.risk_targets = risk_targets.data();
  v.component_count = static_cast<int>(components.size());
  v.components = components.data();
  v.correlated_slots = correlated_slots.data();
  v.cholesky = cholesky.data();
  v.max_component_size = max_component_size;
  v.slot_utilization = slot_utilization;
  return v;
}

std::vector<int> report_days(const Spec& spec) {
  const int n = spec.horizon.days();
  std::vector<int> days;
  switch (spec.report.every) {
    case Report::Every::day:
      for (int d = 0; d < n; ++d) days.push_back(d);
      break;
    case Report::Every::week:
      for (int d = 6; d < n; d += 7) days.push_back(d);  // the last day of each 7-day week
      break;
    case Report::Every::month:
      for (int d = 0; d < n; ++d) {
        const CivilDate date = civil_from_days(spec.horizon.start + d);
        if (date.day == days_in_month(date.year, date.month)) days.push_back(d);
      }
      break;
    case Report::Every::dates:
      for (DayNumber date : spec.report.dates) days.push_back(static_cast<int>(date - spec.horizon.start));
      break;
  }
  if (spec.report.every != Report::Every::dates) days.push_back(n - 1);  // plus the horizon end
  std::sort(days.begin(), days.end());
  days.erase(std::unique(days.begin(), days.end()), days.end());
  return days;
}

namespace {

// The range a quantity must stay in; a normal is truncated to it.
struct Range {
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
};
const Range kSigned{};
const Range kNonNegative{0.0, std::numeric_limits<double>::infinity()};
const Range kUnitInterval{0.0, 1.0};

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Mean of a non-negative duration as the sampler draws it: a normal is
// truncated at 0, so its mean is mu + sigma phi(alpha) / (1 - Phi(alpha)), alpha = -mu / sigma.
double non_negative_mean(const Distribution& d) {
  if (d.kind != Distribution::Kind::normal) return d.mean();
  const double alpha = -d.a / d.b;
  const double density = std::exp(-0.5 * alpha * alpha) / std::sqrt(2.0 * M_PI);
  return d.a + d.b * density / (1.0 - normal_cdf(alpha));
}

class Builder {
 public:
  explicit Builder(CompiledModel& model) : model_(model) {}

  // Adds a sampled quantity; returns its slot.
  int add_slot(const std::string& name, const Distribution& dist, const Range& range) {
    return add_slot_with(name, compile(dist, range));
  }

  int add_bernoulli_slot(const std::string& name, double probability) {
    DistParams p;
    p.kind = kDistBernoulli;
    p.a = probability;
    return add_slot_with(name, add_dist(p));
  }

 private:
  int add_slot_with(const std::string& name, int dist) {
    QuantitySlot slot;
    slot.stream_id = stream_id_of(name.c_str());
    slot.dist = dist;
    model_.slots.push_back(slot);
    model_.slot_names.push_back(name);
    return static_cast<int>(model_.slots.size()) - 1;
  }

  int add_dist(const DistParams& p) {
    model_.dists.push_back(p);
    return static_cast<int>(model_.dists.size()) - 1;
  }

  int compile(const Distribution& d, const Range& range) {
    DistParams p;
    using Kind = Distribution::Kind;
    switch (d.kind) {
      case Kind::constant:
        p.a = d.a;
        break;
      case Kind::uniform:
        p.kind = d.a == d.b ? kDistConstant : kDistUniform;
        p.a = d.a;
        p.b = d.b;
        break;
      case Kind::triangular:
        p.kind = d.a == d.c ? kDistConstant : kDistTriangular;
        p.a = d.a;
        p.b = d.b;
        p.c = d.c;
        p.d = d.a == d.c ? 0.0 : (d.b - d.a) / (d.c - d.a);
        break;
      case Kind::pert: {
        if (d.a == d.c) {
          p.a = d.a;
          break;
        }
        // Beta-PERT with lambda 4: alpha = 1 + 4 (mode - min) / (max - min).
        const double alpha = 1.0 + 4.0 * (d.b - d.a) / (d.c - d.a);
        const double beta = 1.0 + 4.0 * (d.c - d.b) / (d.c - d.a);
        p.kind = kDistTable;
        p.a = d.a;
        p.b = d.c;
        p.c = 1.0 / alpha;  // the table's interpolation exponents (kernels/sampling.h)
        p.d = 1.0 / beta;
        p.table_offset = beta_table(alpha, beta);
        p.table_size = kTableSize;
        break;
      }
      case Kind::beta:
        p.kind = kDistTable;
        p.a = 0.0;
        p.b = 1.0;
        p.c = 1.0 / d.a;
        p.d = 1.0 / d.b;
        p.table_offset = beta_table(d.a, d.b);
        p.table_size = kTableSize;
        break;
      case Kind::normal: {
        p.kind = kDistNormal;
        p.a = d.a;
        p.b = d.b;
        p.c = range.low;
        p.d = range.high;
        // Truncate to the quantity's range by sampling the inverse CDF on [F(low), F(high)];
        // a range above the mean is reflected into the lower tail (kernels/model.h).
        const double z_low = std::isfinite(range.low) ? (range.low - d.a) / d.b : -HUGE_VAL;
        const double z_high = std::isfinite(range.high) ? (range.high - d.a) / d.b : HUGE_VAL;
        if (z_low > 0.0) {
          p.flags = 1;
          p.u_lo = normal_cdf(-z_high);
          p.u_span = normal_cdf(-z_low) - p.u_lo;
        } else {
          p.u_lo = normal_cdf(z_low);
          p.u_span = normal_cdf(z_high) - p.u_lo;
        }
        break;
      }
      case Kind::lognormal:
        p.kind = kDistLognormal;
        p.a = d.a;
        p.b = d.b;
        break;
      case Kind::discrete: {
        p.kind = kDistDiscrete;
        p.table_offset = static_cast<int>(model_.tables.size());
        p.table_size = static_cast<int>(d.values.size());
        const double total = std::accumulate(d.weights.begin(), d.weights.end(), 0.0);
        double running = 0.0;
        for (std::size_t i = 0; i < d.weights.size(); ++i) {
          running += d.weights[i];
          model_.tables.push_back(i + 1 == d.weights.size() ? 1.0 : running / total);
        }
        model_.tables.insert(model_.tables.end(), d.values.begin(), d.values.end());
        break;
      }
    }
    return add_dist(p);
  }

  // Tabulated quantile function of Beta(alpha, beta) (layout in kernels/model.h);
  // shared between identical distributions. Only reserved here: fill_beta_tables()
  // computes every table at the end, in parallel.
  int beta_table(double alpha, double beta) {
    const auto key = std::make_pair(alpha, beta);
    const auto found = beta_tables_.find(key);
    if (found != beta_tables_.end()) return found->second;
    const int offset = static_cast<int>(model_.tables.size());
    model_.tables.resize(model_.tables.size() + kTableSize, 0.0);
    beta_tables_[key] = offset;
    return offset;
  }

 public:
  // Computes the reserved beta tables: kTableSize inverse incomplete beta
  // evaluations each (Boost.Math in double precision, within a few ulps of its
  // long double result and about 8x faster), one table per OpenMP task. The
  // values do not depend on the thread count.
  void fill_beta_tables() {
    using DoublePolicy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;
    std::vector<std::pair<std::pair<double, double>, int>> jobs(beta_tables_.begin(), beta_tables_.end());
    std::vector<std::string> errors(jobs.size());
    const std::int64_t count = static_cast<std::int64_t>(jobs.size());
#if defined(CAPPLAN_HAVE_OPENMP)
#pragma omp parallel for schedule(dynamic, 1) if (count > 1)
#endif
    for (std::int64_t j = 0; j < count; ++j) {
      const double alpha = jobs[j].first.first;
      const double beta = jobs[j].first.second;
      double* table = model_.tables.data() + jobs[j].second;
      try {
        for (int i = 0; i <= kTableBodyIntervals; ++i) {
          const double u = static_cast<double>(i) / kTableBodyIntervals;
          double q = 0.0;
          if (i == kTableBodyIntervals) {
            q = 1.0;
          } else if (i > 0) {
            q = boost::math::ibeta_inv(alpha, beta, u, DoublePolicy());
          }
          table[i] = q;
        }
        double* lower_tail = table + kTableBodyIntervals + 1;
        double* upper_tail = lower_tail + kTableTailPoints;
        for (int k = 0; k < kTableTailPoints; ++k) {
          const double v = std::ldexp(1.0, -(k + kTableBodyBits));
          lower_tail[k] = boost::math::ibeta_inv(alpha, beta, v, DoublePolicy());
          upper_tail[k] = boost::math::ibetac_inv(alpha, beta, v, DoublePolicy());
        }
      } catch (const std::exception& e) {  // no exception may leave an OpenMP region
        errors[j] = e.what();
      }
    }
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      if (!errors[j].empty()) {
        throw RuntimeFailure("cannot tabulate the quantiles of Beta(" + std::to_string(jobs[j].first.first) + ", " +
                             std::to_string(jobs[j].first.second) + "): " + errors[j]);
      }
    }
  }

 private:
  CompiledModel& model_;
  std::map<std::pair<double, double>, int> beta_tables_;
};

// Day index of `date` relative to the horizon start, clamped as the trial clamps days.
int day_index(const Spec& spec, DayNumber date) { return detail::clamp_day(date - spec.horizon.start); }

double tflops_at(const Accelerator& accelerator, const std::string& precision) {
  for (const auto& entry : accelerator.dense_tflops) {
    if (entry.first == precision) return entry.second;
  }
  return 0.0;
}

// Appends one TrancheParams per tranche (its five slots and `after` list), in spec order.
void add_tranches(const Spec& spec, Builder& builder, CompiledModel& model) {
  for (const Tranche& tr : spec.tranches) {
    const std::string prefix = "tranche:" + tr.id + ".";
    TrancheParams p;
    p.system = spec.system_index(tr.system);
    p.site = spec.site_index(tr.site);
    p.units = tr.units;
    p.planned_day = day_index(spec, tr.delivery_planned);
    p.spread_days = std::max(1, tr.spread_days);
    p.per_day = tr.units / p.spread_days;
    p.remainder = tr.units % p.spread_days;
    p.slot_slip = builder.add_slot(prefix + "slip", tr.delivery_slip_days, kSigned);
    p.slot_burn_in = builder.add_slot(prefix + "burn_in", tr.burn_in_days, kNonNegative);
    p.slot_acceptance = builder.add_slot(prefix + "acceptance", tr.acceptance, kUnitInterval);
    p.slot_rework = builder.add_slot(prefix + "rework", tr.rework_days, kNonNegative);
    p.slot_happens = builder.add_bernoulli_slot(prefix + "happens", tr.probability);
    p.burn_in_stream = stream_id_of((prefix + "burn_in_outcome").c_str());
    p.after_offset = static_cast<int>(model.after.size());
    for (const auto& id : tr.after) model.after.push_back(spec.tranche_index(id));
    p.after_count = static_cast<int>(tr.after.size());
    model.tranches.push_back(p);
  }
}

// Appends a site's power steps (power in kW) with their slip slots.
void add_power_steps(const Spec& spec, const Site& site, Builder& builder, CompiledModel& model) {
  for (std::size_t i = 0; i < site.power_mw.size(); ++i) {
    const PowerStep& step = site.power_mw[i];
    PowerStepParams ps;
    ps.planned_day = day_index(spec, step.planned);
    ps.add_kw = step.add_mw * 1000.0;
    ps.slot_slip = builder.add_slot("power:" + site.id + "/" + std::to_string(i) + ".slip", step.slip_days, kSigned);
    model.power_steps.push_back(ps);
  }
}

// Appends one SiteParams per site: ready and install-rate slots, power steps, the tranches it installs.
void add_sites(const Spec& spec, Builder& builder, CompiledModel& model) {
  for (const Site& site : spec.sites) {
    SiteParams p;
    p.ready_planned_day = day_index(spec, site.ready.planned);
    p.slot_ready = builder.add_slot("site:" + site.id + ".ready", site.ready.slip_days, kSigned);
    p.install_limited = site.install_limited ? 1 : 0;
    p.slot_install_rate =
        builder.add_slot("site:" + site.id + ".install_per_day",
                         site.install_limited ? site.install_per_day : Distribution::constant_value(0.0), kNonNegative);
    p.power_limited = site.power_limited ? 1 : 0;
    p.pue = site.pue;
    p.power_step_offset = static_cast<int>(model.power_steps.size());
    p.power_step_count = static_cast<int>(site.power_mw.size());
    add_power_steps(spec, site, builder, model);
    p.tranche_offset = static_cast<int>(model.site_tranches.size());
    for (std::size_t t = 0; t < spec.tranches.size(); ++t) {
      if (spec.tranches[t].site == site.id) model.site_tranches.push_back(static_cast<int>(t));
    }
    p.tranche_count = static_cast<int>(model.site_tranches.size()) - p.tranche_offset;
    model.sites.push_back(p);
  }
}

// A risk's target as the trial indexes it (tranche, site or power step); needs the sites.
RiskTargetParams risk_target(const Spec& spec, const CompiledModel& model, const RiskTarget& target) {
  RiskTargetParams tp;
  if (target.kind == RiskTarget::Kind::tranche) {
    tp.kind = kRiskTargetTranche;
    tp.index = spec.tranche_index(target.id);
  } else if (target.kind == RiskTarget::Kind::site) {
    tp.kind = kRiskTargetSite;
    tp.index = spec.site_index(target.id);
  } else {
    tp.kind = kRiskTargetPower;
    tp.index = model.sites[static_cast<std::size_t>(spec.site_index(target.id))].power_step_offset + target.power_index;
  }
  return tp;
}

// Appends one RiskParams per risk: occurs, delay and power-factor slots and its targets; needs the sites.
void add_risks(const Spec& spec, Builder& builder, CompiledModel& model) {
  for (const Risk& risk : spec.risks) {
    RiskParams p;
    p.slot_occurs = builder.add_bernoulli_slot("risk:" + risk.id + ".occurs", risk.probability);
    if (risk.has_delay) p.slot_delay = builder.add_slot("risk:" + risk.id + ".delay", risk.delay_days, kNonNegative);
    if (risk.has_power_factor) {
      p.slot_power_factor = builder.add_slot("risk:" + risk.id + ".power_factor", risk.power_factor, kNonNegative);
    }
    p.target_offset = static_cast<int>(model.risk_targets.size());
    for (const RiskTarget& target : risk.applies_to) model.risk_targets.push_back(risk_target(spec, model, target));
    p.target_count = static_cast<int>(risk.applies_to.size());
    model.risks.push_back(p);
  }
}

// Appends one SystemParams per system: TFLOPS at the spec's precision and the daily down probability.
void add_systems(const Spec& spec, CompiledModel& model) {
  const double repair_days = non_negative_mean(spec.operations.repair_days);
  for (const System& system : spec.systems) {
    SystemParams p;
    p.accelerators = system.accelerators;
    p.power_kw = system.power_kw;
    const Accelerator* accelerator = spec.find_accelerator(system.accelerator);
    p.tflops = accelerator ? tflops_at(*accelerator, spec.precision) : 0.0;
    // q = f r / (1 + f r), f = failures per system-day, r = mean repair days.
    const double fr = spec.operations.failures_per_accelerator_day * system.accelerators * repair_days;
    p.down_probability = fr / (1.0 + fr);
    model.systems.push_back(p);
  }
}

// The stable name of a fleet's daily down-count stream (docs/spec-format.md §4.10).
std::string fleet_down_stream_name(const Spec& spec, const FleetParams& fleet) {
  return "site:" + spec.sites[static_cast<std::size_t>(fleet.site)].id +
         ".system:" + spec.systems[static_cast<std::size_t>(fleet.system)].id + ".down";
}

// Appends one FleetParams per (site, system type) pair that some tranche has,
// site-major in spec order, and sets each tranche's fleet; needs tranches.
void add_fleets(const Spec& spec, CompiledModel& model) {
  std::map<std::pair<int, int>, int> fleet_of;  // (site, system) -> fleet index, in that order
  for (const TrancheParams& t : model.tranches) fleet_of.emplace(std::make_pair(t.site, t.system), 0);
  for (auto& [pair, index] : fleet_of) {
    FleetParams fleet;
    fleet.site = pair.first;
    fleet.system = pair.second;
    fleet.failure_stream = stream_id_of(fleet_down_stream_name(spec, fleet).c_str());
    index = static_cast<int>(model.fleets.size());
    model.fleets.push_back(fleet);
  }
  for (TrancheParams& t : model.tranches) t.fleet = fleet_of.at(std::make_pair(t.site, t.system));
  // Site-major order: each site's fleets are consecutive.
  for (std::size_t f = 0; f < model.fleets.size(); ++f) {
    SiteParams& site = model.sites[static_cast<std::size_t>(model.fleets[f].site)];
    if (site.fleet_count++ == 0) site.fleet_offset = static_cast<int>(f);
  }
}

ScopeParams scope_params(const Spec& spec, const Scope& scope) {
  ScopeParams p;
  switch (scope.kind) {
    case Scope::Kind::total:
      break;
    case Scope::Kind::site:
      p.kind = kScopeSite;
      p.index = spec.site_index(scope.id);
      break;
    case Scope::Kind::system:
      p.kind = kScopeSystem;
      p.index = spec.system_index(scope.id);
      break;
    case Scope::Kind::largest_site:
      p.kind = kScopeLargestSite;
      break;
  }
  return p;
}

// The recorded scopes: the total, then report.by's breakdowns in a fixed order
// (sites in spec order, systems in spec order, largest-site, each kind only if
// listed), then any other scope a target needs.
void set_scopes(const Spec& spec, const std::vector<Scope>& extra_scopes, CompiledModel& model) {
  std::vector<Scope> scopes(1);
  if (spec.report.breaks_down_by("site")) {
    for (const Site& site : spec.sites) scopes.push_back(Scope{Scope::Kind::site, site.id});
  }
  if (spec.report.breaks_down_by("system")) {
    for (const System& system : spec.systems) scopes.push_back(Scope{Scope::Kind::system, system.id});
  }
  if (spec.report.breaks_down_by("largest-site")) scopes.push_back(Scope{Scope::Kind::largest_site, ""});
  model.breakdown_blocks = static_cast<int>(scopes.size()) - 1;
  std::vector<Scope> needed;
  for (const Target& target : spec.targets) needed.push_back(target.scope);
  needed.insert(needed.end(), extra_scopes.begin(), extra_scopes.end());
  for (const Scope& scope : needed) {
    if (std::find(scopes.begin(), scopes.end(), scope) == scopes.end()) scopes.push_back(scope);
  }
  model.scope_names = scopes;
  for (const Scope& scope : scopes) model.scopes.push_back(scope_params(spec, scope));
}

void add_milestones(const Spec& spec, CompiledModel& model) {
  const auto& names = metric_names();
  for (const Milestone& milestone : spec.milestones) {
    MilestoneParams p;
    p.scope = scope_params(spec, milestone.scope);
    p.metric = static_cast<int>(std::find(names.begin(), names.end(), milestone.metric) - names.begin());
    p.at_least = milestone.at_least;
    model.milestones.push_back(p);
    model.milestone_specs.push_back(milestone);
  }
}

// Maps the copula's blocks onto slots with packed Cholesky factors; throws SpecError if unusable.
void add_correlations(const Spec& spec, CompiledModel& model) {
  if (spec.correlations.empty()) return;
  CorrelationModel correlation;
  const auto problems = build_correlation_model(spec, correlation);
  if (!problems.empty()) {
    std::vector<Diagnostic> diagnostics;
    for (const auto& problem : problems) {
      const auto& loc = spec.correlations[static_cast<std::size_t>(std::max(0, problem.correlation_index))].location;
      diagnostics.push_back({spec.source_file, loc.line, loc.column, "correlations", problem.message});
    }
    throw SpecError(diagnostics);
  }
  for (int c = 0; c < correlation.component_count(); ++c) {
    CorrelationComponent comp;
    comp.slot_offset = static_cast<int>(model.correlated_slots.size());
    comp.size = correlation.component_start[c + 1] - correlation.component_start[c];
    comp.cholesky_offset = static_cast<int>(model.cholesky.size());
    for (int i = correlation.component_start[c]; i < correlation.component_start[c + 1]; ++i) {
      const auto found = std::find(model.slot_names.begin(), model.slot_names.end(), correlation.variables[i]);
      model.correlated_slots.push_back(static_cast<int>(found - model.slot_names.begin()));
    }
    const int packed = comp.size * (comp.size + 1) / 2;
    model.cholesky.insert(model.cholesky.end(), correlation.cholesky.begin() + correlation.cholesky_offset[c],
                          correlation.cholesky.begin() + correlation.cholesky_offset[c] + packed);
    model.max_component_size = std::max(model.max_component_size, comp.size);
    model.components.push_back(comp);
  }
}

// Units of one system type over all its tranches: units going online on one
// day are counted per fleet (a system type at one site, at most all of the
// type's units) in 32 bits (TrialWorkspace::online_additions,
// which keeps the per-trial workspace small).
constexpr std::int64_t kMaxUnitsPerSystemType = 2'000'000'000;

// Throws SpecError at the system if its tranches add up to more than kMaxUnitsPerSystemType units.
void check_system_unit_totals(const Spec& spec) {
  for (const System& system : spec.systems) {
    std::int64_t total = 0;
    for (const Tranche& tr : spec.tranches) {
      if (tr.system == system.id) total += tr.units;
    }
    if (total > kMaxUnitsPerSystemType) {
      throw SpecError({{spec.source_file, system.location.line, system.location.column, "systems." + system.id,
                        "the tranches of this system add up to " + std::to_string(total) +
                            " units; at most 2,000,000,000 units of one system are supported"}});
    }
  }
}

// Throws SpecError if two quantity names (slots, burn-in outcomes, failures) hash to one stream id.
void check_stream_ids(const Spec& spec, const CompiledModel& model) {
  std::map<std::uint32_t, std::string> streams;
  auto claim = [&](std::uint32_t id, const std::string& name) {
    const auto inserted = streams.emplace(id, name);
    if (!inserted.second) {
      throw SpecError({{spec.source_file, 0, 0, "",
                        "the quantity names '" + inserted.first->second + "' and '" + name +
                            "' hash to the same random stream id; rename one of the ids"}});
    }
  };
  for (std::size_t i = 0; i < model.slots.size(); ++i) claim(model.slots[i].stream_id, model.slot_names[i]);
  for (std::size_t t = 0; t < spec.tranches.size(); ++t) {
    claim(model.tranches[t].burn_in_stream, "tranche:" + spec.tranches[t].id + ".burn_in_outcome");
  }
  for (const FleetParams& fleet : model.fleets) claim(fleet.failure_stream, fleet_down_stream_name(spec, fleet));
}

// Sets the record days (report, target and extra dates, ascending), report rows and compiled targets.
void set_record_days(const Spec& spec, const std::vector<DayNumber>& extra_record_dates, CompiledModel& model) {
  const std::vector<int> reports = report_days(spec);
  std::set<int> record_set(reports.begin(), reports.end());
  for (const Target& target : spec.targets) record_set.insert(day_index(spec, target.date));
  for (DayNumber date : extra_record_dates) record_set.insert(day_index(spec, date));
  model.record_days.assign(record_set.begin(), record_set.end());
  auto row_of = [&](int day) {
    return static_cast<int>(std::lower_bound(model.record_days.begin(), model.record_days.end(), day) -
                            model.record_days.begin());
  };
  for (int day : reports) model.report_rows.push_back(row_of(day));
  const auto& names = metric_names();
  for (const Target& target : spec.targets) {
    CompiledTarget ct;
    ct.id = target.id;
    ct.metric = static_cast<int>(std::find(names.begin(), names.end(), target.metric) - names.begin());
    ct.record_index = row_of(day_index(spec, target.date));
    ct.scope_block = scope_block(model, target.scope);
    ct.threshold = target.at_least;
    ct.date = target.date;
    model.targets.push_back(ct);
  }
}

// Sets each metric's scale (count or not, unit, bound over every trial); needs tranches, sites, systems.
void set_metric_scales(const Spec& spec, CompiledModel& model) {
  double total_units = 0.0, facility_mw = 0.0, peak_pflops = 0.0, accelerators_max = 0.0;
  for (const TrancheParams& tp : model.tranches) {
    const SystemParams& sp = model.systems[static_cast<std::size_t>(tp.system)];
    total_units += static_cast<double>(tp.units);
    facility_mw +=
        static_cast<double>(tp.units) * sp.power_kw * model.sites[static_cast<std::size_t>(tp.site)].pue / 1000.0;
    peak_pflops += static_cast<double>(tp.units) * sp.accelerators * sp.tflops / 1000.0;
  }
  std::int64_t unit_accelerators = 0;
  for (const SystemParams& sp : model.systems) {
    unit_accelerators = std::gcd(unit_accelerators, std::int64_t(sp.accelerators));
  }
  if (unit_accelerators == 0) unit_accelerators = 1;
  for (const TrancheParams& tp : model.tranches) {
    accelerators_max += static_cast<double>(tp.units) * model.systems[static_cast<std::size_t>(tp.system)].accelerators;
  }
  const double utilization_max = std::min(1.0, spec.operations.utilization.support_max());
  auto& scales = model.metric_scales;
  for (int m = 0; m < kMetricCount; ++m) scales[m].is_count = metric_is_count(m);
  scales[kDeliveredSystems].maximum = total_units;
  scales[kInstalledSystems].maximum = total_units;
  scales[kOnlineSystems].maximum = total_units;
  scales[kAvailableAccelerators].maximum = accelerators_max;
  scales[kAvailableAccelerators].unit = static_cast<double>(unit_accelerators);
  // Small headroom over the bounds absorbs rounding in the trial's sums.
  const double headroom = 1.0 + 1e-9;
  scales[kFacilityPowerMw].maximum = facility_mw * headroom;
  scales[kPeakPflops].maximum = peak_pflops * headroom;
  scales[kEffectivePflops].maximum = peak_pflops * utilization_max * headroom;
  scales[kDeliveredFlopE24].maximum = peak_pflops * utilization_max * model.days * kE24FlopPerPflopsDay * headroom;
}

}  // namespace

int record_row(const CompiledModel& model, DayNumber date) {
  const int day = static_cast<int>(date - model.horizon_start);
  const auto found = std::lower_bound(model.record_days.begin(), model.record_days.end(), day);
  return found != model.record_days.end() && *found == day ? static_cast<int>(found - model.record_days.begin()) : -1;
}

int scope_block(const CompiledModel& model, const Scope& scope) {
  const auto found = std::find(model.scope_names.begin(), model.scope_names.end(), scope);
  return found == model.scope_names.end() ? -1 : static_cast<int>(found - model.scope_names.begin());
}

CompiledModel build_model(const Spec& spec, const std::vector<DayNumber>& extra_record_dates,
                          const std::vector<Scope>& extra_scopes) {
  CompiledModel model;
  model.days = spec.horizon.days();
  model.horizon_start = spec.horizon.start;

  // Sampled quantities, in the order of sampled_quantity_names().
  Builder builder(model);
  add_tranches(spec, builder, model);
  add_sites(spec, builder, model);
  add_risks(spec, builder, model);
  model.slot_utilization = builder.add_slot("operations.utilization", spec.operations.utilization, kUnitInterval);

  add_systems(spec, model);
  add_fleets(spec, model);
  set_scopes(spec, extra_scopes, model);
  add_milestones(spec, model);
  add_correlations(spec, model);
  check_system_unit_totals(spec);
  check_stream_ids(spec, model);
  set_record_days(spec, extra_record_dates, model);
  set_metric_scales(spec, model);
  // The model's memory needs are known now, before the statistics or any
  // batch are allocated and before the (slower) quantile tables are filled.
  check_model_budgets(model, spec.source_file);
  builder.fill_beta_tables();
  return model;
}

}  // namespace capplan
