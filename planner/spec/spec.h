// The cluster spec (format version 1), as loaded and validated from YAML.
//
// Field names follow the YAML keys. Collections keep spec order, which the
// model uses to break ties (e.g. installation order of same-day arrivals).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "planner/base/date.h"

namespace capplan {

// Where a node came from in the spec file (1-based; 0 = unknown).
struct SourceLocation {
  int line = 0;
  int column = 0;
};

// A random quantity. Parameters are stored in the form the sampler uses.
struct Distribution {
  enum class Kind { constant, uniform, triangular, pert, normal, lognormal, beta, discrete };
  Kind kind = Kind::constant;
  // constant: a = value
  // uniform: a = min, b = max
  // triangular, pert: a = min, b = mode, c = max (pert: beta-PERT with lambda 4)
  // normal: a = mean, b = sd (sd > 0)
  // lognormal: a = mu, b = sigma of ln X (sigma > 0); the loader converts
  //            {median, p90} and {p10, p90} into these
  // beta: a = alpha, b = beta (both > 0); the loader converts {mean, sd}
  double a = 0.0, b = 0.0, c = 0.0;
  std::vector<double> values;   // discrete: support points, as written
  std::vector<double> weights;  // discrete: weights (> 0, any sum), as written
  SourceLocation location;

  static Distribution constant_value(double value) {
    Distribution d;
    d.a = value;
    return d;
  }
  // Smallest and largest value the distribution can take (+-infinity if unbounded).
  double support_min() const;
  double support_max() const;
  // Analytic mean (used for operations.repair_days, which enters through its mean).
  double mean() const;
  bool is_constant() const { return kind == Kind::constant; }
};

struct Horizon {
  DayNumber start = 0;
  DayNumber end = 0;  // last simulated day, inclusive
  int days() const { return static_cast<int>(end - start + 1); }
};

struct Accelerator {
  std::string id;
  // precision name (bf16, fp8, ...) -> dense TFLOPS per accelerator
  std::vector<std::pair<std::string, double>> dense_tflops;
  SourceLocation location;
};

struct System {
  std::string id;
  std::string accelerator;  // id of an Accelerator
  int accelerators = 0;     // accelerators per system (> 0)
  double power_kw = 0.0;    // IT power per system [kW] (>= 0)
  SourceLocation location;
};

// A planned date that may slip by a random number of days (a site's ready date).
struct PlannedEvent {
  DayNumber planned = 0;
  Distribution slip_days;  // constant 0 by default; may be negative
  SourceLocation location;
};

struct PowerStep {
  DayNumber planned = 0;
  double add_mw = 0.0;     // facility power added from the (slipped) day [MW]
  Distribution slip_days;  // may be negative
  SourceLocation location;
};

struct Site {
  std::string id;
  PlannedEvent ready;          // default: horizon start, no slip
  bool power_limited = false;  // false when power_mw is absent (unlimited)
  std::vector<PowerStep> power_mw;
  double pue = 1.0;              // facility MW = IT MW x pue (>= 1)
  bool install_limited = false;  // false when install_per_day is absent (unlimited)
  Distribution install_per_day;  // systems per day (> 0 support)
  SourceLocation location;
};

struct Tranche {
  std::string id;
  std::string system;  // id of a System
  std::string site;    // id of a Site
  std::int64_t units = 0;
  double probability = 1.0;
  DayNumber delivery_planned = 0;
  Distribution delivery_slip_days;                              // default 0; may be negative
  int spread_days = 1;                                          // >= 0; 0 and 1 mean one day
  Distribution burn_in_days;                                    // default 0; >= 0
  Distribution acceptance = Distribution::constant_value(1.0);  // in [0, 1]
  Distribution rework_days;                                     // default 0; >= 0
  std::vector<std::string> after;                               // tranche ids
  SourceLocation location;
};

struct RiskTarget {
  enum class Kind { tranche, site, power };
  Kind kind = Kind::tranche;
  std::string id;        // tranche or site id
  int power_index = -1;  // for Kind::power: 0-based index into the site's power_mw
  SourceLocation location;
  std::string text() const;  // "tranche:x", "site:y", "power:z/1"
};

struct Risk {
  std::string id;
  double probability = 0.0;
  bool has_delay = false;
  Distribution delay_days;  // >= 0 days, added to every delay it applies to
  bool has_power_factor = false;
  Distribution power_factor;  // >= 0, multiplies the power of the sites it applies to
  std::vector<RiskTarget> applies_to;
  SourceLocation location;
};

// A group of sampled quantities with a common pairwise Spearman rank correlation.
struct Correlation {
  std::vector<std::string> variables;  // stable quantity names, e.g. "tranche:t1.slip"
  double rank_correlation = 0.0;       // in (-1, 1)
  SourceLocation location;
};

struct Operations {
  double failures_per_accelerator_day = 0.0;                     // >= 0
  Distribution repair_days;                                      // >= 0, enters through its mean
  Distribution utilization = Distribution::constant_value(1.0);  // in [0, 1]
};

// The part of the roll-out a value is about, written "total", "site:<id>",
// "system:<id>" or "largest-site" wherever a scope appears (spec, CSV, JSON).
struct Scope {
  enum class Kind { total, site, system, largest_site };
  Kind kind = Kind::total;
  std::string id;  // the site or system id (Kind::site, Kind::system)

