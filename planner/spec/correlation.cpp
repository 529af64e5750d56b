// Gaussian-copula correlation model: connected components of correlated
// quantities, their normal correlation matrices and Cholesky factors.

#include "planner/spec/correlation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <unordered_map>
#include <utility>

namespace capplan {
namespace {

constexpr double kPi = 3.14159265358979323846;
// A Cholesky pivot at or below this means the matrix is not (numerically) positive definite.
constexpr double kMinPivot = 1e-10;

// Union-find over variable indices.
class DisjointSets {
 public:
  explicit DisjointSets(std::size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  int find(int x) {
    while (parent_[static_cast<std::size_t>(x)] != x) {
      int& p = parent_[static_cast<std::size_t>(x)];
      p = parent_[static_cast<std::size_t>(p)];  // path halving
      x = p;
    }
    return x;
  }
  void unite(int a, int b) {
    a = find(a);
    b = find(b);
    if (a == b) return;
    // Keep the smaller index as root, so a root is its component's first variable.
    if (b < a) std::swap(a, b);
    parent_[static_cast<std::size_t>(b)] = a;
  }

 private:
  std::vector<int> parent_;
};

// Normal (Pearson) correlation of the copula that gives Spearman rank correlation r.
double normal_correlation(double rank_correlation) { return 2.0 * std::sin(kPi * rank_correlation / 6.0); }

std::string group_list(const std::vector<int>& groups) {
  std::string out;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    if (i > 0) out += i + 1 == groups.size() ? " and " : ", ";
    out += fmt::format("correlations[{}]", groups[i]);
  }
  return out;
}

// In-place Cholesky of the dense n x n matrix `c` (row-major) into packed lower
// rows; false when a pivot is not above kMinPivot.
bool cholesky_packed(const std::vector<double>& c, int n, std::vector<double>& packed) {
  const auto at = [n](int i, int j) { return static_cast<std::size_t>(i) * static_cast<std::size_t>(n) + j; };
  const auto row = [](int i) { return static_cast<std::size_t>(i) * static_cast<std::size_t>(i + 1) / 2; };
  packed.assign(row(n), 0.0);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j <= i; ++j) {
      double sum = c[at(i, j)];
      for (int k = 0; k < j; ++k) sum -= packed[row(i) + k] * packed[row(j) + k];
      if (i == j) {
        if (!(sum > kMinPivot)) return false;
        packed[row(i) + i] = std::sqrt(sum);
      } else {
        packed[row(i) + j] = sum / packed[row(j) + j];
      }
    }
  }
  return true;
}

}  // namespace

std::vector<CorrelationProblem> build_correlation_model(const Spec& spec, CorrelationModel& model) {
  model = CorrelationModel{};
  std::vector<CorrelationProblem> problems;

  // Variables in order of first appearance.
  std::vector<std::string> names;
  std::unordered_map<std::string, int> index_of;
  std::vector<std::vector<int>> group_vars(spec.correlations.size());
  for (std::size_t g = 0; g < spec.correlations.size(); ++g) {
    for (const auto& name : spec.correlations[g].variables) {
      auto [it, inserted] = index_of.emplace(name, static_cast<int>(names.size()));
      if (inserted) names.push_back(name);
      group_vars[g].push_back(it->second);
    }
  }

  // Components: variables linked by any group. Since roots are the smallest
  // index, ordering components by root orders them by first appearance.
  DisjointSets sets(names.size());
  for (const auto& vars : group_vars) {
    for (std::size_t k = 1; k < vars.size(); ++k) sets.unite(vars[0], vars[k]);
  }
  std::map<int, std::vector<int>> members;  // root -> variables in order of first appearance
  for (int v = 0; v < static_cast<int>(names.size()); ++v) members[sets.find(v)].push_back(v);

  // Pairwise values; a pair given two different values is a problem of the later group.
  std::map<std::pair<int, int>, std::pair<double, int>> pair_value;  // (i < j) -> (rank r, group)
  std::vector<bool> component_conflict(names.size(), false);
  for (std::size_t g = 0; g < group_vars.size(); ++g) {
    const auto& vars = group_vars[g];
    const double r = spec.correlations[g].rank_correlation;
    for (std::size_t p = 0; p < vars.size(); ++p) {
      for (std::size_t q = p + 1; q < vars.size(); ++q) {
        const std::pair<int, int> key{std::min(vars[p], vars[q]), std::max(vars[p], vars[q])};
        const auto [it, inserted] = pair_value.emplace(key, std::make_pair(r, static_cast<int>(g)));
        if (!inserted && it->second.first != r) {
          problems.push_back(CorrelationProblem{
              static_cast<int>(g),
              fmt::format("'{}' and '{}' are given rank correlation {} here but {} in "
                          "correlations[{}]; a pair may have only one value",
                          names[static_cast<std::size_t>(key.first)], names[static_cast<std::size_t>(key.second)], r,
                          it->second.first, it->second.second)});
          component_conflict[static_cast<std::size_t>(sets.find(vars[p]))] = true;
        }
      }
    }
  }

  model.component_start.push_back(0);
  for (const auto& [root, vars] : members) {
    const int n = static_cast<int>(vars.size());
    std::unordered_map<int, int> local;  // variable -> position in the component
    for (int i = 0; i < n; ++i) local[vars[static_cast<std::size_t>(i)]] = i;

    std::vector<double> c(static_cast<std::size_t>(n) * static_cast<std::size_t>(n), 0.0);
    for (int i = 0; i < n; ++i) c[static_cast<std::size_t>(i) * static_cast<std::size_t>(n) + i] = 1.0;
    std::vector<int> groups;  // groups of this component, in spec order
    for (std::size_t g = 0; g < group_vars.size(); ++g) {
      if (!group_vars[g].empty() && sets.find(group_vars[g][0]) == root) groups.push_back(static_cast<int>(g));
    }
    for (const auto& [key, value] : pair_value) {
      if (sets.find(key.first) != root) continue;
      const std::size_t i = static_cast<std::size_t>(local[key.first]);
      const std::size_t j = static_cast<std::size_t>(local[key.second]);
      const double rho = normal_correlation(value.first);
      c[i * static_cast<std::size_t>(n) + j] = rho;
      c[j * static_cast<std::size_t>(n) + i] = rho;
    }

    std::vector<double> packed;
    if (!component_conflict[static_cast<std::size_t>(root)] && !cholesky_packed(c, n, packed)) {
      problems.push_back(CorrelationProblem{
          groups.empty() ? 0 : groups.front(),
          groups.size() > 1
              ? fmt::format("correlation matrix is not positive definite (unreachable): {} cannot all hold "
                            "together for the {} quantities they link",
                            group_list(groups), n)
              : fmt::format("correlation matrix is not positive definite (unreachable): correlations[{}] "
                            "cannot hold for its {} quantities",
                            groups.empty() ? 0 : groups.front(), n)});
    }

    for (int v : vars) model.variables.push_back(names[static_cast<std::size_t>(v)]);
    model.component_start.push_back(static_cast<int>(model.variables.size()));
    model.cholesky_offset.push_back(static_cast<int>(model.cholesky.size()));
    model.cholesky.insert(model.cholesky.end(), packed.begin(), packed.end());
  }

  if (!problems.empty()) {
    model = CorrelationModel{};
    model.component_start.push_back(0);  // an empty model, so component_count() is 0
  }
  return problems;
}

}  // namespace capplan
