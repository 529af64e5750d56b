#include "planner/spec/spec_distributions.h"
#include "planner/base/limits.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "planner/spec/spec_lexical.h"

namespace capplan::loader {
namespace {

constexpr double kZ90 = 1.2815515655446004;  // standard normal 0.9 quantile
// A truncated normal must keep at least this probability inside its range.
constexpr double kMinTruncatedMass = 1e-6;

const std::vector<std::string> kDistributionKinds = {"uniform",   "triangular", "pert",    "normal",
                                                     "lognormal", "beta",       "discrete"};

// Standard normal CDF.
double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

const char* kind_name(Distribution::Kind kind) {
  switch (kind) {
    case Distribution::Kind::constant:
      return "constant";
    case Distribution::Kind::uniform:
      return "uniform";
    case Distribution::Kind::triangular:
      return "triangular";
    case Distribution::Kind::pert:
      return "pert";
    case Distribution::Kind::normal:
      return "normal";
    case Distribution::Kind::lognormal:
      return "lognormal";
    case Distribution::Kind::beta:
      return "beta";
    case Distribution::Kind::discrete:
      return "discrete";
  }
  return "distribution";
}

// uniform: [min, max] with min <= max.
std::optional<Distribution> read_uniform(SpecDiagnostics& diag, const Field& body) {
  const auto v = read_numbers(diag, body, 2, "a list [min, max]");
  if (!v) return std::nullopt;
  if (!((*v)[0] <= (*v)[1])) {
    error(diag, body, fmt::format("a uniform needs min <= max, found min {}, max {}", (*v)[0], (*v)[1]));
    return std::nullopt;
  }
  Distribution d;
  d.kind = Distribution::Kind::uniform;
  d.a = (*v)[0];
  d.b = (*v)[1];
  return d;
}

// triangular / pert: [min, mode, max] with min <= mode <= max.
std::optional<Distribution> read_three_point(SpecDiagnostics& diag, const Field& body, Distribution::Kind kind) {
  const auto v = read_numbers(diag, body, 3, "a list [min, mode, max]");
  if (!v) return std::nullopt;
  const double min = (*v)[0], mode = (*v)[1], max = (*v)[2];
  if (!(min <= mode && mode <= max)) {
    error(diag, body,
          fmt::format("a {} whose min <= mode <= max does not hold: min {}, mode {}, max {}", kind_name(kind), min,
                      mode, max));
    return std::nullopt;
  }
  Distribution d;
  d.kind = kind;
  d.a = min;
  d.b = mode;
  d.c = max;
  return d;
}

// normal: {mean, sd}, sd > 0.
std::optional<Distribution> read_normal(SpecDiagnostics& diag, const Field& body) {
  const auto map = keyed_map(diag, body, {"mean", "sd"});
  if (!map) return std::nullopt;
  const auto mean_field = required(diag, *map, "mean");
  const auto sd_field = required(diag, *map, "sd");
  const auto mean = read_number(diag, mean_field);
  const auto sd = read_positive(diag, sd_field);
  if (!mean || !sd) return std::nullopt;
  Distribution d;
  d.kind = Distribution::Kind::normal;
  d.a = *mean;
  d.b = *sd;
  return d;
}

// lognormal: {median, p90} or {p10, p90}, stored as mu and sigma of ln X:
//   {median, p90}: mu = ln median,               sigma = (ln p90 - mu) / z90
//   {p10, p90}:    mu = (ln p10 + ln p90) / 2,   sigma = (ln p90 - ln p10) / (2 z90)
std::optional<Distribution> read_lognormal(SpecDiagnostics& diag, const Field& body) {
  const auto map = keyed_map(diag, body, {"median", "p10", "p90"});
  if (!map) return std::nullopt;
  const Field* median_field = map->find("median");
  const Field* p10_field = map->find("p10");
  if (median_field && p10_field) {
    error(diag, body, "expected {median, p90} or {p10, p90}, found both median and p10");
    return std::nullopt;
  }
  if (!median_field && !p10_field) {
    error(diag, body, "expected {median, p90} or {p10, p90}, found neither median nor p10");
    return std::nullopt;
  }
  const auto p90_field = required(diag, *map, "p90");
  const Field& low_field = median_field ? *median_field : *p10_field;
  const char* low_name = median_field ? "median" : "p10";
  const auto low = read_number(diag, low_field);
  const auto p90 = read_number(diag, p90_field);
  if (!low || !p90) return std::nullopt;
  if (!(*low > 0.0)) {
    error(diag, low_field, fmt::format("a lognormal's {} must be > 0, found {}", low_name, *low));
    return std::nullopt;
  }
  if (!(*p90 > *low)) {
    error(diag, *p90_field,
          fmt::format("p90 must be above its {} ({} {}), found p90 {}", low_name, low_name, *low, *p90));
    return std::nullopt;
  }
  Distribution d;
  d.kind = Distribution::Kind::lognormal;
  if (median_field) {
    d.a = std::log(*low);
    d.b = (std::log(*p90) - d.a) / kZ90;
  } else {
    d.a = 0.5 * (std::log(*low) + std::log(*p90));
    d.b = (std::log(*p90) - std::log(*low)) / (2.0 * kZ90);
  }
  if (!(d.b > 0.0) || !std::isfinite(d.a) || !std::isfinite(d.b)) {
    error(diag, *p90_field, fmt::format("p90 {} is too close to the {} {} to give a spread", *p90, low_name, *low));
    return std::nullopt;
  }
  return d;
}

// beta: {mean, sd} with 0 < mean < 1, sd > 0 and sd^2 < mean (1 - mean);
// k = mean (1 - mean) / sd^2 - 1, alpha = mean k, beta = (1 - mean) k.
std::optional<Distribution> read_beta(SpecDiagnostics& diag, const Field& body) {
  const auto map = keyed_map(diag, body, {"mean", "sd"});
  if (!map) return std::nullopt;
  const auto mean_field = required(diag, *map, "mean");
  const auto sd_field = required(diag, *map, "sd");
  auto mean = read_number(diag, mean_field);
  const auto sd = read_positive(diag, sd_field);
  if (mean && !(*mean > 0.0 && *mean < 1.0)) {
    error(diag, *mean_field, fmt::format("a beta's mean must lie strictly between 0 and 1, found {}", *mean));
    mean.reset();
  }
  if (!mean || !sd) return std::nullopt;
  const double variance_limit = *mean * (1.0 - *mean);
  if (!(*sd * *sd < variance_limit)) {
    error(diag, *sd_field,
          fmt::format("a beta with mean {} needs sd below sqrt(mean (1 - mean)) = {:.6g}, found {}", *mean,
                      std::sqrt(variance_limit), *sd));
    return std::nullopt;
  }
  const double k = variance_limit / (*sd * *sd) - 1.0;
  if (k > kMaxBetaConcentration) {
    // alpha + beta = k: Boost's inverse incomplete beta (the quantile table) slows without bound as k grows.
    error(diag, *sd_field,
          fmt::format("sd {} is too small for a beta with mean {}: alpha + beta = {:.3g} exceeds {:.0e}; use the "
                      "constant {} or an sd of at least {:.3g}",
                      *sd, *mean, k, kMaxBetaConcentration, *mean,
                      std::sqrt(variance_limit / (kMaxBetaConcentration + 1.0))));
    return std::nullopt;
  }
  Distribution d;
  d.kind = Distribution::Kind::beta;
  d.a = *mean * k;
  d.b = (1.0 - *mean) * k;
  if (!(d.a > 0.0 && d.b > 0.0 && std::isfinite(d.a) && std::isfinite(d.b))) {
    error(diag, *sd_field, fmt::format("sd {} is too small for a beta with mean {}", *sd, *mean));
    return std::nullopt;
  }
  return d;
}

// discrete: {values, weights} of the same non-zero length; weights >= 0 with a positive sum.
std::optional<Distribution> read_discrete(SpecDiagnostics& diag, const Field& body) {
  const auto map = keyed_map(diag, body, {"values", "weights"});
  if (!map) return std::nullopt;
  const auto values_field = required(diag, *map, "values");
  const auto weights_field = required(diag, *map, "weights");
  const auto values = read_number_list(diag, values_field);
  const auto weights = read_number_list(diag, weights_field);
  if (!values || !weights) return std::nullopt;
  if (values->size() != weights->size()) {
    error(diag, *weights_field,
          fmt::format("expected as many weights as values ({}), found {}", values->size(), weights->size()));
    return std::nullopt;
  }
  double sum = 0.0;
  for (std::size_t i = 0; i < weights->size(); ++i) {
    if (!((*weights)[i] >= 0.0)) {
      error(diag, *weights_field, fmt::format("weights must be >= 0, found {} at index {}", (*weights)[i], i));
      return std::nullopt;
    }
    sum += (*weights)[i];
  }
  if (!(sum > 0.0) || !std::isfinite(sum)) {
    error(diag, *weights_field, fmt::format("expected weights with a positive, finite sum, found sum {}", sum));
    return std::nullopt;
  }
  Distribution d;
  d.kind = Distribution::Kind::discrete;
  d.values = *values;
  d.weights = *weights;
  return d;
}

// A plain number (constant) or a map with exactly one distribution kind.
std::optional<Distribution> read_shape(SpecDiagnostics& diag, const Field& field) {
  if (field.node.IsScalar()) {
    const auto value = read_number(diag, field);
    if (!value) return std::nullopt;
    return Distribution::constant_value(*value);
  }
  if (!field.node.IsMap()) {
    error(diag, field,
          fmt::format("expected a number or a distribution map ({}), found {}", join(kDistributionKinds),
                      describe(field.node)));
    return std::nullopt;
  }
  const auto map = keyed_map(diag, field, kDistributionKinds);
  if (!map) return std::nullopt;
  if (field.node.size() == 0) {
    error(diag, field, fmt::format("expected a number or one of {}, found an empty map", join(kDistributionKinds)));
    return std::nullopt;
  }
  if (map->entries.size() > 1) {
    std::vector<std::string> kinds;
    for (const auto& entry : map->entries) kinds.push_back(entry.first);
    error(diag, field, fmt::format("expected exactly one distribution kind, found {}", join(kinds, " and ")));
    return std::nullopt;
  }
  if (map->entries.empty()) return std::nullopt;  // its key was reported as unknown
  const auto& [kind, body] = map->entries.front();
  if (kind == "uniform") return read_uniform(diag, body);
  if (kind == "triangular") return read_three_point(diag, body, Distribution::Kind::triangular);
  if (kind == "pert") return read_three_point(diag, body, Distribution::Kind::pert);
  if (kind == "normal") return read_normal(diag, body);
  if (kind == "lognormal") return read_lognormal(diag, body);
  if (kind == "beta") return read_beta(diag, body);
  return read_discrete(diag, body);
}

// A normal used where values are bounded is truncated to [low, high] by the
// sampler (kernels/sampling.h: u_lo, u_span); it must keep some probability there.
bool check_truncated_normal(SpecDiagnostics& diag, const Distribution& dist, const Field& field, double low,
                            double high) {
  const double mass = normal_cdf((high - dist.a) / dist.b) - normal_cdf((low - dist.a) / dist.b);
  if (!(mass >= kMinTruncatedMass)) {
    error(diag, field,
          fmt::format("a normal with mean {} and sd {} has almost no probability inside [{}, {}], where "
                      "it is truncated",
                      dist.a, dist.b, low, high));
    return false;
  }
  return true;
}

// The range rules of each use site (see Use).
bool check_use(SpecDiagnostics& diag, const Distribution& dist, const Field& field, Use use) {
  const bool normal = dist.kind == Distribution::Kind::normal;
  const double inf = std::numeric_limits<double>::infinity();
  const auto below_zero = [&](const char* what) {
    error(diag, field,
          fmt::format("this {} can go below 0 (its minimum is {}); {} must be >= 0", kind_name(dist.kind),
                      dist.support_min(), what));
    return false;
  };
  switch (use) {
    case Use::signed_days:
      return true;
    case Use::duration:
      // A normal is allowed and truncated to >= 0 by the sampler.
      if (normal) return check_truncated_normal(diag, dist, field, 0.0, inf);
      if (dist.support_min() < 0.0) return below_zero("a duration in days");
      return true;
    case Use::install_rate:
      // A normal is allowed and truncated to >= 0 by the sampler.
      if (normal) return check_truncated_normal(diag, dist, field, 0.0, inf);
      if (dist.support_min() < 0.0) return below_zero("an install rate");
      if (dist.is_constant() && !(dist.a > 0.0)) {
        error(diag, field, fmt::format("expected an install rate > 0 systems per day, found {}", dist.a));
        return false;
      }
      if (!(dist.support_max() > 0.0)) {
        error(diag, field, "this install rate is never above 0, so the site could never install anything");
        return false;
      }
      return true;
    case Use::unit_interval:
      // A normal is allowed and truncated to [0, 1] by the sampler; a lognormal is not.
      if (normal) return check_truncated_normal(diag, dist, field, 0.0, 1.0);
      if (dist.kind == Distribution::Kind::lognormal) {
        error(diag, field,
              "a lognormal is not allowed here: the value is a fraction in [0, 1] (use beta, uniform, "
              "triangular, pert, normal or discrete)");
        return false;
      }
      if (dist.support_min() < 0.0 || dist.support_max() > 1.0) {
        error(diag, field,
              fmt::format("this {} can go outside [0, 1] (its range is [{}, {}]); a fraction in [0, 1] "
                          "is expected",
                          kind_name(dist.kind), dist.support_min(), dist.support_max()));
        return false;
      }
      return true;
    case Use::factor:
      // A normal is allowed and truncated to >= 0 by the sampler.
      if (normal) return check_truncated_normal(diag, dist, field, 0.0, inf);
      if (dist.support_min() < 0.0) return below_zero("a power factor");
      return true;
  }
  return true;
}

}  // namespace

std::optional<Distribution> read_distribution(SpecDiagnostics& diag, const Field& field, Use use) {
  auto dist = read_shape(diag, field);
  if (!dist) return std::nullopt;
  dist->location = field.where;
  if (!check_use(diag, *dist, field, use)) return std::nullopt;
  return dist;
}

}  // namespace capplan::loader