  std::string text() const;
  bool operator==(const Scope& other) const { return kind == other.kind && id == other.id; }
  bool operator!=(const Scope& other) const { return !(*this == other); }
};

// The scope written as `text`, or nullopt if it is not one of the four forms
// (ids are not checked against a spec here).
std::optional<Scope> parse_scope(const std::string& text);

struct Report {
  enum class Every { day, week, month, dates };
  Every every = Every::month;
  std::vector<DayNumber> dates;                  // for Every::dates, ascending, inside the horizon
  std::vector<double> quantiles{0.1, 0.5, 0.9};  // ascending, each in (0, 1)
  // Breakdowns written to forecast_by.csv, each at most once: "site", "system", "largest-site".
  std::vector<std::string> by;
  bool breaks_down_by(const std::string& kind) const;
};

// Column name of report quantile q in every table: 0.1 -> "p10", 0.025 -> "p2.5".
std::string quantile_column(double q);

struct Target {
  std::string id;
  std::string metric;     // one of the metric names (see kernels/metrics.h)
  Scope scope;            // default: total
  DayNumber date = 0;     // inside the horizon
  double at_least = 0.0;  // >= 0
  SourceLocation location;
};

// "When do we reach N?": the first day whose end-of-day value of `metric` in
// `scope` is at least `at_least` (every day of the horizon is checked).
struct Milestone {
  std::string id;
  std::string metric;
  Scope scope;
  double at_least = 0.0;  // >= 0
  SourceLocation location;
};

struct Spec {
  int version = 1;
  std::string name;
  std::string description;
  Horizon horizon;
  std::uint64_t trials = 100000;
  std::uint64_t seed = 1;
  std::string precision = "bf16";
  std::vector<Accelerator> accelerators;
  std::vector<System> systems;
  std::vector<Site> sites;
  std::vector<Tranche> tranches;
  std::vector<Risk> risks;
  std::vector<Correlation> correlations;
  Operations operations;
  Report report;
  std::vector<Target> targets;
  std::vector<Milestone> milestones;

  std::string source_file;             // path as given by the user
  std::string source_text;             // the file's bytes (for the sha256 in run.json)
  std::vector<std::string> overrides;  // --set PATH=VALUE options applied after reading the file
  std::string effective_text;          // the YAML tree after the overrides, emitted (no comments)

  const Accelerator* find_accelerator(const std::string& id) const;
  const System* find_system(const std::string& id) const;
  const Site* find_site(const std::string& id) const;
  const Tranche* find_tranche(const std::string& id) const;
  int site_index(const std::string& id) const;     // -1 if absent
  int system_index(const std::string& id) const;   // -1 if absent
  int tranche_index(const std::string& id) const;  // -1 if absent
};

// The stable names of every quantity sampled once per trial, in a fixed order:
// per tranche  tranche:<id>.slip|burn_in|acceptance|rework|happens
// per site     site:<id>.ready|install_per_day, then power:<site>/<i>.slip per power step
// per risk     risk:<id>.occurs, risk:<id>.delay (if delay_days), risk:<id>.power_factor (if set)
// and          operations.utilization
std::vector<std::string> sampled_quantity_names(const Spec& spec);

// The metric names, in output order.
const std::vector<std::string>& metric_names();

}  // namespace capplan
