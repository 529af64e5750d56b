#include "planner/analysis/baseline.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "kernels/metrics.h"
#include "planner/base/build_info.h"
#include "planner/base/date.h"
#include "planner/base/errors.h"
#include "planner/base/limits.h"
#include "planner/engine/intervals.h"
#include "planner/output/output_files.h"
#include "planner/output/reports.h"

namespace capplan {

namespace {

using nlohmann::json;

json rank_of(std::pair<double, double> bounds, std::uint64_t n) {
  const auto count_of = [n](double fraction) {
    return static_cast<std::uint64_t>(std::llround(fraction * static_cast<double>(n)));
  };
  return json::array({count_of(bounds.first), count_of(bounds.second)});
}

// One record cell (a row of forecast.csv or forecast_by.csv; `row` is a row of
// any scope block): mean, spread, and per quantile its value, 95% interval and
// pX_rank = trials (below, at or below) the value's histogram bin, the
// baseline's side of the rank-space test.
json record_cell(const ForecastStatistics& stats, int row, int m, const std::vector<double>& quantiles) {
  json cell;
  cell["metric"] = metric_names()[static_cast<std::size_t>(m)];
  cell["mean"] = stats.mean(row, m);
  cell["sd"] = stats.standard_deviation(row, m);
  for (double q : quantiles) {
    const std::string column = quantile_column(q);
    const double value = stats.quantile(row, m, q);
    const ValueInterval interval = stats.quantile_interval(row, m, q, kZ95);
    cell[column] = value;
    cell[column + "_lo"] = interval.low;
    cell[column + "_hi"] = interval.high;
    cell[column + "_rank"] = rank_of(stats.cdf_bounds(row, m, value), stats.trials());
  }
  return cell;
}

// The cells of forecast.csv or, with `breakdowns`, of forecast_by.csv (each
// with its scope), in the table's order.
json record_cells(const CompiledModel& model, const ForecastStatistics& stats, const std::vector<double>& quantiles,
                  bool breakdowns) {
  json cells = json::array();
  for_each_record_cell(model, breakdowns, [&](const std::string&, int block, int row, int m) {
    json cell = record_cell(stats, stats.block_row(block, row), m, quantiles);
    cell["date"] = format_date(model.horizon_start + model.record_days[static_cast<std::size_t>(row)]);
    if (breakdowns) cell["scope"] = model.scope_names[static_cast<std::size_t>(block)].text();
    cells.push_back(std::move(cell));
  });
  return cells;
}

// An outcome (a tranche's completion, a milestone's first passage): the trials
// it happened in within the horizon under `count_key`, their fraction under
// `probability_key`, and per quantile the day (from the horizon start; -1 =
// after the horizon), its 95% interval and its rank.
json outcome_item(const ForecastStatistics& stats, int outcome, const std::vector<double>& quantiles,
                  const char* count_key, const char* probability_key) {
  json item;
  item[count_key] = stats.completion_count(outcome);
  item[probability_key] = stats.completion_probability(outcome);
  for (double q : quantiles) {
    const std::string column = quantile_column(q);
    const int day = stats.completion_quantile(outcome, q);
    const auto [low, high] = stats.completion_interval(outcome, q, kZ95);
    item[column] = day;
    item[column + "_lo"] = low;
    item[column + "_hi"] = high;
    item[column + "_rank"] = rank_of(stats.completion_cdf_bounds(outcome, day), stats.trials());
  }
  return item;
}

json target_items(const CompiledModel& model, const ForecastStatistics& stats) {
  json targets = json::array();
  for (std::size_t k = 0; k < model.targets.size(); ++k) {
    const CompiledTarget& target = model.targets[k];
    targets.push_back({{"id", target.id},
                       {"metric", metric_names()[static_cast<std::size_t>(target.metric)]},
                       {"scope", model.scope_names[static_cast<std::size_t>(target.scope_block)].text()},
                       {"date", format_date(target.date)},
                       {"threshold", target.threshold},
                       {"hits", stats.target_hits(static_cast<int>(k))},
                       {"trials", stats.trials()},
                       {"probability", stats.target_probability(static_cast<int>(k))}});
  }
  return targets;
}

json tranche_items(const Spec& spec, const ForecastStatistics& stats) {
  json tranches = json::array();
  for (std::size_t t = 0; t < spec.tranches.size(); ++t) {
    json tranche = outcome_item(stats, static_cast<int>(t), spec.report.quantiles, "complete", "probability_complete");
    tranche["id"] = spec.tranches[t].id;
    tranche["units"] = spec.tranches[t].units;
    tranches.push_back(std::move(tranche));
  }
  return tranches;
}

json milestone_items(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats) {
  json milestones = json::array();
  for (std::size_t k = 0; k < model.milestone_specs.size(); ++k) {
    const Milestone& milestone = model.milestone_specs[k];
    json item = outcome_item(stats, stats.milestone_outcome(static_cast<int>(k)), spec.report.quantiles, "reached",
                             "probability_reached");
    item["id"] = milestone.id;
    item["metric"] = milestone.metric;
    item["scope"] = milestone.scope.text();
    item["threshold"] = milestone.at_least;
    milestones.push_back(std::move(item));
  }
  return milestones;
}

// A JSON value as a message shows it: at most 60 characters.
std::string shown(const json& value) {
  std::string text = value.dump();
  return text.size() > 60 ? text.substr(0, 57) + "..." : text;
}

}  // namespace

RunTables checked_tables(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats) {
  RunTables tables{forecast_csv(spec, model, stats), tranches_csv(spec, model, stats), targets_csv(spec, model, stats),
                   "", ""};
  if (model.breakdown_blocks > 0) tables.forecast_by = forecast_by_csv(spec, model, stats);
  if (!model.milestone_specs.empty()) tables.milestones = milestones_csv(spec, model, stats);
  return tables;
}

json make_baseline(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats,
                   const RunTables& tables) {
  json out;
  out["format_version"] = kBaselineFormatVersion;
  out["tool"] = "capplan";
  out["tool_version"] = tool_version();
  out["git_revision"] = git_revision();
  out["spec"] = {{"name", spec.name}, {"sha256", sha256_hex(spec.source_text)}, {"overrides", spec.overrides}};
  out["seed"] = spec.seed;
  out["trials"] = stats.trials();
  out["horizon"] = {{"start", format_date(spec.horizon.start)}, {"end", format_date(spec.horizon.end)}};
  out["quantiles"] = spec.report.quantiles;
  out["forecast"] = record_cells(model, stats, spec.report.quantiles, false);
  out["forecast_by"] = record_cells(model, stats, spec.report.quantiles, true);
  out["targets"] = target_items(model, stats);
  out["tranches"] = tranche_items(spec, stats);
  out["milestones"] = milestone_items(spec, model, stats);
  out["tables"] = {{"forecast", tables.forecast},
                   {"tranches", tables.tranches},
                   {"targets", tables.targets},
                   {"forecast_by", tables.forecast_by},
                   {"milestones", tables.milestones}};
  return out;
}

void check_format_version(const json& version, const std::string& file) {
  if (version.is_number_integer() && version.get<std::int64_t>() == kBaselineFormatVersion) return;
  const std::string baseline = file.empty() ? "the baseline" : "the baseline " + file;
  if (version.is_number_integer() && version.get<std::int64_t>() == 1) {
    throw UsageError(fmt::format(
        "{} is format_version 1, from an older capplan that stored no breakdowns, target scopes or milestones; "
        "this capplan reads format_version {}: re-make it with `capplan baseline SPEC -o {}` (every committed "
        "baseline: `tools/nightly.sh --refresh`; docs/nightly.md)",
        baseline, kBaselineFormatVersion, file.empty() ? "FILE" : file));
  }
  throw UsageError(
      fmt::format("{} is invalid: format_version must be {}, the format this capplan reads (make a new baseline with "
                  "`capplan baseline`), got {}",
                  baseline, kBaselineFormatVersion, shown(version)));
}

namespace {

// The checks of one baseline file, each failure naming the file and the
// field's JSON path.
class BaselineValidator {
 public:
  BaselineValidator(const json& baseline, const std::string& file) : baseline_(baseline), file_(file) {}

