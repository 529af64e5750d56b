// Gaussian-copula correlation model built from the spec's correlation groups.
#pragma once

#include <string>
#include <vector>

#include "planner/spec/spec.h"

namespace capplan {

// The correlated quantities, split into connected components (quantities linked
// by any group). Each component has its own dense correlation matrix of normal
// correlations rho = 2 sin(pi r / 6) (r = Spearman rank correlation) and its
// Cholesky factor L (C = L L^T).
struct CorrelationModel {
  std::vector<std::string> variables;  // quantity names, component by component
  std::vector<int> component_start;    // size n_components + 1; variables [start[k], start[k+1])
  std::vector<double> cholesky;        // per component, packed lower triangle, row-major:
                                       // row i holds L[i][0..i]
  std::vector<int> cholesky_offset;    // per component, offset into `cholesky`

  int component_count() const { return static_cast<int>(component_start.size()) - 1; }
};

// One reason the correlation groups cannot be used.
struct CorrelationProblem {
  int correlation_index = -1;  // index into spec.correlations that the problem is reported at
  std::string message;
};

// Builds the model. Variables must already be known quantity names (the loader
// checks that). Problems: a pair given two different correlations by two groups,
// and a matrix that is not positive definite ("unreachable"). Returns the problems
// (empty on success); `model` is valid only when none are returned.
std::vector<CorrelationProblem> build_correlation_model(const Spec& spec, CorrelationModel& model);

}  // namespace capplan
