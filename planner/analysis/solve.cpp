#include "planner/analysis/solve.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "planner/output/number_format.h"
#include "planner/output/reports.h"

namespace capplan {

namespace {

// Evaluated pairs, lower grid value first, whose probabilities go against the direction.
std::vector<std::pair<std::size_t, std::size_t>> non_monotone_pairs(const std::vector<SolveEvaluation>& evaluations,
                                                                    SolveDirection direction) {
  std::vector<std::size_t> by_value(evaluations.size());
  for (std::size_t i = 0; i < by_value.size(); ++i) by_value[i] = i;
  std::sort(by_value.begin(), by_value.end(),
            [&](std::size_t a, std::size_t b) { return evaluations[a].index < evaluations[b].index; });
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  for (std::size_t i = 0; i < by_value.size(); ++i) {
    for (std::size_t j = i + 1; j < by_value.size(); ++j) {
      const std::uint64_t lower = evaluations[by_value[i]].hits, higher = evaluations[by_value[j]].hits;
      if (direction == SolveDirection::kMin ? lower > higher : lower < higher)
        pairs.emplace_back(by_value[i], by_value[j]);
    }
  }
  return pairs;
}

// A grid value in JSON: an ISO date, an integer when it is one, else a number.
nlohmann::ordered_json value_json(const VaryValue& value) {
  if (value.is_date) return value.text;
  const double x = value.number.value_or(0.0);
  if (x == std::floor(x) && std::fabs(x) < 9007199254740992.0) return static_cast<std::int64_t>(x);
  return x;
}

nlohmann::ordered_json evaluation_json(const SolveEvaluation& evaluation) {
  return {{"value", value_json(evaluation.value)},
          {"probability", evaluation.probability},
          {"ci_lo", evaluation.ci_lo},
          {"ci_hi", evaluation.ci_hi}};
}

const char* direction_name(SolveDirection direction) { return direction == SolveDirection::kMin ? "min" : "max"; }

// "0.8132 (95% CI 0.8078 .. 0.8185)"
std::string probability_text(const SolveEvaluation& evaluation) {
  return fmt::format("{:.4f} (95% CI {:.4f} .. {:.4f})", evaluation.probability, evaluation.ci_lo, evaluation.ci_hi);
}

bool straddles(const SolveEvaluation& evaluation, double required) {
  return evaluation.ci_lo < required && required < evaluation.ci_hi;
}

}  // namespace

SolveResult solve_on_grid(const GridRange& grid, SolveDirection direction,
                          const std::function<SolveEvaluation(std::uint64_t index)>& evaluate,
                          const std::function<bool(const SolveEvaluation&)>& passes) {
  SolveResult result;
  // Evaluates grid index k and returns (where it sits in evaluations, whether it passes).
  auto run = [&](std::uint64_t k) {
    result.evaluations.push_back(evaluate(k));
    return std::make_pair(result.evaluations.size() - 1, passes(result.evaluations.back()));
  };
  const std::uint64_t last = grid.count - 1;
  const auto [low_at, low_passes] = run(0);
  const auto [high_at, high_passes] = last > 0 ? run(last) : std::make_pair(low_at, low_passes);
  const bool min = direction == SolveDirection::kMin;
  // The end that passes when the answer is that end; the end that must pass for any answer.
  const bool end_answers = min ? low_passes : high_passes;
  const bool achievable = min ? high_passes : low_passes;
  if (end_answers) {
    result.answer = min ? low_at : high_at;
  } else if (achievable) {
    // Bracket (failing, passing) in grid indices, and where each was evaluated.
    std::uint64_t fail = min ? 0 : last, pass = min ? last : 0;
    std::size_t fail_at = min ? low_at : high_at, pass_at = min ? high_at : low_at;
    while ((fail > pass ? fail - pass : pass - fail) > 1) {
      const std::uint64_t mid = std::min(fail, pass) + (fail > pass ? fail - pass : pass - fail) / 2;
      const auto [at, ok] = run(mid);
      (ok ? pass : fail) = mid;
      (ok ? pass_at : fail_at) = at;
    }
    result.answer = pass_at;
    result.neighbour = fail_at;
  }
  result.non_monotone = non_monotone_pairs(result.evaluations, direction);
  return result;
}

std::string solve_json(const SolveRecord& record, const SolveResult& result) {
  nlohmann::ordered_json json = provenance_json(record.argv, record.spec_path, record.spec_name, record.spec_sha256);
  json["overrides"] = record.overrides;
  json["target"] = record.target;
  json["probability_required"] = record.probability_required;
  json["path"] = record.path;
  json["direction"] = direction_name(record.direction);
  const SolveEvaluation* answer = result.answer ? &result.evaluations[*result.answer] : nullptr;
  json["value"] = answer ? value_json(answer->value) : nlohmann::ordered_json();
  json["achievable"] = answer != nullptr;
  json["probability_at_value"] = answer ? nlohmann::ordered_json(answer->probability) : nlohmann::ordered_json();
  json["ci_lo"] = answer ? nlohmann::ordered_json(answer->ci_lo) : nlohmann::ordered_json();
  json["ci_hi"] = answer ? nlohmann::ordered_json(answer->ci_hi) : nlohmann::ordered_json();
  json["neighbour"] =
      result.neighbour ? evaluation_json(result.evaluations[*result.neighbour]) : nlohmann::ordered_json();
  json["evaluations"] = nlohmann::ordered_json::array();
  for (const auto& evaluation : result.evaluations) json["evaluations"].push_back(evaluation_json(evaluation));
  json["non_monotone"] = nlohmann::ordered_json::array();
  for (const auto& [lower, higher] : result.non_monotone) {
    json["non_monotone"].push_back(
        {evaluation_json(result.evaluations[lower]), evaluation_json(result.evaluations[higher])});
  }
  json["trials"] = record.trials;
  json["seed"] = record.seed;
  return json.dump(2) + "\n";
}

std::string solve_summary(const SolveRecord& record, const SolveResult& result) {
  const bool min = record.direction == SolveDirection::kMin;
  std::string out;
  if (!result.answer) {
    const SolveEvaluation& best = result.evaluations[min ? result.evaluations.size() - 1 : 0];
    out = fmt::format("Not achievable: P({}) >= {:g} is met nowhere in {} = {} .. {}; at {} it is {}\n", record.target,
                      record.probability_required, record.path, result.evaluations.front().value.text,
                      result.evaluations.back().value.text, best.value.text, probability_text(best));
  } else {
    const SolveEvaluation& answer = result.evaluations[*result.answer];
    out = fmt::format("{} {} = {}: P({}) = {} >= {:g}", min ? "Smallest" : "Largest", record.path, answer.value.text,
                      record.target, probability_text(answer), record.probability_required);
    if (result.neighbour) {
      const SolveEvaluation& neighbour = result.evaluations[*result.neighbour];
      out += fmt::format("; at {} it is {}", neighbour.value.text, probability_text(neighbour));
    }
    out += "\n";
  }
  return out;
}

std::string solve_warnings(const SolveRecord& record, const SolveResult& result) {
  const bool min = record.direction == SolveDirection::kMin;
  std::string out;
  if (result.answer) {
    const SolveEvaluation& answer = result.evaluations[*result.answer];
    const bool noisy =
        straddles(answer, record.probability_required) ||
        (result.neighbour && straddles(result.evaluations[*result.neighbour], record.probability_required));
    if (noisy) {
      out += fmt::format(
          "warning: the 95% interval at the answer or its neighbour contains {:g}: the answer is "
          "within Monte Carlo noise of {} trials; run with more --trials to settle it\n",
          record.probability_required, record.trials);
    }
  }
  for (const auto& [lower, higher] : result.non_monotone) {
    const SolveEvaluation &a = result.evaluations[lower], &b = result.evaluations[higher];
    out += fmt::format("warning: P({}) is not {} in {}: {:.4f} at {} but {:.4f} at {}\n", record.target,
                       min ? "non-decreasing" : "non-increasing", record.path, a.probability, a.value.text,
                       b.probability, b.value.text);
  }
  return out;
}

}  // namespace capplan
