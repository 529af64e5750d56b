// JSON Schema (draft 2020-12) of the spec format (version 1), for editors.
//
// Built to follow the spec loader (planner/spec_*.cpp) key by key: the same allowed keys per
// map (additionalProperties: false wherever the loader rejects unknown keys),
// the same required keys, ranges and id/name/date patterns. Defaults come from
// the default-constructed Spec structs, metric names from metric_names(), so
// they cannot drift. What a schema cannot say (references between entries,
// relations between numbers, the horizon) is listed in kWhatIsNotChecked and is
// left to `capplan validate`: every spec the loader accepts validates against
// this schema, not the other way round.

#include "planner/spec/schema.h"

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "planner/base/limits.h"
#include "planner/spec/spec.h"

namespace capplan {
namespace {

using Json = nlohmann::ordered_json;

// Ids (spec_lexical.h is_valid_id): used inside quantity names, so no ':', '.', '/' or spaces.
constexpr const char* kId = "[A-Za-z0-9_-]+";
// Strict YYYY-MM-DD with a valid month and a day 01..31 (the day within the month is checked by capplan).
constexpr const char* kDatePattern = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";

constexpr const char* kWhatIsNotChecked =
    "This schema checks keys, types, required keys, ranges, id and date patterns and distribution shapes. "
    "It cannot check, and `capplan validate SPEC` does: references (a system's accelerator, a tranche's "
    "system, site and after entries, risk targets and correlation variables must name entries of this spec; "
    "power:<site>/<index> must be an existing step); every accelerator a system uses has a dense_tflops entry "
    "for `precision`; horizon end not before start and at most 100 years; report and target dates inside the "
    "horizon; report dates and quantiles ascending; no cycles in after; uniform min <= max; triangular and "
    "pert min <= mode <= max; lognormal p90 above its median or p10; beta sd^2 < mean (1 - mean); discrete "
    "values and weights of the same length with a positive sum; a truncated normal keeping some probability "
    "in its range; an install rate that can be above 0; a correlation matrix that is positive definite and "
    "gives each pair one value; dates that exist (2026-02-30); duplicate keys. So a spec that validates "
    "here may still be rejected by capplan, never the other way round. capplan reads a bare number or "
    "true/false as text where it expects text (name: 2026), so those keys accept numbers and booleans too.";

Json ref(const std::string& name) {
  Json s = Json::object();
  s["$ref"] = "#/$defs/" + name;
  return s;
}

// A $ref with its own description (allowed next to $ref in 2020-12).
Json ref(const std::string& name, const std::string& description) {
  Json s = ref(name);
  s["description"] = description;
  return s;
}

Json with_default(Json s, const Json& value) {
  s["default"] = value;
  return s;
}

Json text(const std::string& description) {
  Json s = Json::object();
  s["type"] = "string";
  s["description"] = description;
  return s;
}

// The loader reads any bare scalar where it expects text (name: 2026, precision: 8),
// while YAML tools read such a scalar as a number or a boolean; so free text also
// accepts numbers and booleans, and an id reference integers and booleans (a
// fraction never forms an id: it has a '.').
Json any_text(const std::string& description) {
  Json s = Json::object();
  s["type"] = Json::array({"string", "number", "boolean"});
  s["description"] = description;
  return s;
}

Json id_text(const std::string& description) {
  Json s = Json::object();
  s["type"] = Json::array({"string", "integer", "boolean"});
  s["description"] = description;
  s["pattern"] = std::string("^") + kId + "$";
  return s;
}

Json number(const std::string& description) {
  Json s = Json::object();
  s["type"] = "number";
  s["description"] = description;
  return s;
}

Json number_at_least(const std::string& description, double min, bool strict) {
  Json s = number(description);
  const auto whole_min = static_cast<long long>(min);
  const Json bound = min == static_cast<double>(whole_min) ? Json(whole_min) : Json(min);
  s[strict ? "exclusiveMinimum" : "minimum"] = bound;
  return s;
}

Json probability(const std::string& description) {
  Json s = number(description);
  s["minimum"] = 0;
  s["maximum"] = 1;
  return s;
}

// A whole number (the loader also accepts 1e3 and 400.0).
Json whole(const std::string& description, std::uint64_t min, std::uint64_t max) {
  Json s = Json::object();
  s["type"] = "integer";
  s["description"] = description;
  s["minimum"] = min;
  s["maximum"] = max;
  return s;
}

// A map with fixed keys; the loader rejects any other key.
Json keyed(const std::string& description, Json properties, std::vector<std::string> required = {}) {
  Json s = Json::object();
  s["type"] = "object";
  s["description"] = description;
  s["properties"] = std::move(properties);
  if (!required.empty()) s["required"] = required;
  s["additionalProperties"] = false;
  return s;
}

// A map of id -> entry, in spec order.
Json id_map(const std::string& description, const std::string& entry_def, bool need_one) {
  Json s = Json::object();
  s["type"] = need_one ? Json("object") : Json::array({"object", "null"});
  s["description"] = description;
  Json names = Json::object();
  names["pattern"] = std::string("^") + kId + "$";
  s["propertyNames"] = names;
  s["additionalProperties"] = ref(entry_def);
  if (need_one) s["minProperties"] = 1;
  return s;
}

// ---- distributions ----------------------------------------------------------------

// The values a distribution may take where it is used (spec_distributions.h Use).
enum class Bounds {
  any,          // slip_days
  nonnegative,  // durations, power_factor
  rate,         // install_per_day: >= 0, a constant > 0
  fraction      // acceptance, utilization: [0, 1], no lognormal
};

// A number that is a possible value of the distribution (constant, min/mode/max, discrete value).
Json bounded(Json s, Bounds bounds) {
  if (bounds == Bounds::nonnegative || bounds == Bounds::rate) s["minimum"] = 0;
  if (bounds == Bounds::fraction) {
    s["minimum"] = 0;
    s["maximum"] = 1;
  }
  return s;
}

Json number_list(const std::string& description, std::size_t count, Json item) {
  Json s = Json::object();
  s["type"] = "array";
  s["description"] = description;
  s["items"] = std::move(item);
  s["minItems"] = count;
  s["maxItems"] = count;
  return s;
}

Json distribution(Bounds bounds, const std::string& description) {
  const std::string range = bounds == Bounds::any        ? ""
                            : bounds == Bounds::fraction ? " Its values must lie in [0, 1]."
                            : bounds == Bounds::rate     ? " Its values must be >= 0 (a constant > 0)."
                                                         : " Its values must be >= 0.";
  const Json value = bounded(number("a value"), bounds);

  Json constant = bounds == Bounds::rate ? number_at_least("A constant (no uncertainty).", 0, true)
                                         : bounded(number("A constant (no uncertainty)."), bounds);

  Json kinds = Json::object();
  kinds["uniform"] = number_list("[min, max], min <= max: continuous uniform on [min, max].", 2, value);
  kinds["triangular"] =
      number_list("[min, mode, max], min <= mode <= max: triangular density peaking at mode.", 3, value);
  kinds["pert"] = number_list("[min, mode, max], min <= mode <= max: beta-PERT (lambda 4) on [min, max].", 3, value);
  {
    Json props = Json::object();
    props["mean"] = number("Mean (before truncation).");
    props["sd"] = number_at_least("Standard deviation, > 0.", 0, true);
    std::string what = "{mean, sd}: normal distribution.";
    if (bounds != Bounds::any) {
      what += bounds == Bounds::fraction ? " Truncated to [0, 1] here." : " Truncated at 0 here.";
    }
    kinds["normal"] = keyed(what, props, {"mean", "sd"});
  }
  if (bounds != Bounds::fraction) {
    Json props = Json::object();
    props["median"] = number_at_least("Median, > 0.", 0, true);
    props["p10"] = number_at_least("10th percentile, > 0.", 0, true);
    props["p90"] = number_at_least("90th percentile, above the median (or p10).", 0, true);
    Json lognormal =
        keyed("{median, p90} or {p10, p90}: lognormal distribution given by two quantiles.", props, {"p90"});
    Json with_median = Json::object();
    with_median["required"] = Json::array({"median"});
    Json with_p10 = Json::object();
    with_p10["required"] = Json::array({"p10"});
    lognormal["oneOf"] = Json::array({with_median, with_p10});
    kinds["lognormal"] = lognormal;
  }
  {
    Json props = Json::object();
    Json mean = number("Mean, strictly between 0 and 1.");
    mean["exclusiveMinimum"] = 0;
    mean["exclusiveMaximum"] = 1;
    props["mean"] = mean;
    Json sd = number("Standard deviation, > 0 with sd^2 < mean (1 - mean).");
    sd["exclusiveMinimum"] = 0;
    sd["exclusiveMaximum"] = 0.5;
    props["sd"] = sd;
    kinds["beta"] = keyed("{mean, sd}: beta distribution on [0, 1].", props, {"mean", "sd"});
  }
  {
    Json props = Json::object();
    Json values = Json::object();
    values["type"] = "array";
    values["description"] = "Support points, in order.";
    values["items"] = value;
    values["minItems"] = 1;
    props["values"] = values;
    Json weights = Json::object();
    weights["type"] = "array";
    weights["description"] = "Weights (>= 0, any positive sum), one per value.";
    weights["items"] = number_at_least("a weight", 0, false);
    weights["minItems"] = 1;
    props["weights"] = weights;
    kinds["discrete"] =
        keyed("{values, weights}: P(values[i]) = weights[i] / sum(weights).", props, {"values", "weights"});
  }

  Json form = Json::object();
  form["type"] = "object";
  form["description"] = "Exactly one distribution kind.";
  form["properties"] = kinds;
  form["additionalProperties"] = false;
  form["minProperties"] = 1;
  form["maxProperties"] = 1;

  Json s = Json::object();
  s["description"] = description + range;
  s["oneOf"] = Json::array({constant, form});
  return s;
}

// ---- sections ----------------------------------------------------------------------

Json accelerator() {
  Json tflops = Json::object();
  tflops["type"] = "object";
  tflops["description"] =
      "Dense (not sparse) peak TFLOPS per accelerator, per precision name (bf16, fp8, fp4, ...; names are free).";
  tflops["additionalProperties"] = number_at_least("Dense TFLOPS per accelerator, > 0.", 0, true);
  tflops["minProperties"] = 1;
  Json props = Json::object();
  props["dense_tflops"] = tflops;
  return keyed("An accelerator type.", props, {"dense_tflops"});
}

Json system() {
  Json props = Json::object();
  props["accelerator"] = id_text("Id of the accelerator the system carries (a key of accelerators).");
  props["accelerators"] = whole("Accelerators per system (count).", 1, kMaxAcceleratorsPerSystem);
  props["power_kw"] = number_at_least("IT power drawn by one installed system, in kW.", 0, false);
  return keyed(
      "A system: the unit that is delivered, installed, burned in and fails (a rack, server or "
      "UltraServer).",
      props, {"accelerator", "accelerators", "power_kw"});
}

Json site() {
  const Site defaults;
  Json ready_props = Json::object();
  ready_props["planned"] = ref("date", "Planned ready date (may lie before the horizon start).");
  ready_props["slip_days"] = with_default(ref("signed_days", "Slip of the ready date, in days (may be negative)."), 0);
  Json ready =
      keyed("The day the site can start installing. Default: the horizon start, no slip.", ready_props, {"planned"});

  Json power = Json::object();
  power["type"] = "array";
  power["description"] =
      "Facility power, built up in steps; power:<site>/<index> (0-based, in this order) names a step. Leave "
      "it out for unlimited power.";
  power["items"] = ref("power_step");
  power["minItems"] = 1;

  Json props = Json::object();
  props["ready"] = ready;
  props["power_mw"] = power;
  props["pue"] = with_default(
      number_at_least("Power usage effectiveness (ratio, >= 1): facility MW = IT MW x pue.", 1, false), defaults.pue);
  props["install_per_day"] =
      ref("install_rate", "Installation rate in systems per day, sampled once per trial. Leave it out for unlimited.");
  return keyed("A site where systems are installed.", props);
}

Json power_step() {
  Json props = Json::object();
  props["planned"] = ref("date", "Planned day the step's power becomes available.");
  props["add"] = number_at_least("Facility power the step adds, in MW (>= 0).", 0, false);
  props["slip_days"] = with_default(ref("signed_days", "Slip of the step, in days (may be negative)."), 0);
  return keyed("A power step of a site.", props, {"planned", "add"});
}

Json tranche() {
  const Tranche defaults;
  Json delivery_props = Json::object();
  delivery_props["planned"] = ref("date", "Planned first delivery day (may lie before the horizon start).");
  delivery_props["slip_days"] =
      with_default(ref("signed_days", "Slip of the first delivery day, in days (negative: early)."), 0);
  delivery_props["spread_days"] = with_default(
      whole("Deliveries are spread evenly over this many days; 0 and 1 both mean all on one day.", 0, kMaxSpreadDays),
      defaults.spread_days);
  Json delivery = keyed("When the tranche is delivered.", delivery_props, {"planned"});

  Json after = Json::object();
  after["type"] = Json::array({"array", "null"});
  after["description"] =
      "Ids of tranches (at any site) that must be fully installed before this one starts installing; not "
      "itself, no cycles.";
  after["items"] = id_text("A tranche id.");
  after["uniqueItems"] = true;
  after["default"] = Json::array();

  Json props = Json::object();
  props["system"] = id_text("Id of the system delivered (a key of systems).");
  props["site"] = id_text("Id of the site where it is installed (a key of sites).");
  props["units"] = whole("Systems in the tranche (count).", 0, kMaxUnits);
  props["probability"] =
      with_default(probability("Probability in [0, 1] that the tranche happens in a trial."), defaults.probability);
  props["delivery"] = delivery;
  props["burn_in_days"] = with_default(
      ref("duration_days", "Burn-in and integration time from installation to the acceptance test, in days."), 0);
  props["acceptance"] = with_default(
      ref("fraction",
          "Probability that a unit passes burn-in (sampled once per trial, applied to each unit and attempt)."),
      1);
  props["rework_days"] =
      with_default(ref("duration_days", "Time from a failed test until the unit re-enters burn-in, in days."), 0);
  props["after"] = after;
  return keyed("A tranche: a delivery batch of identical systems to one site.", props,
               {"system", "site", "units", "delivery"});
}

Json risk() {
  Json applies = Json::object();
  applies["type"] = "array";
  applies["description"] =
      "What the risk acts on: tranche:<id> (delays its first delivery), site:<id> (delays its ready day; "
      "power_factor scales all its power), power:<site>/<index> (delays that power step, index 0-based).";
  applies["items"] = ref("risk_target");
  applies["minItems"] = 1;
  applies["uniqueItems"] = true;

  Json props = Json::object();
  props["probability"] = probability("Probability in [0, 1] that the risk occurs in a trial.");
  props["delay_days"] =
      ref("duration_days", "When the risk occurs: days added to every planned date it applies to (>= 0).");
  props["power_factor"] =
      ref("nonnegative", "When the risk occurs: factor (>= 0) multiplying the power of every site it applies to.");
  props["applies_to"] = applies;
  Json s = keyed(
      "A risk: an event that occurs with a probability and then delays planned dates and/or cuts site "
      "power. It needs delay_days, power_factor or both.",
      props, {"probability", "applies_to"});

  Json needs_delay = Json::object();
  needs_delay["required"] = Json::array({"delay_days"});
  Json needs_factor = Json::object();
  needs_factor["required"] = Json::array({"power_factor"});
  s["anyOf"] = Json::array({needs_delay, needs_factor});

  // tranche and power targets need delay_days; power_factor needs a site target.
  Json delayed_target = Json::object();
  delayed_target["type"] = "string";
  delayed_target["pattern"] = "^(tranche|power):";
  Json site_target = Json::object();
  site_target["type"] = "string";
  site_target["pattern"] = "^site:";
  Json if_delayed = Json::object();
  if_delayed["properties"]["applies_to"]["contains"] = delayed_target;
  if_delayed["required"] = Json::array({"applies_to"});
  Json rule1 = Json::object();
  rule1["if"] = if_delayed;
  rule1["then"] = needs_delay;
  Json rule2 = Json::object();
  rule2["if"] = needs_factor;
  rule2["then"]["properties"]["applies_to"]["contains"] = site_target;
  s["allOf"] = Json::array({rule1, rule2});
  return s;
}

Json correlation() {
  Json variables = Json::object();
  variables["type"] = "array";
  variables["description"] = "At least 2 distinct stable names of quantities this spec samples.";
  variables["items"] = ref("quantity_name");
  variables["minItems"] = 2;
  variables["uniqueItems"] = true;
  Json r = number("Pairwise Spearman rank correlation, strictly between -1 and 1.");
  r["exclusiveMinimum"] = -1;
  r["exclusiveMaximum"] = 1;
  Json props = Json::object();
  props["variables"] = variables;
  props["rank_correlation"] = r;
  return keyed("A correlation group (Gaussian copula).", props, {"variables", "rank_correlation"});
}

Json quantity_name() {
  const std::string id = kId;
  Json s = text(
      "Stable name of a sampled quantity: tranche:<id>.slip|burn_in|acceptance|rework|happens, "
      "site:<id>.ready|install_per_day, power:<site>/<index>.slip, risk:<id>.occurs|delay|power_factor, "
      "operations.utilization.");
  s["pattern"] = "^(tranche:" + id + "\\.(slip|burn_in|acceptance|rework|happens)|site:" + id +
                 "\\.(ready|install_per_day)|power:" + id + "/[0-9]+\\.slip|risk:" + id +
                 "\\.(occurs|delay|power_factor)|operations\\.utilization)$";
  return s;
}

Json operations() {
  Json props = Json::object();
  props["failures_per_accelerator_day"] = with_default(
      number_at_least("Failures that take a whole system down, per accelerator per day (>= 0).", 0, false), 0);
  props["repair_days"] = with_default(
      ref("duration_days", "Time a failed system is down, in days; enters the model through its mean."), 0);
  props["utilization"] = with_default(
      ref("fraction", "Fraction of peak compute delivered as training compute (MFU), sampled once per trial."), 1);
  return keyed("Failures and utilization. Default: no failures, utilization 1.", props);
}

Json report() {
  const Report defaults;
  Json dates = Json::object();
  dates["type"] = "array";
  dates["description"] = "Exactly these report dates: ascending, each inside the horizon.";
  dates["items"] = ref("date");
  dates["minItems"] = 1;
  dates["uniqueItems"] = true;
  Json every_word = Json::object();
  every_word["enum"] = Json::array({"day", "week", "month"});
  every_word["description"] =
      "day: every day; week: every 7th day from the horizon start and its end; month: each month's last day "
      "and the horizon end.";
  Json every = Json::object();
  every["description"] = "The report dates: day, week, month, or a list of dates.";
  every["default"] = "month";
  every["anyOf"] = Json::array({every_word, dates});

  Json quantile = number("A quantile, strictly between 0 and 1 (0.1 -> column p10).");
  quantile["exclusiveMinimum"] = 0;
  quantile["exclusiveMaximum"] = 1;
  Json quantiles = Json::object();
  quantiles["type"] = "array";
  quantiles["description"] = "Quantiles written for each report date and metric, ascending.";
  quantiles["items"] = quantile;
  quantiles["minItems"] = 1;
  quantiles["uniqueItems"] = true;
  quantiles["default"] = defaults.quantiles;

  Json breakdown = Json::object();
  breakdown["enum"] = Json::array({"site", "system", "largest-site"});
  Json by = Json::object();
  by["type"] = "array";
  by["description"] =
      "Breakdowns written to forecast_by.csv: per site, per system type, and the largest single-site value.";
  by["items"] = breakdown;
  by["uniqueItems"] = true;
  by["default"] = Json::array();

  Json props = Json::object();
  props["every"] = every;
  props["quantiles"] = quantiles;
  props["by"] = by;
  return keyed("Which days, quantiles and breakdowns are reported. Default: monthly, quantiles [0.1, 0.5, 0.9].",
               props);
}

Json metric(const char* description) {
  Json metric = text(description);
  metric["enum"] = metric_names();
  return metric;
}

Json threshold() {
  Json at_least = number("Threshold, in the metric's unit (>= 0).");
  at_least["minimum"] = 0;
  return at_least;
}

Json target() {
  Json props = Json::object();
  props["metric"] = metric("The metric tested.");
  props["scope"] = ref("scope", "The part of the roll-out tested. Default: total.");
  props["date"] = ref("date", "The day it is tested on (value at the end of that day), inside the horizon.");
  props["at_least"] = threshold();
  return keyed("A target: the probability that a metric is at least a threshold on a date.", props,
               {"metric", "date", "at_least"});
}

Json milestone() {
  Json props = Json::object();
  props["metric"] = metric("The metric watched.");
  props["scope"] = ref("scope", "The part of the roll-out watched. Default: total.");
  props["at_least"] = threshold();
  return keyed("A milestone: the first day on which a metric in a scope is at least a threshold.", props,
               {"metric", "at_least"});
}

// The top-level keys.
Json root_properties() {
  const Spec defaults;
  Json props = Json::object();
  Json version = Json::object();
  version["type"] = "integer";
  version["description"] = "Spec format version; only 1 is accepted.";
  version["const"] = 1;
  props["version"] = version;

  Json name = any_text(
      "Scenario name; the default output folder is out/<name>. Letters, digits, '-', '_' and '.', at most 100 "
      "characters, not '.' or '..'.");
  name["pattern"] = "^[A-Za-z0-9._-]{1,100}$";
  Json dots = Json::object();
  dots["enum"] = Json::array({".", ".."});
  name["not"] = dots;
  props["name"] = name;

  Json description = Json::object();
  description["type"] = Json::array({"string", "number", "boolean", "null"});
  description["description"] = "Free text.";
  description["default"] = defaults.description;
  props["description"] = description;

  Json horizon_props = Json::object();
  horizon_props["start"] = ref("date", "Day 0 of the simulation.");
  horizon_props["end"] = ref("date", "The last simulated day, inclusive; not before start, at most 100 years on.");
  props["horizon"] = keyed("The simulated period.", horizon_props, {"start", "end"});

  Json simulation_props = Json::object();
  simulation_props["trials"] =
      with_default(whole("Number of Monte Carlo trials (--trials overrides it).", 1, kMaxTrials), defaults.trials);
  simulation_props["seed"] =
      with_default(whole("Seed of every random stream, 64-bit (--seed overrides it).", 0, kMaxSeed), defaults.seed);
  props["simulation"] = keyed("Monte Carlo settings.", simulation_props);

  props["precision"] = with_default(
      any_text("The dense_tflops entry (precision name) the compute metrics use; every accelerator a system uses "
               "must have it."),
      defaults.precision);
  props["accelerators"] = id_map("Accelerator types by id.", "accelerator", true);
  props["systems"] = id_map("Systems by id.", "system", true);
  props["sites"] = id_map("Sites by id.", "site", true);
  props["tranches"] = id_map("Tranches by id, in spec order (breaks installation ties).", "tranche", true);
  props["risks"] = id_map("Risks by id.", "risk", false);

  Json correlations = Json::object();
  correlations["type"] = Json::array({"array", "null"});
  correlations["description"] = "Correlation groups; quantities in no group are independent.";
  correlations["items"] = ref("correlation");
  props["correlations"] = correlations;

  props["operations"] = operations();
  props["report"] = report();
  props["targets"] = id_map("Targets by id.", "target", false);
  props["milestones"] = id_map("Milestones by id: when is a level first reached?", "milestone", false);
  return props;
}

// The shared definitions ($defs) the properties refer to.
Json definitions() {
  Json defs = Json::object();
  Json date = text("A date YYYY-MM-DD (proleptic Gregorian).");
  date["pattern"] = kDatePattern;
  defs["date"] = date;
  defs["distribution"] = distribution(
      Bounds::any,
      "A random quantity: a plain number (a constant) or a map with exactly one of uniform, triangular, pert, "
      "normal, lognormal, beta, discrete.");
  defs["signed_days"] = distribution(Bounds::any, "A distribution of a number of days, any sign.");
  defs["duration_days"] = distribution(Bounds::nonnegative, "A distribution of a duration in days.");
  defs["nonnegative"] = distribution(Bounds::nonnegative, "A distribution of a non-negative value.");
  defs["install_rate"] = distribution(Bounds::rate, "A distribution of an install rate in systems per day.");
  defs["fraction"] =
      distribution(Bounds::fraction, "A distribution of a fraction or probability (a lognormal is not allowed here).");
  defs["accelerator"] = accelerator();
  defs["system"] = system();
  defs["site"] = site();
  defs["power_step"] = power_step();
  defs["tranche"] = tranche();
  defs["risk"] = risk();
  Json target_pattern = text("tranche:<id>, site:<id> or power:<site>/<index>.");
  target_pattern["pattern"] = std::string("^((tranche|site):") + kId + "|power:" + kId + "/[0-9]+)$";
  defs["risk_target"] = target_pattern;
  defs["correlation"] = correlation();
  defs["quantity_name"] = quantity_name();
  defs["target"] = target();
  defs["milestone"] = milestone();
  Json scope = text("total, site:<site id>, system:<system id> or largest-site.");
  scope["pattern"] = std::string("^(total|largest-site|(site|system):") + kId + ")$";
  scope["default"] = "total";
  defs["scope"] = scope;
  return defs;
}

Json root() {
  Json s = Json::object();
  s["$schema"] = "https://json-schema.org/draft/2020-12/schema";
  s["$id"] = "urn:capplan:spec-format:1";
  s["title"] = "capplan spec, format version 1";
  s["description"] = std::string(
                         "A capplan spec: a cluster build-out (accelerators, systems, sites, tranches, risks, targets) "
                         "simulated by Monte Carlo. See docs/spec-format.md. ") +
                     kWhatIsNotChecked;
  s["type"] = "object";
  s["properties"] = root_properties();
  s["required"] = Json::array({"version", "name", "horizon", "accelerators", "systems", "sites", "tranches"});
  s["additionalProperties"] = false;
  s["$defs"] = definitions();
  return s;
}

}  // namespace

std::string spec_json_schema() { return root().dump(2) + "\n"; }

}  // namespace capplan
