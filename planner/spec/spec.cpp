#include "planner/spec/spec.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

namespace capplan {

double Distribution::support_min() const {
  switch (kind) {
    case Kind::constant:
      return a;
    case Kind::uniform:
    case Kind::triangular:
    case Kind::pert:
      return a;
    case Kind::normal:
      return -std::numeric_limits<double>::infinity();
    case Kind::lognormal:
      return 0.0;
    case Kind::beta:
      return 0.0;
    case Kind::discrete: {
      double lowest = std::numeric_limits<double>::infinity();
      for (double v : values) lowest = std::fmin(lowest, v);
      return lowest;
    }
  }
  return 0.0;
}

double Distribution::support_max() const {
  switch (kind) {
    case Kind::constant:
      return a;
    case Kind::uniform:
      return b;
    case Kind::triangular:
    case Kind::pert:
      return c;
    case Kind::normal:
    case Kind::lognormal:
      return std::numeric_limits<double>::infinity();
    case Kind::beta:
      return 1.0;
    case Kind::discrete: {
      double highest = -std::numeric_limits<double>::infinity();
      for (double v : values) highest = std::fmax(highest, v);
      return highest;
    }
  }
  return 0.0;
}

double Distribution::mean() const {
  switch (kind) {
    case Kind::constant:
      return a;
    case Kind::uniform:
      return 0.5 * (a + b);
    case Kind::triangular:
      return (a + b + c) / 3.0;
    case Kind::pert:
      return (a + 4.0 * b + c) / 6.0;
    case Kind::normal:
      return a;
    case Kind::lognormal:
      return std::exp(a + 0.5 * b * b);
    case Kind::beta:
      return a / (a + b);
    case Kind::discrete: {
      double sum = 0.0, weight_sum = 0.0;
      for (std::size_t i = 0; i < values.size() && i < weights.size(); ++i) {
        sum += values[i] * weights[i];
        weight_sum += weights[i];
      }
      return weight_sum > 0.0 ? sum / weight_sum : 0.0;
    }
  }
  return 0.0;
}

std::string quantile_column(double q) { return "p" + fmt::format("{:.10g}", q * 100.0); }

std::string Scope::text() const {
  switch (kind) {
    case Kind::total:
      return "total";
    case Kind::site:
      return "site:" + id;
    case Kind::system:
      return "system:" + id;
    case Kind::largest_site:
      return "largest-site";
  }
  return "total";
}

std::optional<Scope> parse_scope(const std::string& text) {
  Scope scope;
  if (text == "total") return scope;
  if (text == "largest-site") {
    scope.kind = Scope::Kind::largest_site;
    return scope;
  }
  for (const auto& [prefix, kind] : {std::pair<std::string, Scope::Kind>{"site:", Scope::Kind::site},
                                     std::pair<std::string, Scope::Kind>{"system:", Scope::Kind::system}}) {
    if (text.size() > prefix.size() && text.compare(0, prefix.size(), prefix) == 0) {
      scope.kind = kind;
      scope.id = text.substr(prefix.size());
      return scope;
    }
  }
  return std::nullopt;
}

bool Report::breaks_down_by(const std::string& kind) const { return std::find(by.begin(), by.end(), kind) != by.end(); }

std::string RiskTarget::text() const {
  switch (kind) {
    case Kind::tranche:
      return "tranche:" + id;
    case Kind::site:
      return "site:" + id;
    case Kind::power:
      return "power:" + id + "/" + std::to_string(power_index);
  }
  return id;
}

namespace {
template <typename T>
int index_of(const std::vector<T>& items, const std::string& id) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].id == id) return static_cast<int>(i);
  }
  return -1;
}
template <typename T>
const T* find_in(const std::vector<T>& items, const std::string& id) {
  const int i = index_of(items, id);
  return i < 0 ? nullptr : &items[static_cast<std::size_t>(i)];
}
}  // namespace

const Accelerator* Spec::find_accelerator(const std::string& id) const { return find_in(accelerators, id); }
const System* Spec::find_system(const std::string& id) const { return find_in(systems, id); }
const Site* Spec::find_site(const std::string& id) const { return find_in(sites, id); }
const Tranche* Spec::find_tranche(const std::string& id) const { return find_in(tranches, id); }
int Spec::site_index(const std::string& id) const { return index_of(sites, id); }
int Spec::system_index(const std::string& id) const { return index_of(systems, id); }
int Spec::tranche_index(const std::string& id) const { return index_of(tranches, id); }

std::vector<std::string> sampled_quantity_names(const Spec& spec) {
  std::vector<std::string> names;
  for (const auto& t : spec.tranches) {
    for (const char* field : {"slip", "burn_in", "acceptance", "rework", "happens"}) {
      names.push_back("tranche:" + t.id + "." + field);
    }
  }
  for (const auto& s : spec.sites) {
    names.push_back("site:" + s.id + ".ready");
    names.push_back("site:" + s.id + ".install_per_day");
    for (std::size_t i = 0; i < s.power_mw.size(); ++i) {
      names.push_back("power:" + s.id + "/" + std::to_string(i) + ".slip");
    }
  }
  for (const auto& r : spec.risks) {
    names.push_back("risk:" + r.id + ".occurs");
    if (r.has_delay) names.push_back("risk:" + r.id + ".delay");
    if (r.has_power_factor) names.push_back("risk:" + r.id + ".power_factor");
  }
  names.push_back("operations.utilization");
  return names;
}

const std::vector<std::string>& metric_names() {
  static const std::vector<std::string> kNames = {"delivered_systems",      "installed_systems", "online_systems",
                                                  "available_accelerators", "facility_power_mw", "peak_pflops",
                                                  "effective_pflops",       "delivered_flop_e24"};
  return kNames;
}

}  // namespace capplan
