#include "planner/spec/spec_run_settings.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "planner/base/limits.h"
#include "planner/spec/spec_lexical.h"

namespace capplan::loader {
namespace {

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

// report.by: a list of distinct breakdowns, each site, system or largest-site.
void read_report_by(SpecDiagnostics& diag, const Field& field, Report& report) {
  const auto items = read_list(diag, field, "breakdowns (site, system, largest-site)");
  if (!items) return;
  const std::vector<std::string> allowed = {"site", "system", "largest-site"};
  for (const Field& item : *items) {
    const auto kind = read_text(diag, item);
    if (!kind) continue;
    if (std::find(allowed.begin(), allowed.end(), *kind) == allowed.end()) {
      error(diag, item,
            fmt::format("expected a breakdown site, system or largest-site, found '{}'{}", excerpt(*kind),
                        did_you_mean(*kind, allowed)));
    } else if (report.breaks_down_by(*kind)) {
      error(diag, item, fmt::format("the breakdown '{}' is listed twice", *kind));
    } else {
      report.by.push_back(*kind);
    }
  }
}

// A metric name (metric_names()); nullopt after an error.
std::optional<std::string> read_metric(SpecDiagnostics& diag, const Field& field) {
  const auto metric = read_text(diag, field);
  if (!metric) return std::nullopt;
  const auto& names = metric_names();
  if (std::find(names.begin(), names.end(), *metric) != names.end()) return metric;
  const auto best = closest(*metric, names);
  error(diag, field,
        best ? fmt::format("unknown metric '{}' (did you mean '{}'?)", excerpt(*metric), *best)
             : fmt::format("unknown metric '{}'; expected one of: {}", excerpt(*metric), join(names)));
  return std::nullopt;
}

template <class Items>
std::vector<std::string> ids_of(const Items& items) {
  std::vector<std::string> ids;
  for (const auto& item : items) ids.push_back(item.id);
  return ids;
}

// A scope (total, site:<id>, system:<id>, largest-site) whose id names a site
// or system of the spec; nullopt after an error.
std::optional<Scope> read_scope(SpecDiagnostics& diag, const Field& field, const Spec& spec) {
  const auto text = read_text(diag, field);
  if (!text) return std::nullopt;
  const auto scope = parse_scope(*text);
  if (!scope) {
    error(diag, field,
          fmt::format("expected a scope: total, site:<site id>, system:<system id> or largest-site, found '{}'{}",
                      excerpt(*text), did_you_mean(*text, {"total", "largest-site"})));
    return std::nullopt;
  }
  const bool site = scope->kind == Scope::Kind::site;
  if (site || scope->kind == Scope::Kind::system) {
    const std::vector<std::string> ids = site ? ids_of(spec.sites) : ids_of(spec.systems);
    if (std::find(ids.begin(), ids.end(), scope->id) == ids.end()) {
      error(diag, field,
            fmt::format("unknown {} '{}' in scope '{}'{}", site ? "site" : "system", excerpt(scope->id), excerpt(*text),
                        did_you_mean(scope->id, ids)));
      return std::nullopt;
    }
  }
  return scope;
}

// A threshold (at_least): a number >= 0.
std::optional<double> read_threshold(SpecDiagnostics& diag, const Field& field) {
  const auto value = read_number(diag, field);
  if (value && !(*value >= 0.0)) {
    error(diag, field, fmt::format("expected a threshold >= 0, found {}", *value));
    return std::nullopt;
  }
  return value;
}

}  // namespace

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
  const auto map = keyed_map(diag, field, {"every", "quantiles", "by"});
  if (!map) return;
  if (const Field* f = map->find("every")) read_report_every(diag, *f, horizon, report);
  if (const Field* f = map->find("quantiles")) read_report_quantiles(diag, *f, report);
  if (const Field* f = map->find("by")) read_report_by(diag, *f, report);
}

void read_targets(SpecDiagnostics& diag, const Field& field, const Horizon* horizon, Spec& spec) {
  for_each_entry(diag, field, "target", false, [&](const std::string& id, const Field& entry, SourceLocation at) {
    Target target;
    target.id = id;
    target.location = at;
    if (const auto map = keyed_map(diag, entry, {"metric", "scope", "date", "at_least"})) {
      if (const auto f = required(diag, *map, "metric")) target.metric = read_metric(diag, *f).value_or("");
      if (const Field* f = map->find("scope")) target.scope = read_scope(diag, *f, spec).value_or(Scope{});
      if (const auto f = required(diag, *map, "date")) {
        if (const auto day = read_date_in_horizon(diag, *f, horizon)) target.date = *day;
      }
      if (const auto f = required(diag, *map, "at_least")) target.at_least = read_threshold(diag, *f).value_or(0.0);
    }
    spec.targets.push_back(std::move(target));
  });
}

void read_milestones(SpecDiagnostics& diag, const Field& field, Spec& spec) {
  for_each_entry(diag, field, "milestone", false, [&](const std::string& id, const Field& entry, SourceLocation at) {
    Milestone milestone;
    milestone.id = id;
    milestone.location = at;
    if (const auto map = keyed_map(diag, entry, {"metric", "scope", "at_least"})) {
      if (const auto f = required(diag, *map, "metric")) milestone.metric = read_metric(diag, *f).value_or("");
      if (const Field* f = map->find("scope")) milestone.scope = read_scope(diag, *f, spec).value_or(Scope{});
      if (const auto f = required(diag, *map, "at_least")) milestone.at_least = read_threshold(diag, *f).value_or(0.0);
    }
    spec.milestones.push_back(std::move(milestone));
  });
}

}  // namespace capplan::loader