  void run() {
    if (!baseline_.is_object()) throw UsageError("the baseline " + file_ + " is not a JSON object");
    header();
    quantiles_ = quantiles();
    for (double q : quantiles_) columns_.push_back(quantile_column(q));
    record_cells("forecast", false);
    record_cells("forecast_by", true);
    items("targets", [this](const json& target, const std::string& path) {
      metric(target, path);
      scope(target, path, true);
      date(target, path, "date");
      finite(target, path, "threshold");
      count(target, path, "trials", trials_, trials_);
      const std::uint64_t hits = count(target, path, "hits", 0, trials_);
      probability(target, path, "probability", hits, trials_);
    });
    items("tranches", [this](const json& tranche, const std::string& path) {
      count(tranche, path, "units", 0, kMaxUnits);
      outcome(tranche, path, "complete", "probability_complete");
    });
    items("milestones", [this](const json& milestone, const std::string& path) {
      metric(milestone, path);
      scope(milestone, path, true);
      finite(milestone, path, "threshold");
      outcome(milestone, path, "reached", "probability_reached");
    });
    const json& tables = object(baseline_, "", "tables");
    for (const char* name : {"forecast", "tranches", "targets", "forecast_by", "milestones"}) {
      text(tables, "tables", name);
    }
  }

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& rule, const json* value = nullptr) const {
    throw UsageError("the baseline " + file_ + " is invalid: " + path + " " + rule +
                     (value ? ", got " + shown(*value) : std::string()));
  }
  static std::string join_path(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
  }
  const json& field(const json& object, const std::string& parent, const std::string& key) const {
    if (!object.contains(key)) fail(join_path(parent, key), "is missing");
    return object[key];
  }
  const json& object(const json& parent, const std::string& path, const std::string& key) const {
    const json& value = field(parent, path, key);
    if (!value.is_object()) fail(join_path(path, key), "must be an object", &value);
    return value;
  }
  const json& array(const json& parent, const std::string& path, const std::string& key) const {
    const json& value = field(parent, path, key);
    if (!value.is_array()) fail(join_path(path, key), "must be an array", &value);
    return value;
  }
  std::string text(const json& parent, const std::string& path, const std::string& key, bool non_empty = false) const {
    const json& value = field(parent, path, key);
    if (!value.is_string() || (non_empty && value.get_ref<const std::string&>().empty())) {
      fail(join_path(path, key), non_empty ? "must be a non-empty string" : "must be a string", &value);
    }
    return value.get<std::string>();
  }
  std::uint64_t count(const json& parent, const std::string& path, const std::string& key, std::uint64_t low,
                      std::uint64_t high) const {
    const json& value = field(parent, path, key);
    if (!value.is_number_unsigned() || value.get<std::uint64_t>() < low || value.get<std::uint64_t>() > high) {
      fail(join_path(path, key), fmt::format("must be an integer between {} and {}", low, high), &value);
    }
    return value.get<std::uint64_t>();
  }
  std::int64_t integer(const json& parent, const std::string& path, const std::string& key, std::int64_t low,
                       std::int64_t high) const {
    const json& value = field(parent, path, key);
    if (!value.is_number_integer() || (value.is_number_unsigned() && value.get<std::uint64_t>() > kMaxTrials) ||
        value.get<std::int64_t>() < low || value.get<std::int64_t>() > high) {
      fail(join_path(path, key), fmt::format("must be an integer between {} and {}", low, high), &value);
    }
    return value.get<std::int64_t>();
  }
  double number(const json& parent, const std::string& path, const std::string& key, double low, double high) const {
    const json& value = field(parent, path, key);
    if (!value.is_number() || !(value.get<double>() >= low && value.get<double>() <= high)) {
      fail(join_path(path, key), fmt::format("must be a number between {:g} and {:g}", low, high), &value);
    }
    return value.get<double>();
  }
  double finite(const json& parent, const std::string& path, const std::string& key) const {
    const double huge = std::numeric_limits<double>::max();
    return number(parent, path, key, -huge, huge);
  }
  DayNumber date(const json& parent, const std::string& path, const std::string& key, bool in_horizon = true) const {
    const std::string value = text(parent, path, key);
    const auto day = parse_date(value);
    if (!day) fail(join_path(path, key), "must be a date YYYY-MM-DD", &parent[key]);
    if (in_horizon && (*day < start_ || *day > end_)) {
      fail(join_path(path, key), "must lie in the horizon " + format_date(start_) + " .. " + format_date(end_),
           &parent[key]);
    }
    return *day;
  }
  std::string metric(const json& item, const std::string& path) const {
    const std::string name = text(item, path, "metric");
    const auto& names = metric_names();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      fail(path + ".metric", "must be one of the metrics capplan reports", &item["metric"]);
    }
    return name;
  }
  // "total", "site:<id>", "system:<id>" or "largest-site"; a breakdown cell's is not "total".
  std::string scope(const json& item, const std::string& path, bool total_allowed) const {
    const std::string text_value = text(item, path, "scope");
    const auto parsed = parse_scope(text_value);
    if (!parsed || (!total_allowed && parsed->kind == Scope::Kind::total)) {
      fail(path + ".scope",
           total_allowed ? "must be a scope: total, site:<id>, system:<id> or largest-site"
                         : "must be a breakdown scope: site:<id>, system:<id> or largest-site",
           &item["scope"]);
    }
    return text_value;
  }
  // A probability stored next to its count: in [0, 1] and equal to count / n.
  void probability(const json& parent, const std::string& path, const std::string& key, std::uint64_t hits,
                   std::uint64_t n) const {
    const double value = number(parent, path, key, 0.0, 1.0);
    if (std::fabs(value - static_cast<double>(hits) / static_cast<double>(n)) > 1e-9) {
      fail(join_path(path, key), fmt::format("must equal its count {} / {} trials", hits, n), &parent[key]);
    }
  }

