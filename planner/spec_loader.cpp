// Loading and validating a spec (format version 1) from YAML.
//
// The sections are read in a fixed order (horizon, accelerators, systems,
// sites, tranches, risks, ... correlations), whatever the order of the keys in
// the file, so every reference can be checked against what was read before it.
// Every problem becomes a Diagnostic (file, line, column, dotted key path, what
// was expected and what was found); one SpecError carries them all. Entries
// with problems are still kept in the Spec while reading, so later checks
// (references, quantity names) do not report follow-on errors.
//
// The parts: spec_document (text to one YAML document), spec_overrides (--set),
// spec_fields (typed values with their key paths and locations),
// spec_distributions and spec_diagnostics (the problems found, in file
// order); the sections are read below.

#include "planner/spec_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "planner/correlation.h"
#include "planner/errors.h"
#include "planner/limits.h"
#include "planner/spec_diagnostics.h"
#include "planner/spec_distributions.h"
#include "planner/spec_document.h"
#include "planner/spec_fields.h"
#include "planner/spec_lexical.h"
#include "planner/spec_overrides.h"
#include "planner/text_file.h"

namespace capplan {
namespace loader {
namespace {

// Accelerator id -> where its dense_tflops map is, for check_precision.
using TflopsLocations = std::unordered_map<std::string, SourceLocation>;

// ---- horizon, simulation, report, targets -----------------------------------

std::optional<DayNumber> read_date_in_horizon(SpecDiagnostics& diag, const Field& field, const Horizon* horizon) {
  const auto day = read_date(diag, field);
  if (!day || !horizon) return day;
  if (*day < horizon->start || *day > horizon->end) {
    error(diag, field,
          fmt::format("date {} is outside the horizon {} .. {}", format_date(*day), format_date(horizon->start),
                      format_date(horizon->end)));
    return std::nullopt;
  }
  return day;
}

void read_report_every(SpecDiagnostics& diag, const Field& field, const Horizon* horizon, Report& report) {
  if (field.node.IsScalar()) {
    const std::string& every = field.node.Scalar();
    if (every == "day") {
      report.every = Report::Every::day;
    } else if (every == "week") {
      report.every = Report::Every::week;
    } else if (every == "month") {
      report.every = Report::Every::month;
    } else {
      error(diag, field,
            fmt::format("expected day, week, month or a list of dates, found '{}'{}", excerpt(every),
                        did_you_mean(every, {"day", "week", "month"})));
    }
  } else if (const auto items = read_list(diag, field, "report dates (or day, week, month)")) {
    report.every = Report::Every::dates;
    if (items->empty()) error(diag, field, "expected at least one report date");
    for (const Field& item : *items) {
      const auto day = read_date_in_horizon(diag, item, horizon);
      if (!day) continue;
      if (!report.dates.empty() && *day <= report.dates.back()) {
        error(diag, item,
              fmt::format("report dates must be ascending without repeats: {} follows {}", format_date(*day),
                          format_date(report.dates.back())));
        continue;
      }
      report.dates.push_back(*day);
    }
  }
}

void read_report_quantiles(SpecDiagnostics& diag, const Field& field, Report& report) {
  const auto items = read_list(diag, field, "quantiles in (0, 1)");
  if (!items) return;
  report.quantiles.clear();
  if (items->empty()) error(diag, field, "expected at least one quantile");
  for (const Field& item : *items) {
    const auto q = read_number(diag, item);
    if (!q) continue;
    if (!(*q > 0.0 && *q < 1.0)) {
      error(diag, item, fmt::format("expected a quantile strictly between 0 and 1, found {}", *q));
      continue;
    }
    if (!report.quantiles.empty() && *q <= report.quantiles.back()) {
      error(diag, item,
            fmt::format("quantiles must be ascending without repeats: {} follows {}", *q, report.quantiles.back()));
      continue;
    }
    report.quantiles.push_back(*q);
  }
}

bool read_horizon(SpecDiagnostics& diag, const Field& field, Horizon& horizon) {
  const auto map = keyed_map(diag, field, {"start", "end"});
  if (!map) return false;
  const auto start_field = required(diag, *map, "start");
  const auto end_field = required(diag, *map, "end");
  const auto start = read_date(diag, start_field);
  const auto end = read_date(diag, end_field);
  if (!start || !end) return false;
  if (*end < *start) {
    error(diag, *end_field,
          fmt::format("the horizon end {} is before its start {}", format_date(*end), format_date(*start)));
    return false;
  }
  if (*end - *start + 1 > kMaxHorizonDays) {
    error(diag, *end_field,
          fmt::format("the horizon is {} days long; at most 100 years ({} days) is supported", *end - *start + 1,
                      kMaxHorizonDays));
    return false;
  }
  horizon.start = *start;
  horizon.end = *end;
  return true;
}

void read_simulation(SpecDiagnostics& diag, const Field& field, Spec& spec) {
  const auto map = keyed_map(diag, field, {"trials", "seed"});
  if (!map) return;
  if (const Field* f = map->find("trials")) {
    if (const auto trials = read_whole(diag, *f, 1, kMaxTrials)) spec.trials = *trials;
  }
  if (const Field* f = map->find("seed")) {
    if (const auto seed = read_whole(diag, *f, 0, kMaxSeed)) spec.seed = *seed;
  }
}

void read_report(SpecDiagnostics& diag, const Field& field, const Horizon* horizon, Report& report) {
  const auto map = keyed_map(diag, field, {"every", "quantiles"});
  if (!map) return;
  if (const Field* f = map->find("every")) read_report_every(diag, *f, horizon, report);
  if (const Field* f = map->find("quantiles")) read_report_quantiles(diag, *f, report);
}

void read_targets(SpecDiagnostics& diag, const Field& field, const Horizon* horizon, std::vector<Target>& targets) {
  for_each_entry(diag, field, "target", false, [&](const std::string& id, const Field& entry, SourceLocation at) {
    Target target;
    target.id = id;
    target.location = at;
    if (const auto map = keyed_map(diag, entry, {"metric", "date", "at_least"})) {
      if (const auto f = required(diag, *map, "metric")) {
        if (const auto metric = read_text(diag, *f)) {
          target.metric = *metric;
          const auto& names = metric_names();
          if (std::find(names.begin(), names.end(), *metric) == names.end()) {
            const auto best = closest(*metric, names);
            error(diag, *f,
                  best ? fmt::format("unknown metric '{}' (did you mean '{}'?)", excerpt(*metric), *best)
                       : fmt::format("unknown metric '{}'; expected one of: {}", excerpt(*metric), join(names)));
          }
        }
      }
      if (const auto f = required(diag, *map, "date")) {
        if (const auto day = read_date_in_horizon(diag, *f, horizon)) target.date = *day;
      }
      if (const auto f = required(diag, *map, "at_least")) {
        if (const auto value = read_number(diag, *f)) target.at_least = *value;
      }
    }
    targets.push_back(std::move(target));
  });
}

// ---- accelerators, systems, sites -------------------------------------------

// power_mw: a non-empty list of {planned: date, add: MW >= 0, slip_days}.
void read_power_steps(SpecDiagnostics& diag, const Field& field, Site& site) {
  site.power_limited = true;
  const auto items = read_list(diag, field, "power steps {planned, add, slip_days}");
  if (!items) return;
  if (items->empty()) {
    error(diag, field, "expected at least one power step (leave power_mw out for unlimited power)");
    return;
  }
  for (const Field& item : *items) {
    PowerStep step;
    step.location = item.where;
    if (const auto map = keyed_map(diag, item, {"planned", "add", "slip_days"})) {
      if (const auto f = required(diag, *map, "planned")) {
        if (const auto day = read_date(diag, *f)) step.planned = *day;
      }
      if (const auto f = required(diag, *map, "add")) {
        if (const auto mw = read_number_at_least(diag, *f, 0.0, false)) step.add_mw = *mw;
      }
      if (const Field* f = map->find("slip_days")) {
        if (const auto d = read_distribution(diag, *f, Use::signed_days)) step.slip_days = *d;
      }
    }
    site.power_mw.push_back(std::move(step));
  }
}

void read_site(SpecDiagnostics& diag, const std::string& id, const Field& field, SourceLocation at, Spec& spec) {
  Site site;
  site.id = id;
  site.location = at;
  site.ready.planned = spec.horizon.start;  // default: ready from the horizon start, no slip
  site.ready.location = at;
  if (const auto map = keyed_map(diag, field, {"ready", "power_mw", "pue", "install_per_day"})) {
    if (const Field* f = map->find("ready")) {
      site.ready.location = f->where;
      if (const auto ready = keyed_map(diag, *f, {"planned", "slip_days"})) {
        // A planned day before the horizon start counts as day 0.
        if (const auto planned = required(diag, *ready, "planned")) {
          if (const auto day = read_date(diag, *planned)) site.ready.planned = *day;
        }
        if (const Field* slip = ready->find("slip_days")) {
          if (const auto d = read_distribution(diag, *slip, Use::signed_days)) site.ready.slip_days = *d;
        }
      }
    }
    if (const Field* f = map->find("power_mw")) read_power_steps(diag, *f, site);
    if (const Field* f = map->find("pue")) {
      if (const auto pue = read_number_at_least(diag, *f, 1.0, false)) site.pue = *pue;
    }
    if (const Field* f = map->find("install_per_day")) {
      site.install_limited = true;
      if (const auto d = read_distribution(diag, *f, Use::install_rate)) site.install_per_day = *d;
    }
  }
  spec.sites.push_back(std::move(site));
}

void read_accelerators(SpecDiagnostics& diag, const Field& field, Spec& spec, TflopsLocations& tflops_where) {
  for_each_entry(diag, field, "accelerator", true, [&](const std::string& id, const Field& entry, SourceLocation at) {
    Accelerator accelerator;
    accelerator.id = id;
    accelerator.location = at;
    if (const auto map = keyed_map(diag, entry, {"dense_tflops"})) {
      if (const auto tflops = required(diag, *map, "dense_tflops")) {
        tflops_where[id] = tflops->where;
        if (!tflops->node.IsMap() || tflops->node.size() == 0) {
          error(diag, *tflops,
                fmt::format("expected a map of precision -> dense TFLOPS, e.g. {{bf16: 2500}}, found {}",
                            describe(tflops->node)));
        } else {
          for_each_pair(diag, *tflops, [&](const std::string& precision, const Field& value, SourceLocation) {
            if (const auto number = read_number_at_least(diag, value, 0.0, true)) {
              accelerator.dense_tflops.emplace_back(precision, *number);
            }
          });
        }
      }
    }
    spec.accelerators.push_back(std::move(accelerator));
  });
}

void read_systems(SpecDiagnostics& diag, const Field& field, Spec& spec) {
  std::vector<std::string> accelerator_ids;
  for (const auto& a : spec.accelerators) accelerator_ids.push_back(a.id);
  for_each_entry(diag, field, "system", true, [&](const std::string& id, const Field& entry, SourceLocation at) {
    System system;
    system.id = id;
    system.location = at;
    if (const auto map = keyed_map(diag, entry, {"accelerator", "accelerators", "power_kw"})) {
      if (const auto f = required(diag, *map, "accelerator")) {
        if (const auto ref = read_text(diag, *f)) {
          system.accelerator = *ref;
          if (!spec.find_accelerator(*ref)) {
            error(diag, *f,
                  fmt::format("unknown accelerator '{}'{}", excerpt(*ref), did_you_mean(*ref, accelerator_ids)));
          }
        }
      }
      if (const auto f = required(diag, *map, "accelerators")) {
        if (const auto n = read_whole(diag, *f, 1, kMaxAcceleratorsPerSystem)) {
          system.accelerators = static_cast<int>(*n);
        }
      }
      if (const auto f = required(diag, *map, "power_kw")) {
        if (const auto kw = read_number_at_least(diag, *f, 0.0, false)) system.power_kw = *kw;
      }
    }
    spec.systems.push_back(std::move(system));
  });
}

void check_precision(SpecDiagnostics& diag, const Spec& spec, const TflopsLocations& tflops_where) {
  for (const auto& accelerator : spec.accelerators) {
    const auto user = std::find_if(spec.systems.begin(), spec.systems.end(),
                                   [&](const System& s) { return s.accelerator == accelerator.id; });
    const auto where = tflops_where.find(accelerator.id);
    if (user == spec.systems.end() || where == tflops_where.end()) continue;
    const bool has = std::any_of(accelerator.dense_tflops.begin(), accelerator.dense_tflops.end(),
                                 [&](const auto& entry) { return entry.first == spec.precision; });
    if (!has) {
      std::vector<std::string> known;
      for (const auto& entry : accelerator.dense_tflops) known.push_back(entry.first);
      diag.error(where->second, "accelerators." + accelerator.id + ".dense_tflops",
                 fmt::format("no entry for precision '{}' (the spec's precision), which system '{}' uses; found: {}",
                             excerpt(spec.precision), user->id, known.empty() ? "none" : join(known)));
    }
  }
}

void read_sites(SpecDiagnostics& diag, const Field& field, Spec& spec) {
  for_each_entry(diag, field, "site", true, [&](const std::string& id, const Field& entry, SourceLocation at) {
    read_site(diag, id, entry, at, spec);
  });
}

// ---- tranches ---------------------------------------------------------------

// A tranche's `after` list, checked once every tranche id is known.
struct AfterList {
  int tranche = 0;
  Field field;
  std::vector<std::pair<std::string, Field>> entries;
};

// delivery: {planned: date (before the horizon start counts as day 0), slip_days, spread_days: whole >= 0}.
void read_delivery(SpecDiagnostics& diag, const Field& field, Tranche& tranche) {
  const auto map = keyed_map(diag, field, {"planned", "slip_days", "spread_days"});
  if (!map) return;
  if (const auto f = required(diag, *map, "planned")) {
    if (const auto day = read_date(diag, *f)) tranche.delivery_planned = *day;
  }
  if (const Field* f = map->find("slip_days")) {
    if (const auto d = read_distribution(diag, *f, Use::signed_days)) tranche.delivery_slip_days = *d;
  }
  if (const Field* f = map->find("spread_days")) {
    if (const auto n = read_whole(diag, *f, 0, kMaxSpreadDays)) tranche.spread_days = static_cast<int>(*n);
  }
}

// `ref` (at `f`) must name a known entry; `kind` is "system" or "site".
template <typename Entry>
void check_reference(SpecDiagnostics& diag, const Field& f, const std::string& ref, const char* kind,
                     const std::vector<Entry>& entries) {
  const bool known = std::any_of(entries.begin(), entries.end(), [&](const Entry& e) { return e.id == ref; });
  if (known) return;
  std::vector<std::string> ids;
  for (const auto& e : entries) ids.push_back(e.id);
  error(diag, f, fmt::format("unknown {} '{}'{}", kind, excerpt(ref), did_you_mean(ref, ids)));
}

void read_tranche(SpecDiagnostics& diag, const std::string& id, const Field& field, SourceLocation at, Spec& spec,
                  std::vector<AfterList>& after_lists) {
  Tranche tranche;
  tranche.id = id;
  tranche.location = at;
  const auto map = keyed_map(
      diag, field,
      {"system", "site", "units", "probability", "delivery", "burn_in_days", "acceptance", "rework_days", "after"});
  if (map) {
    if (const auto f = required(diag, *map, "system")) {
      if (const auto ref = read_text(diag, *f)) {
        tranche.system = *ref;
        check_reference(diag, *f, *ref, "system", spec.systems);
      }
    }
    if (const auto f = required(diag, *map, "site")) {
      if (const auto ref = read_text(diag, *f)) {
        tranche.site = *ref;
        check_reference(diag, *f, *ref, "site", spec.sites);
      }
    }
    if (const auto f = required(diag, *map, "units")) {
      if (const auto n = read_whole(diag, *f, 0, kMaxUnits)) tranche.units = static_cast<std::int64_t>(*n);
    }
    if (const Field* f = map->find("probability")) {
      if (const auto p = read_probability(diag, *f)) tranche.probability = *p;
    }
    if (const auto f = required(diag, *map, "delivery")) read_delivery(diag, *f, tranche);
    if (const Field* f = map->find("burn_in_days")) {
      if (const auto d = read_distribution(diag, *f, Use::duration)) tranche.burn_in_days = *d;
    }
    if (const Field* f = map->find("acceptance")) {
      if (const auto d = read_distribution(diag, *f, Use::unit_interval)) tranche.acceptance = *d;
    }
    if (const Field* f = map->find("rework_days")) {
      if (const auto d = read_distribution(diag, *f, Use::duration)) tranche.rework_days = *d;
    }
    if (const Field* f = map->find("after")) {
      AfterList list{static_cast<int>(spec.tranches.size()), *f, {}};
      if (!f->node.IsNull()) {  // `after:` with nothing is an empty list
        if (const auto items = read_list(diag, *f, "tranche ids")) {
          for (const Field& item : *items) {
            if (const auto ref = read_text(diag, item)) {
              tranche.after.push_back(*ref);
              list.entries.emplace_back(*ref, item);
            }
          }
        }
      }
      after_lists.push_back(std::move(list));
    }
  }
  spec.tranches.push_back(std::move(tranche));
}

// One error per cycle, at the `after` of its first tranche in spec order: "a -> b -> a".
void report_after_cycle(SpecDiagnostics& diag, const Spec& spec, const std::vector<AfterList>& after_lists,
                        const std::vector<int>& cycle) {
  const std::size_t first = static_cast<std::size_t>(std::min_element(cycle.begin(), cycle.end()) - cycle.begin());
  std::vector<std::string> names;
  for (std::size_t k = 0; k <= cycle.size(); ++k) {
    names.push_back(spec.tranches[static_cast<std::size_t>(cycle[(first + k) % cycle.size()])].id);
  }
  const int head = cycle[first];
  const auto list =
      std::find_if(after_lists.begin(), after_lists.end(), [&](const AfterList& l) { return l.tranche == head; });
  const SourceLocation at = list != after_lists.end() ? list->field.where : SourceLocation{};
  diag.error(
      at, "tranches." + names.front() + ".after",
      fmt::format("`after` forms a cycle, so none of these tranches could ever install: {}", join(names, " -> ")));
}

// Each tranche's `after` entries, as tranche indices; bad entries are reported and left out.
std::vector<std::vector<int>> after_edges(SpecDiagnostics& diag, const Spec& spec,
                                          const std::vector<AfterList>& after_lists) {
  std::vector<std::string> ids;
  for (const auto& t : spec.tranches) ids.push_back(t.id);
  std::vector<std::vector<int>> waits_for(spec.tranches.size());
  for (const AfterList& list : after_lists) {
    const std::string& self = spec.tranches[static_cast<std::size_t>(list.tranche)].id;
    std::unordered_set<std::string> seen;
    for (const auto& [ref, item] : list.entries) {
      const int target = spec.tranche_index(ref);
      if (ref == self) {
        error(diag, item, fmt::format("tranche '{}' cannot come after itself", excerpt(self)));
      } else if (target < 0) {
        error(diag, item, fmt::format("unknown tranche '{}'{}", excerpt(ref), did_you_mean(ref, ids)));
      } else if (!seen.insert(ref).second) {
        error(diag, item, fmt::format("tranche '{}' is listed twice", excerpt(ref)));
      } else {
        waits_for[static_cast<std::size_t>(list.tranche)].push_back(target);
      }
    }
  }
  return waits_for;
}

// `after` entries must name other tranches, once each, without cycles.
void check_after(SpecDiagnostics& diag, const Spec& spec, const std::vector<AfterList>& after_lists) {
  const std::vector<std::vector<int>> waits_for = after_edges(diag, spec, after_lists);
  // Depth-first search without recursion (specs may have many tranches); each
  // back edge closes one cycle, reported once.
  const std::size_t n = waits_for.size();
  std::vector<int> state(n, 0);  // 0 unvisited, 1 on the stack, 2 done
  for (std::size_t root = 0; root < n; ++root) {
    if (state[root] != 0) continue;
    std::vector<std::pair<int, std::size_t>> stack{{static_cast<int>(root), 0}};
    state[root] = 1;
    while (!stack.empty()) {
      const int u = stack.back().first;
      const std::size_t next = stack.back().second;
      const auto& edges = waits_for[static_cast<std::size_t>(u)];
      if (next == edges.size()) {
        state[static_cast<std::size_t>(u)] = 2;
        stack.pop_back();
        continue;
      }
      ++stack.back().second;
      const int v = edges[next];
      if (state[static_cast<std::size_t>(v)] == 0) {
        state[static_cast<std::size_t>(v)] = 1;
        stack.emplace_back(v, 0);
      } else if (state[static_cast<std::size_t>(v)] == 1) {
        std::vector<int> cycle;
        auto it = std::find_if(stack.begin(), stack.end(), [&](const auto& frame) { return frame.first == v; });
        for (; it != stack.end(); ++it) cycle.push_back(it->first);
        report_after_cycle(diag, spec, after_lists, cycle);
      }
    }
  }
}

void read_tranches(SpecDiagnostics& diag, const Field& field, Spec& spec) {
  std::vector<AfterList> after_lists;
  for_each_entry(diag, field, "tranche", true, [&](const std::string& id, const Field& entry, SourceLocation at) {
    read_tranche(diag, id, entry, at, spec, after_lists);
  });
  check_after(diag, spec, after_lists);
}

// ---- risks, operations, correlations ----------------------------------------

// "power:<site>/<index>" after its "power:" (`rest`); `text` is the whole target.
std::optional<RiskTarget> read_power_target(SpecDiagnostics& diag, const Field& field, const std::string& text,
                                            const std::string& rest, const Spec& spec,
                                            const std::vector<std::string>& site_ids) {
  const std::size_t slash = rest.rfind('/');
  const std::string site_id = slash == std::string::npos ? rest : rest.substr(0, slash);
  const std::string index_text = slash == std::string::npos ? std::string() : rest.substr(slash + 1);
  const Site* site = spec.find_site(site_id);
  if (!site) {
    error(diag, field,
          fmt::format("unknown site '{}' in target '{}'{}", excerpt(site_id), excerpt(text),
                      did_you_mean(site_id, site_ids)));
    return std::nullopt;
  }
  if (!is_plain_digits(index_text) || index_text.size() > 9) {
    error(diag, field, fmt::format("expected power:<site>/<index> with a 0-based index, found '{}'", excerpt(text)));
    return std::nullopt;
  }
  const int index = std::stoi(index_text);
  if (static_cast<std::size_t>(index) >= site->power_mw.size()) {
    error(diag, field,
          site->power_mw.empty()
              ? fmt::format("site '{}' has no power_mw steps, so '{}' does not exist", site_id, excerpt(text))
              : fmt::format("power step index {} is out of range: site '{}' has power steps 0 .. {}", index, site_id,
                            site->power_mw.size() - 1));
    return std::nullopt;
  }
  RiskTarget target;
  target.location = field.where;
  target.kind = RiskTarget::Kind::power;
  target.id = site_id;
  target.power_index = index;
  return target;
}

// "tranche:<id>", "site:<id>" or "power:<site>/<index>" (0-based index into the site's power_mw).
std::optional<RiskTarget> read_risk_target(SpecDiagnostics& diag, const Field& field, const Spec& spec) {
  const auto text = read_text(diag, field);
  if (!text) return std::nullopt;
  const std::size_t colon = text->find(':');
  const std::string kind = colon == std::string::npos ? std::string() : text->substr(0, colon);
  const std::string rest = colon == std::string::npos ? std::string() : text->substr(colon + 1);
  RiskTarget target;
  target.location = field.where;
  const auto unknown = [&](const char* what, const std::string& id, const std::vector<std::string>& ids) {
    error(diag, field,
          fmt::format("unknown {} '{}' in target '{}'{}", what, excerpt(id), excerpt(*text), did_you_mean(id, ids)));
    return std::nullopt;
  };
  std::vector<std::string> site_ids;
  for (const auto& s : spec.sites) site_ids.push_back(s.id);
  if (kind == "tranche") {
    std::vector<std::string> ids;
    for (const auto& t : spec.tranches) ids.push_back(t.id);
    if (!spec.find_tranche(rest)) return unknown("tranche", rest, ids);
    target.kind = RiskTarget::Kind::tranche;
    target.id = rest;
    return target;
  }
  if (kind == "site") {
    if (!spec.find_site(rest)) return unknown("site", rest, site_ids);
    target.kind = RiskTarget::Kind::site;
    target.id = rest;
    return target;
  }
  if (kind == "power") return read_power_target(diag, field, *text, rest, spec, site_ids);
  error(diag, field,
        fmt::format("expected tranche:<id>, site:<id> or power:<site>/<index>, found '{}'{}", excerpt(*text),
                    colon == std::string::npos ? std::string() : did_you_mean(kind, {"tranche", "site", "power"})));
  return std::nullopt;
}

// applies_to: a non-empty list of distinct targets. Tranche and power targets
// need delay_days; power_factor needs at least one site target.
void read_applies_to(SpecDiagnostics& diag, const Field& field, const Spec& spec, Risk& risk) {
  const auto items = read_list(diag, field, "targets (tranche:<id>, site:<id>, power:<site>/<index>)");
  if (!items) return;
  if (items->empty())
    error(diag, field, "expected at least one target (tranche:<id>, site:<id>, power:<site>/<index>)");
  std::unordered_set<std::string> seen;
  bool has_site = false;
  for (const Field& item : *items) {
    const auto target = read_risk_target(diag, item, spec);
    if (!target) continue;
    if (!seen.insert(target->text()).second) {
      error(diag, item, fmt::format("target '{}' is listed twice", target->text()));
      continue;
    }
    if (target->kind == RiskTarget::Kind::site) has_site = true;
    if (target->kind != RiskTarget::Kind::site && !risk.has_delay) {
      error(diag, item,
            fmt::format("target '{}' needs the risk to have delay_days (power_factor applies only to "
                        "site targets)",
                        target->text()));
    }
    risk.applies_to.push_back(*target);
  }
  if (risk.has_power_factor && !has_site && !items->empty()) {
    error(diag, field, "a risk with power_factor needs at least one site:<id> target");
  }
}

// A risk needs delay_days, power_factor or both.
void read_risk(SpecDiagnostics& diag, const std::string& id, const Field& field, SourceLocation at, Spec& spec) {
  Risk risk;
  risk.id = id;
  risk.location = at;
  const auto map = keyed_map(diag, field, {"probability", "delay_days", "power_factor", "applies_to"});
  if (map) {
    if (const auto f = required(diag, *map, "probability")) {
      if (const auto p = read_probability(diag, *f)) risk.probability = *p;
    }
    if (const Field* f = map->find("delay_days")) {
      risk.has_delay = true;
      if (const auto d = read_distribution(diag, *f, Use::duration)) risk.delay_days = *d;
    }
    if (const Field* f = map->find("power_factor")) {
      risk.has_power_factor = true;
      if (const auto d = read_distribution(diag, *f, Use::factor)) risk.power_factor = *d;
    }
    if (!risk.has_delay && !risk.has_power_factor) {
      error(diag, field, "a risk needs delay_days, power_factor or both");
    }
    if (const auto f = required(diag, *map, "applies_to")) read_applies_to(diag, *f, spec, risk);
  }
  spec.risks.push_back(std::move(risk));
}

// One group: {variables: [>= 2 distinct quantity names], rank_correlation: in (-1, 1)}.
// Returns whether it is well formed.
bool read_correlation(SpecDiagnostics& diag, const Field& item, const std::vector<std::string>& names,
                      Correlation& correlation) {
  const auto map = keyed_map(diag, item, {"variables", "rank_correlation"});
  if (!map) return false;
  bool ok = true;
  const auto variables_field = required(diag, *map, "variables");
  const auto variables = variables_field ? read_list(diag, *variables_field, "quantity names") : std::nullopt;
  if (variables) {
    for (const Field& v : *variables) {
      const auto name = read_text(diag, v);
      if (!name) {
        ok = false;
      } else if (std::find(names.begin(), names.end(), *name) == names.end()) {
        error(diag, v, fmt::format("unknown quantity '{}'{}", excerpt(*name), did_you_mean(*name, names)));
        ok = false;
      } else if (std::find(correlation.variables.begin(), correlation.variables.end(), *name) !=
                 correlation.variables.end()) {
        error(diag, v, fmt::format("quantity '{}' is listed twice", *name));
        ok = false;
      } else {
        correlation.variables.push_back(*name);
      }
    }
    if (ok && correlation.variables.size() < 2) {
      error(diag, *variables_field,
            fmt::format("expected at least 2 distinct quantities, found {}", correlation.variables.size()));
      ok = false;
    }
  } else {
    ok = false;
  }
  const auto r_field = required(diag, *map, "rank_correlation");
  const auto r = read_number(diag, r_field);
  if (!r) return false;
  if (!(*r > -1.0 && *r < 1.0)) {
    error(diag, *r_field, fmt::format("expected a rank correlation strictly between -1 and 1, found {}", *r));
    return false;
  }
  correlation.rank_correlation = *r;
  return ok;
}

void read_risks(SpecDiagnostics& diag, const Field& field, Spec& spec) {
  for_each_entry(diag, field, "risk", false, [&](const std::string& id, const Field& entry, SourceLocation at) {
    read_risk(diag, id, entry, at, spec);
  });
}

void read_operations(SpecDiagnostics& diag, const Field& field, Operations& operations) {
  const auto map = keyed_map(diag, field, {"failures_per_accelerator_day", "repair_days", "utilization"});
  if (!map) return;
  if (const Field* f = map->find("failures_per_accelerator_day")) {
    if (const auto rate = read_number_at_least(diag, *f, 0.0, false)) operations.failures_per_accelerator_day = *rate;
  }
  if (const Field* f = map->find("repair_days")) {
    if (const auto d = read_distribution(diag, *f, Use::duration)) operations.repair_days = *d;
  }
  if (const Field* f = map->find("utilization")) {
    if (const auto d = read_distribution(diag, *f, Use::unit_interval)) operations.utilization = *d;
  }
}

void read_correlations(SpecDiagnostics& diag, const Field& field, Spec& spec) {
  if (field.node.IsNull()) return;
  const auto items = read_list(diag, field, "correlation groups {variables, rank_correlation}");
  if (!items) return;
  const std::vector<std::string> names = sampled_quantity_names(spec);
  bool all_ok = true;
  for (const Field& item : *items) {
    Correlation correlation;
    correlation.location = item.where;
    all_ok = read_correlation(diag, item, names, correlation) && all_ok;
    spec.correlations.push_back(std::move(correlation));
  }
  if (!all_ok) return;
  CorrelationModel model;
  for (const CorrelationProblem& problem : build_correlation_model(spec, model)) {
    const std::size_t i = static_cast<std::size_t>(std::max(problem.correlation_index, 0));
    if (i < items->size()) {
      error(diag, (*items)[i], problem.message);
    } else {
      error(diag, field, problem.message);
    }
  }
}

// ---- the whole spec -----------------------------------------------------------

const std::vector<std::string> kTopKeys = {"version",   "name",         "description", "horizon", "simulation",
                                           "precision", "accelerators", "systems",     "sites",   "tranches",
                                           "risks",     "correlations", "operations",  "report",  "targets"};

// version: exactly 1.
void read_version(SpecDiagnostics& diag, const Field& field, Spec& spec) {
  const auto version = read_whole(diag, field, 0, std::numeric_limits<std::uint64_t>::max());
  if (!version) return;
  if (*version != 1) {
    error(diag, field, fmt::format("unsupported spec version {}; only version 1 is accepted", *version));
    return;
  }
  spec.version = 1;
}

// name: text that names the output folder out/<name>.
void read_name(SpecDiagnostics& diag, const Field& field, Spec& spec) {
  const auto name = read_text(diag, field);
  if (!name) return;
  spec.name = *name;
  if (!is_valid_name(*name)) {
    error(diag, field,
          fmt::format("expected a name of letters, digits, '-', '_' and '.' (it names the output folder "
                      "out/<name>), found '{}'",
                      excerpt(*name)));
  }
}

// The top-level map, section by section in dependency order.
void read_root(SpecDiagnostics& diag, const Field& root, Spec& spec) {
  if (!root.node.IsMap()) {
    error(diag, root,
          fmt::format("expected a map with the spec's keys (version, name, horizon, ...), found {}",
                      describe(root.node)));
    return;
  }
  const auto top = keyed_map(diag, root, kTopKeys);
  if (!top) return;
  if (const auto f = required(diag, *top, "version")) read_version(diag, *f, spec);
  if (const auto f = required(diag, *top, "name")) read_name(diag, *f, spec);
  if (const Field* f = top->find("description")) {
    if (!f->node.IsNull()) {
      if (const auto text = read_text(diag, *f)) spec.description = *text;
    }
  }
  bool horizon_ok = false;  // dates can be checked against the horizon
  if (const auto f = required(diag, *top, "horizon")) horizon_ok = read_horizon(diag, *f, spec.horizon);
  if (const Field* f = top->find("simulation")) read_simulation(diag, *f, spec);
  bool precision_ok = true;  // absent: the default, bf16
  if (const Field* f = top->find("precision")) {
    const auto text = read_text(diag, *f);
    if (text) spec.precision = *text;
    precision_ok = text.has_value();
  }
  TflopsLocations tflops_where;
  if (const auto f = required(diag, *top, "accelerators")) read_accelerators(diag, *f, spec, tflops_where);
  if (const auto f = required(diag, *top, "systems")) read_systems(diag, *f, spec);
  if (precision_ok) check_precision(diag, spec, tflops_where);
  if (const auto f = required(diag, *top, "sites")) read_sites(diag, *f, spec);
  if (const auto f = required(diag, *top, "tranches")) read_tranches(diag, *f, spec);
  if (const Field* f = top->find("risks")) read_risks(diag, *f, spec);
  if (const Field* f = top->find("operations")) read_operations(diag, *f, spec.operations);
  const Horizon* horizon = horizon_ok ? &spec.horizon : nullptr;
  if (const Field* f = top->find("report")) read_report(diag, *f, horizon, spec.report);
  if (const Field* f = top->find("targets")) read_targets(diag, *f, horizon, spec.targets);
  if (const Field* f = top->find("correlations")) read_correlations(diag, *f, spec);
}

// Parses `text`, applies the --set overrides ("PATH=VALUE") and fills `spec`;
// problems are collected in `diag`.
void read_spec(const std::string& text, const std::vector<std::string>& overrides, SpecDiagnostics& diag, Spec& spec) {
  spec.source_text = text;
  spec.overrides = overrides;
  std::optional<YAML::Node> root = parse_spec_document(text, diag);
  if (!root) return;
  apply_overrides(*root, overrides, diag);
  try {
    read_root(diag, Field{*root, "", location_of(*root, {1, 1})}, spec);
  } catch (const std::exception& e) {
    // Not expected (the readers check node types first), but never let one escape.
    diag.error({}, "", fmt::format("could not read the spec: {}", e.what()));
  }
}

}  // namespace
}  // namespace loader

Spec load_spec_file(const std::string& path, const std::vector<std::string>& overrides) {
  std::string text;
  if (const auto problem = read_text_file(path, "spec file", text, kMaxSpecFileBytes)) {
    throw SpecError({Diagnostic{path, 0, 0, "", *problem}});
  }
  return load_spec_text(text, path, overrides);
}

Spec load_spec_text(const std::string& text, const std::string& file_name, const std::vector<std::string>& overrides) {
  Spec spec;
  spec.source_file = file_name;
  loader::SpecDiagnostics diag(file_name);
  loader::read_spec(text, overrides, diag, spec);
  std::vector<Diagnostic> diagnostics = diag.sorted();
  if (!diagnostics.empty()) throw SpecError(std::move(diagnostics));
  return spec;
}

}  // namespace capplan
