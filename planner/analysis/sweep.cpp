#include "planner/analysis/sweep.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "kernels/metrics.h"
#include "planner/base/build_info.h"
#include "planner/base/errors.h"
#include "planner/base/limits.h"
#include "planner/base/printable.h"
#include "planner/engine/intervals.h"
#include "planner/output/number_format.h"
#include "planner/output/plot_csv.h"
#include "planner/spec/spec_overrides.h"

namespace capplan {

namespace {

using plots::csv_cell;

// Values a range may hold: every one must be exact as a double's integer part.
constexpr double kMaxRangeValues = 9007199254740992.0;  // 2^53

// `text` as a finite number, read whole (leading and trailing blanks allowed).
std::optional<double> parse_number(const std::string& text) {
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return std::nullopt;
  const std::string trimmed = text.substr(first, text.find_last_not_of(" \t") - first + 1);
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(trimmed.c_str(), &end);
  if (errno != 0 || end != trimmed.c_str() + trimmed.size() || !std::isfinite(value)) return std::nullopt;
  // strtod also reads hex floats, "inf" and "nan"; a range takes plain decimals only.
  if (trimmed.find_first_of("xXnN") != std::string::npos) return std::nullopt;
  return value;
}

std::optional<DayNumber> parse_trimmed_date(const std::string& text) {
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return std::nullopt;
  return parse_date(text.substr(first, text.find_last_not_of(" \t") - first + 1));
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t begin = 0;
  for (std::size_t at = text.find(separator); at != std::string::npos; at = text.find(separator, begin)) {
    parts.push_back(text.substr(begin, at - begin));
    begin = at + 1;
  }
  parts.push_back(text.substr(begin));
  return parts;
}

// A YAML node written in flow form, as a --set value.
std::string flow_text(const YAML::Node& node) {
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << node;
  return out.c_str();
}

// A listed value: its YAML text, and its number or date when it is one.
VaryValue listed_value(const YAML::Node& node) {
  VaryValue value;
  value.text = flow_text(node);
  if (!node.IsScalar()) return value;
  if (const auto day = parse_date(node.Scalar())) {
    value.number = static_cast<double>(*day);
    value.is_date = true;
  } else {
    value.number = parse_number(node.Scalar());
  }
  return value;
}

// VALUES as a YAML flow sequence or a comma list of plain scalars.
std::vector<VaryValue> parse_list(const std::string& values, const std::string& option) {
  std::vector<YAML::Node> nodes;
  try {
    if (!values.empty() && values.front() == '[') {
      const YAML::Node sequence = YAML::Load(values);
      if (!sequence.IsSequence()) throw UsageError("");
      for (const auto& item : sequence) nodes.push_back(item);
    } else {
      for (const std::string& item : split(values, ',')) {
        const YAML::Node node = YAML::Load(item);
        if (!node.IsScalar() || node.Scalar().empty()) throw UsageError("");
        nodes.push_back(node);
      }
    }
  } catch (const std::exception&) {
    throw UsageError(fmt::format(
        "--vary {}: VALUES must be a YAML flow sequence ([600, 700]), a comma list of plain values (600,700) or a "
        "range LO:HI[:STEP] of numbers or dates",
        printable(option)));
  }
  if (nodes.empty()) throw UsageError(fmt::format("--vary {}: no values", printable(option)));
  std::vector<VaryValue> listed;
  for (const auto& node : nodes) listed.push_back(listed_value(node));
  return listed;
}

// Whether one path is the other or lies inside it.
bool overlaps(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const std::size_t n = std::min(a.size(), b.size());
  return std::equal(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n), b.begin());
}

// "point,<path 1>,<path 2>,..." and a point's first cells.
std::string point_header(const SweepGrid& grid) {
  std::string header = "point";
  for (const auto& option : grid.options()) header += "," + csv_cell(option.path);
  return header;
}

std::string point_cells(const SweepGrid& grid, std::uint64_t point) {
  std::string cells = std::to_string(point + 1);
  for (const auto& value : grid.values(point)) cells += "," + value.csv();
  return cells;
}

std::string quantile_columns(const std::vector<double>& quantiles) {
  std::string header;
  for (double q : quantiles) header += "," + quantile_column(q);
  return header;
}

}  // namespace

std::string VaryValue::csv() const { return csv_cell(text); }

