#include "planner/spec/spec_infrastructure.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "planner/base/limits.h"
#include "planner/spec/spec_distributions.h"
#include "planner/spec/spec_lexical.h"

namespace capplan::loader {
namespace {

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

}  // namespace

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

}  // namespace capplan::loader
