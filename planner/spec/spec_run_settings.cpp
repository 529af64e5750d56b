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

}  // namespace capplan::loader
