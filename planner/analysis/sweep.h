// Decisions over a spec's inputs (`capplan sweep` and `capplan solve`): the
// values a --vary option takes, the grid of points they form, what one point's
// simulation yields for its targets and milestones, the sweep tables, and the
// bisection that finds the smallest or largest value meeting a probability.
// Every point runs with the same seed and trial count, so candidates are
// compared on common random numbers (docs/spec-format.md §4.10).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "planner/base/date.h"
#include "planner/engine/model_builder.h"
#include "planner/engine/statistics.h"
#include "planner/spec/spec.h"

namespace capplan {

// One value a --vary option gives its path.
struct VaryValue {
  std::string text;              // YAML, exactly what the point passes as --set PATH=TEXT
  std::optional<double> number;  // a number's value, or a date's day number; empty for other YAML
  bool is_date = false;

  // The value as a CSV cell: the text, quoted when it holds a comma or a quote.
  std::string csv() const;
};

// A range LO:HI[:STEP] of numbers or of ISO dates (STEP in days): the values
// LO + k STEP for k = 0, 1, ... while LO + k STEP <= HI + 1e-9 STEP, each
// computed by one multiplication (not by repeated addition).
struct GridRange {
  bool dates = false;
  double low = 0.0, high = 0.0, step = 1.0;  // dates: day numbers and days
  std::uint64_t count = 0;                   // values in the range, >= 1

  VaryValue value(std::uint64_t k) const;
};

// `text` as a range when LO and HI are both numbers or both ISO dates (so
// "site:site-b" is not one); nothing otherwise. A range with LO > HI, STEP <= 0,
// a fractional STEP of days or more than 2^53 values is a UsageError naming `option`.
std::optional<GridRange> parse_range(const std::string& text, const std::string& option);

// One --vary PATH=VALUES option.
struct VaryOption {
  std::string path;                // as given (the sweep tables' column heading)
  std::vector<std::string> parts;  // the path split as --set splits it
  std::optional<GridRange> range;  // given as LO:HI[:STEP]
  std::vector<VaryValue> listed;   // given as a list (flow sequence or comma list)

  std::uint64_t size() const { return range ? range->count : listed.size(); }
  VaryValue value(std::uint64_t k) const { return range ? range->value(k) : listed[k]; }
};

// Parses "PATH=VALUES": VALUES is a YAML flow sequence ("[600, {uniform: [1, 2]}]"),
// a range (parse_range) or a comma list of plain scalars ("600,700"). A
// UsageError names the option and the rule broken.
VaryOption parse_vary(const std::string& option);

// Refuses (UsageError) a --vary path that is not a model input (under
// simulation, report, targets or milestones), that repeats another --vary
// path or lies inside one, or that a --set option also sets (or sets inside).
void check_vary_paths(const std::vector<VaryOption>& varies, const std::vector<std::string>& overrides);

// The full grid of several --vary options, the first varying slowest. Points
// are numbered from 0 here and from 1 in every table and message.
class SweepGrid {
 public:
  // A UsageError when the grid has more than kMaxSweepPoints points.
  explicit SweepGrid(std::vector<VaryOption> options);
  std::uint64_t points() const { return points_; }
  const std::vector<VaryOption>& options() const { return options_; }
  std::vector<VaryValue> values(std::uint64_t point) const;
  // The point's changes: "PATH=VALUE" per option, as --set takes them.
  std::vector<std::string> overrides(std::uint64_t point) const;

 private:
  std::vector<VaryOption> options_;
  std::uint64_t points_ = 1;
};

// What one simulated point says about a target: P(met) and the target's
// metric on its date in its scope.
struct TargetOutcome {
  std::string id;
  int metric = 0;
  std::string scope;
  DayNumber date = 0;
  double threshold = 0.0;
  std::uint64_t hits = 0, trials = 0;
  double probability = 0.0;
  double mean = 0.0;
  std::vector<double> quantiles;  // at the report quantiles
};

// ... and about a milestone: P(reached within the horizon) and its dates.
struct MilestoneOutcome {
  std::string id;
  double probability = 0.0;
  std::vector<std::string> quantile_dates;  // ISO dates or "after-horizon", at the report quantiles
};

struct PointOutcome {
  std::vector<TargetOutcome> targets;
  std::vector<MilestoneOutcome> milestones;
};

// The targets and milestones of one simulated point.
PointOutcome point_outcome(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats);

// sweep.csv: one row per point and target, "point,<paths>,target,metric,scope,
// date,threshold,probability,ci_lo,ci_hi" (Wilson 95%).
std::string sweep_csv(const SweepGrid& grid, const std::vector<PointOutcome>& outcomes);
// sweep_forecast.csv: the targets' metrics on their dates, "point,<paths>,
// target,metric,scope,date,mean,<quantiles>".
std::string sweep_forecast_csv(const SweepGrid& grid, const std::vector<PointOutcome>& outcomes,
                               const std::vector<double>& quantiles);
// sweep_milestones.csv: "point,<paths>,milestone,probability_reached,<quantiles as dates>".
std::string sweep_milestones_csv(const SweepGrid& grid, const std::vector<PointOutcome>& outcomes,
                                 const std::vector<double>& quantiles);

}  // namespace capplan