  void header() {
    check_format_version(field(baseline_, "", "format_version"), file_);
    for (const char* key : {"tool", "tool_version", "git_revision"}) text(baseline_, "", key);
    const json& spec = object(baseline_, "", "spec");
    text(spec, "spec", "name", true);
    const std::string sha = text(spec, "spec", "sha256");
    if (sha.size() != 64 || sha.find_first_not_of("0123456789abcdef") != std::string::npos) {
      fail("spec.sha256", "must be 64 lowercase hex digits", &spec["sha256"]);
    }
    const json& overrides = array(spec, "spec", "overrides");
    for (std::size_t i = 0; i < overrides.size(); ++i) {
      if (!overrides[i].is_string()) fail(fmt::format("spec.overrides[{}]", i), "must be a string", &overrides[i]);
    }
    count(baseline_, "", "seed", 0, kMaxSeed);
    trials_ = count(baseline_, "", "trials", 1, kMaxTrials);
    const json& horizon = object(baseline_, "", "horizon");
    start_ = date(horizon, "horizon", "start", false);
    end_ = date(horizon, "horizon", "end", false);
    if (end_ < start_ || end_ - start_ > kMaxHorizonDays) {
      fail("horizon.end", fmt::format("must lie 0 .. {} days after horizon.start", kMaxHorizonDays), &horizon["end"]);
    }
  }