VaryValue GridRange::value(std::uint64_t k) const {
  const double x = low + static_cast<double>(k) * step;
  VaryValue value;
  value.is_date = dates;
  if (dates) {
    value.number = x;
    value.text = format_date(static_cast<DayNumber>(x));
    return value;
  }
  // 15 significant digits: 0.1 + 2 x 0.1 is written 0.3, as a planner wrote it.
  value.text = fmt::format("{:.15g}", x);
  value.number = std::strtod(value.text.c_str(), nullptr);
  return value;
}

std::optional<GridRange> parse_range(const std::string& text, const std::string& option) {
  const std::vector<std::string> parts = split(text, ':');
  if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
  GridRange range;
  const auto low_day = parse_trimmed_date(parts[0]), high_day = parse_trimmed_date(parts[1]);
  const auto low = parse_number(parts[0]), high = parse_number(parts[1]);
  if (low_day && high_day) {
    range.dates = true;
    range.low = static_cast<double>(*low_day);
    range.high = static_cast<double>(*high_day);
  } else if (low && high) {
    range.low = *low;
    range.high = *high;
  } else {
    return std::nullopt;
  }
  const std::string rule = fmt::format("--vary {}: a range is LO:HI[:STEP]", printable(option));
  if (parts.size() == 3) {
    const auto step = parse_number(parts[2]);
    if (!step) throw UsageError(rule + ", and STEP must be a number, got '" + printable(parts[2]) + "'");
    range.step = *step;
  }
  if (!(range.step > 0.0)) throw UsageError(fmt::format("{} with STEP > 0, got {:g}", rule, range.step));
  if (range.dates && range.step != std::floor(range.step)) {
    throw UsageError(fmt::format("{} with a whole number of days as STEP between dates, got {:g}", rule, range.step));
  }
  if (range.low > range.high) throw UsageError(rule + " with LO <= HI, got LO after HI");
  const double steps = std::floor((range.high - range.low) / range.step + 1e-9);
  if (!(steps < kMaxRangeValues)) {
    throw UsageError(fmt::format("{} of at most 2^53 values; this one has {:g}", rule, steps + 1));
  }
  range.count = static_cast<std::uint64_t>(steps) + 1;
  return range;
}

VaryOption parse_vary(const std::string& option) {
  const std::size_t equals = option.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw UsageError("--vary expects PATH=VALUES, e.g. sites.site-b.install_per_day=[4,6,8], got '" +
                     printable(option) + "'");
  }
  VaryOption vary;
  vary.path = option.substr(0, equals);
  const auto parts = split_override_path(vary.path);
  if (!parts) throw UsageError("--vary " + printable(option) + ": the path has an empty part");
  vary.parts = *parts;
  const std::string values = option.substr(equals + 1);
  vary.range = parse_range(values, option);
  if (!vary.range) vary.listed = parse_list(values, option);
  return vary;
}

void check_vary_paths(const std::vector<VaryOption>& varies, const std::vector<std::string>& overrides) {
  for (std::size_t i = 0; i < varies.size(); ++i) {
    const VaryOption& vary = varies[i];
    const std::string& root = vary.parts.front();
    if (root == "simulation" || root == "report" || root == "targets" || root == "milestones") {
      throw UsageError(fmt::format(
          "--vary {}: only model inputs can be varied, not {} (every point shares the trials, seed, report, targets "
          "and milestones)",
          printable(vary.path), root));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (overlaps(varies[j].parts, vary.parts)) {
        throw UsageError(fmt::format("--vary {} overlaps --vary {}: vary each path once", printable(vary.path),
                                     printable(varies[j].path)));
      }
    }
    for (const std::string& option : overrides) {
      const auto set_parts = split_override_path(option.substr(0, option.find('=')));
      if (set_parts && overlaps(*set_parts, vary.parts)) {
        throw UsageError(fmt::format("--vary {} overlaps --set {}: a path is either set or varied",
                                     printable(vary.path), printable(option)));
      }
    }
  }
}

SweepGrid::SweepGrid(std::vector<VaryOption> options) : options_(std::move(options)) {
  for (const auto& option : options_) {
    if (option.size() > kMaxSweepPoints || points_ * option.size() > kMaxSweepPoints) {
      throw UsageError(
          fmt::format("a sweep has at most {} points; these --vary options give {}{} (use fewer values "
                      "or a larger STEP, or `capplan solve` to search a long range)",
                      kMaxSweepPoints, option.size() > kMaxSweepPoints ? "more than " : "",
                      option.size() > kMaxSweepPoints ? kMaxSweepPoints : points_ * option.size()));
    }
    points_ *= option.size();
  }
}

