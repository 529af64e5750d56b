// `capplan solve`: the smallest or largest value of one input on a grid at
// which a target is met with a required probability, found by bisection on
// common random numbers, and its report (solve.json and a one-line answer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "planner/analysis/sweep.h"

namespace capplan {

enum class SolveDirection { kMin, kMax };

// One value solve simulated: grid index, value and P(target met) with its Wilson 95% interval.
struct SolveEvaluation {
  std::uint64_t index = 0;
  VaryValue value;
  std::uint64_t hits = 0, trials = 0;
  double probability = 0.0, ci_lo = 0.0, ci_hi = 0.0;
};

struct SolveResult {
  std::vector<SolveEvaluation> evaluations;  // in the order evaluated
  std::optional<std::size_t> answer;         // into evaluations; empty when not achievable
  std::optional<std::size_t> neighbour;      // the evaluated grid value next to the answer on the failing side
  // Evaluated pairs (into evaluations, lower grid value first) whose
  // probabilities go against the assumed direction.
  std::vector<std::pair<std::size_t, std::size_t>> non_monotone;
};

// Finds the smallest (kMin) or largest (kMax) grid value whose probability is
// >= `required`, assuming the probability is monotone in the value (non-
// decreasing for kMin, non-increasing for kMax): evaluates LO, then HI, then
// halves the bracket between a failing and a passing value. `passes` says
// whether an evaluation meets `required` (so that every MPI rank takes the
// same branches: the caller decides on one rank and shares the answer).
SolveResult solve_on_grid(const GridRange& grid, SolveDirection direction,
                          const std::function<SolveEvaluation(std::uint64_t index)>& evaluate,
                          const std::function<bool(const SolveEvaluation&)>& passes);

// What solve.json records besides the search.
struct SolveRecord {
  std::string target;
  double probability_required = 0.0;
  std::string path;
  SolveDirection direction = SolveDirection::kMin;
  std::uint64_t trials = 0, seed = 0;
  std::vector<std::string> argv;
  std::string spec_path, spec_name, spec_sha256;
  std::vector<std::string> overrides;
};

std::string solve_json(const SolveRecord& record, const SolveResult& result);
// The one-line answer, with the probability and its interval (for stdout).
std::string solve_summary(const SolveRecord& record, const SolveResult& result);
// "warning: ..." lines (for stderr): the answer within Monte Carlo noise of the
// required probability, and every pair that breaks monotonicity.
std::string solve_warnings(const SolveRecord& record, const SolveResult& result);

}  // namespace capplan