  std::vector<double> quantiles() const {
    const json& list = array(baseline_, "", "quantiles");
    if (list.empty()) fail("quantiles", "must list at least one quantile");
    std::vector<double> out;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = fmt::format("quantiles[{}]", i);
      if (!list[i].is_number() || !(list[i].get<double>() > 0.0 && list[i].get<double>() < 1.0)) {
        fail(path, "must be a number strictly between 0 and 1", &list[i]);
      }
      if (!out.empty() && list[i].get<double>() <= out.back()) fail(path, "must be above the one before", &list[i]);
      out.push_back(list[i].get<double>());
    }
    return out;
  }

  // pX_rank: [below, through] trials, below <= q x trials <= through <= trials.
  void rank(const json& item, const std::string& path, const std::string& key, double q) const {
    const json& value = field(item, path, key);
    const std::string where = join_path(path, key);
    const std::string rule = fmt::format(
        "must be [below, through] trials with below <= {:g} x trials <= through <= trials ({})", q, trials_);
    if (!value.is_array() || value.size() != 2 || !value[0].is_number_unsigned() || !value[1].is_number_unsigned()) {
      fail(where, rule, &value);
    }
    const std::uint64_t below = value[0].get<std::uint64_t>(), through = value[1].get<std::uint64_t>();
    const double target = q * static_cast<double>(trials_);
    if (below > through || through > trials_ || static_cast<double>(below) > std::ceil(target) ||
        static_cast<double>(through) < std::floor(target)) {
      fail(where, rule, &value);
    }
  }

  // Only the quantile columns of the quantile list: a column pX (or pX_lo, ...)
  // of another quantile means the lists disagree.
  void no_other_columns(const json& item, const std::string& path) const {
    for (const auto& [key, value] : item.items()) {
      if (key.size() < 2 || key[0] != 'p' || !std::isdigit(static_cast<unsigned char>(key[1]))) continue;
      const std::string column = key.substr(0, key.find('_'));
      if (std::find(columns_.begin(), columns_.end(), column) == columns_.end()) {
        fail(join_path(path, key), "is a quantile the baseline's quantiles list lacks", &value);
      }
    }
  }

  // The cells of forecast (the totals: at least one) or forecast_by (each
  // with a breakdown scope), unique per date[, scope] and metric.
  void record_cells(const std::string& key, bool scoped) const {
    const json& cells = array(baseline_, "", key);
    if (!scoped && cells.empty()) fail(key, "must hold at least one cell");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const std::string path = fmt::format("{}[{}]", key, i);
      if (!cells[i].is_object()) fail(path, "must be an object", &cells[i]);
      const json& cell = cells[i];
      date(cell, path, "date");
      const std::string where = scoped ? scope(cell, path, false) : std::string();
      if (!seen.insert(record_label(cell["date"].get<std::string>(), where, metric(cell, path))).second) {
        fail(path,
             scoped ? "repeats the cell of its date, scope and metric" : "repeats the cell of its date and metric");
      }
      finite(cell, path, "mean");
      number(cell, path, "sd", 0.0, std::numeric_limits<double>::max());
      for (std::size_t k = 0; k < quantiles_.size(); ++k) {
        const std::string& column = columns_[k];
        const double value = finite(cell, path, column);
        if (!(finite(cell, path, column + "_lo") <= value && value <= finite(cell, path, column + "_hi"))) {
          fail(path + "." + column, "must lie in its interval [" + column + "_lo, " + column + "_hi]", &cell[column]);
        }
        rank(cell, path, column + "_rank", quantiles_[k]);
      }
      no_other_columns(cell, path);
    }
  }

  // The objects of the array `key`, each with a unique non-empty id, then
  // checked by each(item, path).
  template <typename Each>
  void items(const std::string& key, Each each) const {
    const json& list = array(baseline_, "", key);
    std::set<std::string> ids;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = fmt::format("{}[{}]", key, i);
      if (!list[i].is_object()) fail(path, "must be an object", &list[i]);
      if (!ids.insert(text(list[i], path, "id", true)).second) fail(path + ".id", "repeats an id", &list[i]["id"]);
      each(list[i], path);
    }
  }

  // A tranche's completion or a milestone's first passage: its count and
  // probability, and per quantile its day, interval and rank.
  void outcome(const json& item, const std::string& path, const char* count_key, const char* probability_key) const {
    const std::uint64_t happened = count(item, path, count_key, 0, trials_);
    probability(item, path, probability_key, happened, trials_);
    const std::int64_t last_day = end_ - start_;
    for (std::size_t k = 0; k < quantiles_.size(); ++k) {
      const std::string& column = columns_[k];
      for (const char* suffix : {"", "_lo", "_hi"}) integer(item, path, column + suffix, -1, last_day);
      rank(item, path, column + "_rank", quantiles_[k]);
    }
    no_other_columns(item, path);
  }

  const json& baseline_;
  const std::string& file_;
  std::uint64_t trials_ = 0;
  DayNumber start_ = 0, end_ = 0;
  std::vector<double> quantiles_;
  std::vector<std::string> columns_;
};

}  // namespace