std::vector<VaryValue> SweepGrid::values(std::uint64_t point) const {
  std::vector<VaryValue> values(options_.size());
  for (std::size_t i = options_.size(); i-- > 0;) {
    const std::uint64_t n = options_[i].size();
    values[i] = options_[i].value(point % n);
    point /= n;
  }
  return values;
}

std::vector<std::string> SweepGrid::overrides(std::uint64_t point) const {
  const std::vector<VaryValue> values = this->values(point);
  std::vector<std::string> overrides;
  for (std::size_t i = 0; i < options_.size(); ++i) overrides.push_back(options_[i].path + "=" + values[i].text);
  return overrides;
}

PointOutcome point_outcome(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats) {
  PointOutcome outcome;
  for (std::size_t k = 0; k < model.targets.size(); ++k) {
    const CompiledTarget& compiled = model.targets[k];
    TargetOutcome target;
    target.id = compiled.id;
    target.metric = compiled.metric;
    target.scope = model.scope_names[static_cast<std::size_t>(compiled.scope_block)].text();
    target.date = compiled.date;
    target.threshold = compiled.threshold;
    target.hits = stats.target_hits(static_cast<int>(k));
    target.trials = stats.trials();
    target.probability = stats.target_probability(static_cast<int>(k));
    const int row = stats.block_row(compiled.scope_block, compiled.record_index);
    target.mean = stats.mean(row, compiled.metric);
    for (double q : spec.report.quantiles) target.quantiles.push_back(stats.quantile(row, compiled.metric, q));
    outcome.targets.push_back(std::move(target));
  }
  for (std::size_t k = 0; k < model.milestone_specs.size(); ++k) {
    const int index = stats.milestone_outcome(static_cast<int>(k));
    MilestoneOutcome milestone;
    milestone.id = model.milestone_specs[k].id;
    milestone.probability = stats.completion_probability(index);
    for (double q : spec.report.quantiles) {
      const int day = stats.completion_quantile(index, q);
      milestone.quantile_dates.push_back(day < 0 ? "after-horizon" : format_date(model.horizon_start + day));
    }
    outcome.milestones.push_back(std::move(milestone));
  }
  return outcome;
}

std::string sweep_csv(const SweepGrid& grid, const std::vector<PointOutcome>& outcomes) {
  std::string out = point_header(grid) + ",target,metric,scope,date,threshold,probability,ci_lo,ci_hi\n";
  for (std::uint64_t p = 0; p < outcomes.size(); ++p) {
    const std::string point = point_cells(grid, p);
    for (const TargetOutcome& target : outcomes[p].targets) {
      const auto [low, high] = wilson_interval(target.hits, target.trials);
      out += point + "," + target.id + "," + metric_names()[static_cast<std::size_t>(target.metric)] + "," +
             target.scope + "," + format_date(target.date) + "," + fmt::format("{:.10g}", target.threshold) + "," +
             format_probability(target.probability) + "," + format_probability(low) + "," + format_probability(high) +
             "\n";
    }
  }
  return out;
}

std::string sweep_forecast_csv(const SweepGrid& grid, const std::vector<PointOutcome>& outcomes,
                               const std::vector<double>& quantiles) {
  std::string out = point_header(grid) + ",target,metric,scope,date,mean" + quantile_columns(quantiles) + "\n";
  for (std::uint64_t p = 0; p < outcomes.size(); ++p) {
    const std::string point = point_cells(grid, p);
    for (const TargetOutcome& target : outcomes[p].targets) {
      out += point + "," + target.id + "," + metric_names()[static_cast<std::size_t>(target.metric)] + "," +
             target.scope + "," + format_date(target.date) + "," + format_mean(target.mean);
      for (double value : target.quantiles) out += "," + format_value(target.metric, value);
      out += "\n";
    }
  }
  return out;
}

std::string sweep_milestones_csv(const SweepGrid& grid, const std::vector<PointOutcome>& outcomes,
                                 const std::vector<double>& quantiles) {
  std::string out = point_header(grid) + ",milestone,probability_reached" + quantile_columns(quantiles) + "\n";
  for (std::uint64_t p = 0; p < outcomes.size(); ++p) {
    const std::string point = point_cells(grid, p);
    for (const MilestoneOutcome& milestone : outcomes[p].milestones) {
      out += point + "," + milestone.id + "," + format_probability(milestone.probability);
      for (const std::string& date : milestone.quantile_dates) out += "," + date;
      out += "\n";
    }
  }
  return out;
}

}  // namespace capplan
