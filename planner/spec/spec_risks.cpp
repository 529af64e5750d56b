#include "planner/spec/spec_risks.h"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "planner/spec/correlation.h"
#include "planner/spec/spec_distributions.h"
#include "planner/spec/spec_lexical.h"

namespace capplan::loader {
namespace {

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

}  // namespace

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

}  // namespace capplan::loader