namespace {

// A SAX handler that only follows the nesting depth and stops the parse
// (returns false) at the first array or object beyond kMaxBaselineNesting.
// Syntax errors throw as in json::parse.
struct DepthLimit : json::json_sax_t {
  int depth = 0;
  bool too_deep = false;

  bool open() {
    too_deep = ++depth > kMaxBaselineNesting;
    return !too_deep;
  }
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(json::number_integer_t) override { return true; }
  bool number_unsigned(json::number_unsigned_t) override { return true; }
  bool number_float(json::number_float_t, const json::string_t&) override { return true; }
  bool string(json::string_t&) override { return true; }
  bool binary(json::binary_t&) override { return true; }
  bool start_object(std::size_t) override { return open(); }
  bool key(json::string_t&) override { return true; }
  bool end_object() override { return --depth, true; }
  bool start_array(std::size_t) override { return open(); }
  bool end_array() override { return --depth, true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    throw e;  // as json::parse: a json::exception naming the position
  }
};

}  // namespace

void validate_baseline(const json& baseline, const std::string& file) { BaselineValidator(baseline, file).run(); }

json parse_baseline(const std::string& text, const std::string& file) {
  json baseline;
  try {
    // The parser itself does not recurse, but printing, comparing and
    // destroying a value do, once per level: the depth is bounded by a SAX
    // pass that builds nothing, before the value is built. (A parser
    // callback would do it in one pass, but nlohmann's callback parser
    // rescans each array after every object in it: quadratic, 2 MiB of
    // small objects took 12 s.)
    DepthLimit depth_limit;
    json::sax_parse(text, &depth_limit);
    if (depth_limit.too_deep) {
      throw UsageError(fmt::format("the baseline {} nests arrays and objects deeper than {} levels; a baseline has 4",
                                   file, kMaxBaselineNesting));
    }
    baseline = json::parse(text);
  } catch (const json::exception& e) {
    throw UsageError("the baseline " + file + " is not valid JSON: " + e.what());
  }
  validate_baseline(baseline, file);
  return baseline;
}

}  // namespace capplan
