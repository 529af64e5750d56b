#include "planner/analysis/regression.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "kernels/metrics.h"
#include "planner/base/build_info.h"
#include "planner/base/date.h"
#include "planner/base/errors.h"
#include "planner/base/limits.h"
#include "planner/engine/intervals.h"
#include "planner/output/number_format.h"
#include "planner/output/output_files.h"
#include "planner/output/reports.h"

namespace capplan {

namespace {

using nlohmann::json;

std::string completion_text(DayNumber horizon_start, int day) {
  return day < 0 ? "after-horizon" : format_date(horizon_start + day);
}

std::uint64_t count_of(double fraction, std::uint64_t n) {
  return static_cast<std::uint64_t>(std::llround(fraction * static_cast<double>(n)));
}

json rank_of(std::pair<double, double> bounds, std::uint64_t n) {
  return json::array({count_of(bounds.first, n), count_of(bounds.second, n)});
}

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? separator : "") + parts[i];
  return out;
}

std::string quantile_list(const std::vector<double>& quantiles) {
  std::vector<std::string> names;
  for (double q : quantiles) names.push_back(quantile_column(q));
  return "[" + join(names, ", ") + "]";
}

[[noreturn]] void mismatch(const Spec& spec, const std::string& what) {
  throw UsageError("the baseline does not fit the spec '" + spec.name + "': " + what +
                   "; make a new one with `capplan baseline` (docs/nightly.md)");
}

// The baseline's header: format version and a usable trial count.
std::uint64_t checked_header(const json& baseline) {
  if (!baseline.is_object()) throw UsageError("the baseline is not a JSON object");
  if (!baseline.contains("format_version") || !baseline["format_version"].is_number_integer()) {
    throw UsageError("the baseline has no format_version; is it a file from `capplan baseline`?");
  }
  const int version = baseline["format_version"].get<int>();
  if (version != kBaselineFormatVersion) {
    throw UsageError(
        fmt::format("the baseline has format_version {}, this capplan reads format_version {}; "
                    "make a new one with `capplan baseline`",
                    version, kBaselineFormatVersion));
  }
  if (!baseline.contains("trials") || !baseline["trials"].is_number_unsigned() ||
      baseline["trials"].get<std::uint64_t>() == 0) {
    throw UsageError("the baseline has no positive trial count");
  }
  return baseline["trials"].get<std::uint64_t>();
}

std::pair<double, double> bounds_of(const json& rank, std::uint64_t n) {
  const double count = static_cast<double>(n);
  return {rank.at(0).get<double>() / count, rank.at(1).get<double>() / count};
}

// The object in `array` whose `key` equals `value`, or null.
const json* find_by(const json& array, const char* key, const std::string& value) {
  for (const json& item : array) {
    if (item.at(key).get<std::string>() == value) return &item;
  }
  return nullptr;
}

// Ids in `array` (field "id") must equal `ids` as sets.
void check_same_ids(const Spec& spec, const json& array, const std::vector<std::string>& ids, const char* what) {
  std::set<std::string> old_ids, new_ids(ids.begin(), ids.end());
  for (const json& item : array) old_ids.insert(item.at("id").get<std::string>());
  if (old_ids == new_ids) return;
  std::vector<std::string> missing, added;
  for (const auto& id : old_ids) {
    if (!new_ids.count(id)) missing.push_back(id);
  }
  for (const auto& id : new_ids) {
    if (!old_ids.count(id)) added.push_back(id);
  }
  std::string detail;
  if (!missing.empty()) detail += " the baseline has " + join(missing, ", ") + " which the spec lacks;";
  if (!added.empty()) detail += " the spec has " + join(added, ", ") + " which the baseline lacks;";
  detail.pop_back();
  mismatch(spec, std::string("other ") + what + ":" + detail);
}

// A compared cell; whether it passed is decided once the cells are counted.
CellCheck cell_check(const std::string& table, const std::string& cell, std::string old_value, std::string new_value,
                     double sigmas) {
  CellCheck check;
  check.table = table;
  check.cell = cell;
  check.baseline_value = std::move(old_value);
  check.new_value = std::move(new_value);
  check.sigmas = sigmas;
  return check;
}

std::string format_sigmas(double sigmas) {
  if (std::isinf(sigmas)) return "inf";
  return fmt::format("{:.1f}", sigmas);
}

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters other than tab, newline and carriage return are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// The baseline's forecast cells by (date, metric).
std::map<std::pair<std::string, std::string>, const json*> forecast_cells(const json& baseline) {
  std::map<std::pair<std::string, std::string>, const json*> cells;
  for (const json& cell : baseline.at("forecast")) {
    cells[{cell.at("date").get<std::string>(), cell.at("metric").get<std::string>()}] = &cell;
  }
  return cells;
}

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
    forecast();
    targets();
    tranches();
    const json& tables = object(baseline_, "", "tables");
    for (const char* name : {"forecast", "tranches", "targets"}) text(tables, "tables", name);
  }

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& rule, const json* value = nullptr) const {
    std::string got;
    if (value) {
      got = value->dump();
      if (got.size() > 60) got = got.substr(0, 57) + "...";
      got = ", got " + got;
    }
    throw UsageError("the baseline " + file_ + " is invalid: " + path + " " + rule + got);
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
  // A probability stored next to its count: in [0, 1] and equal to count / n.
  void probability(const json& parent, const std::string& path, const std::string& key, std::uint64_t hits,
                   std::uint64_t n) const {
    const double value = number(parent, path, key, 0.0, 1.0);
    if (std::fabs(value - static_cast<double>(hits) / static_cast<double>(n)) > 1e-9) {
      fail(join_path(path, key), fmt::format("must equal its count {} / {} trials", hits, n), &parent[key]);
    }
  }

  void header() {
    const json& version = field(baseline_, "", "format_version");
    if (!version.is_number_integer() || version.get<std::int64_t>() != kBaselineFormatVersion) {
      fail("format_version",
           fmt::format("must be {}, the format this capplan reads (make a new baseline with `capplan baseline`)",
                       kBaselineFormatVersion),
           &version);
    }
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

  void forecast() const {
    const json& cells = array(baseline_, "", "forecast");
    if (cells.empty()) fail("forecast", "must hold at least one cell");
    std::set<std::pair<std::string, std::string>> seen;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const std::string path = fmt::format("forecast[{}]", i);
      if (!cells[i].is_object()) fail(path, "must be an object", &cells[i]);
      const json& cell = cells[i];
      date(cell, path, "date");
      const std::string metric = text(cell, path, "metric");
      const auto& names = metric_names();
      if (std::find(names.begin(), names.end(), metric) == names.end()) {
        fail(path + ".metric", "must be one of the metrics capplan reports", &cell["metric"]);
      }
      if (!seen.insert({cell["date"].get<std::string>(), metric}).second) {
        fail(path, "repeats the cell of its date and metric");
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

  void targets() const {
    const json& list = array(baseline_, "", "targets");
    std::set<std::string> ids;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = fmt::format("targets[{}]", i);
      if (!list[i].is_object()) fail(path, "must be an object", &list[i]);
      const json& target = list[i];
      if (!ids.insert(text(target, path, "id", true)).second) fail(path + ".id", "repeats an id", &target["id"]);
      text(target, path, "metric");
      date(target, path, "date");
      finite(target, path, "threshold");
      count(target, path, "trials", trials_, trials_);
      const std::uint64_t hits = count(target, path, "hits", 0, trials_);
      probability(target, path, "probability", hits, trials_);
    }
  }

  void tranches() const {
    const json& list = array(baseline_, "", "tranches");
    const std::int64_t last_day = end_ - start_;
    std::set<std::string> ids;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = fmt::format("tranches[{}]", i);
      if (!list[i].is_object()) fail(path, "must be an object", &list[i]);
      const json& tranche = list[i];
      if (!ids.insert(text(tranche, path, "id", true)).second) fail(path + ".id", "repeats an id", &tranche["id"]);
      count(tranche, path, "units", 0, kMaxUnits);
      const std::uint64_t complete = count(tranche, path, "complete", 0, trials_);
      probability(tranche, path, "probability_complete", complete, trials_);
      for (std::size_t k = 0; k < quantiles_.size(); ++k) {
        const std::string& column = columns_[k];
        for (const char* suffix : {"", "_lo", "_hi"}) integer(tranche, path, column + suffix, -1, last_day);
        rank(tranche, path, column + "_rank", quantiles_[k]);
      }
      no_other_columns(tranche, path);
    }
  }

  const json& baseline_;
  const std::string& file_;
  std::uint64_t trials_ = 0;
  DayNumber start_ = 0, end_ = 0;
  std::vector<double> quantiles_;
  std::vector<std::string> columns_;
};

}  // namespace

void validate_baseline(const json& baseline, const std::string& file) { BaselineValidator(baseline, file).run(); }

json parse_baseline(const std::string& text, const std::string& file) {
  // The parser itself does not recurse, but printing, comparing and
  // destroying a value do, once per level: the depth is bounded while
  // parsing, before anything deeper than a baseline needs is built.
  const json::parser_callback_t bounded_depth = [&file](int depth, json::parse_event_t event, json&) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= kMaxBaselineNesting) {
      throw UsageError(fmt::format("the baseline {} nests arrays and objects deeper than {} levels; a baseline has 4",
                                   file, kMaxBaselineNesting));
    }
    return true;
  };
  json baseline;
  try {
    baseline = json::parse(text, bounded_depth);
  } catch (const json::exception& e) {
    throw UsageError("the baseline " + file + " is not valid JSON: " + e.what());
  }
  validate_baseline(baseline, file);
  return baseline;
}

void check_baseline_spec(const json& baseline, const Spec& spec, const std::string& file) {
  const std::string name = baseline.at("spec").at("name").get<std::string>();
  if (name != spec.name) {
    throw UsageError("the baseline" + (file.empty() ? std::string() : " " + file) + " was made from the spec '" + name +
                     "' (spec.name), not from '" + spec.name + "'; check each spec against its own baseline");
  }
}

namespace {}  // namespace

void check_baseline_fits(const json& baseline, const Spec& spec, const CompiledModel& model) {
  checked_header(baseline);
  try {
    if (baseline.contains("spec") && baseline["spec"].contains("name")) check_baseline_spec(baseline, spec, "");
    // ---- structure: quantiles, horizon, report dates and metrics, targets, tranches
    const auto& quantiles = spec.report.quantiles;
    const std::vector<double> old_quantiles = baseline.at("quantiles").get<std::vector<double>>();
    if (old_quantiles != quantiles) {
      mismatch(spec, "other report quantiles (baseline " + quantile_list(old_quantiles) + ", spec " +
                         quantile_list(quantiles) + ")");
    }
    const std::string old_start = baseline.at("horizon").at("start").get<std::string>();
    const std::string old_end = baseline.at("horizon").at("end").get<std::string>();
    if (old_start != format_date(spec.horizon.start) || old_end != format_date(spec.horizon.end)) {
      mismatch(spec, "another horizon (baseline " + old_start + " .. " + old_end + ", spec " +
                         format_date(spec.horizon.start) + " .. " + format_date(spec.horizon.end) + ")");
    }
    const json& old_forecast = baseline.at("forecast");
    const auto old_cells = forecast_cells(baseline);
    std::vector<std::string> old_dates;
    for (const json& cell : old_forecast) {
      const std::string date = cell.at("date").get<std::string>();
      if (old_dates.empty() || old_dates.back() != date) old_dates.push_back(date);
    }
    std::vector<std::string> new_dates;
    for (int row : model.report_rows) {
      new_dates.push_back(format_date(model.horizon_start + model.record_days[static_cast<std::size_t>(row)]));
    }
    if (old_dates != new_dates) {
      mismatch(spec,
               fmt::format("other report dates (baseline {} dates {} .. {}, spec {} dates {} .. {})", old_dates.size(),
                           old_dates.empty() ? "-" : old_dates.front(), old_dates.empty() ? "-" : old_dates.back(),
                           new_dates.size(), new_dates.front(), new_dates.back()));
    }
    for (const std::string& date : new_dates) {
      for (const std::string& metric : metric_names()) {
        if (!old_cells.count({date, metric})) mismatch(spec, "the baseline has no metric " + metric + " at " + date);
      }
    }
    if (old_cells.size() != new_dates.size() * metric_names().size()) {
      mismatch(spec, "the baseline has metrics this capplan does not report");
    }
    std::vector<std::string> target_ids, tranche_ids;
    for (const CompiledTarget& target : model.targets) target_ids.push_back(target.id);
    for (const Tranche& tranche : spec.tranches) tranche_ids.push_back(tranche.id);
    check_same_ids(spec, baseline.at("targets"), target_ids, "targets");
    check_same_ids(spec, baseline.at("tranches"), tranche_ids, "tranches");

    // Every field the comparison reads, so a damaged file is reported before simulating.
    auto require = [](const json& item, const std::string& key, const std::string& where) {
      if (!item.contains(key)) throw UsageError("the baseline is malformed: " + where + " has no " + key);
    };
    for (const auto& [key, cell] : old_cells) {
      const std::string where = "forecast cell " + key.first + " " + key.second;
      require(*cell, "mean", where);
      require(*cell, "sd", where);
      for (double q : quantiles) {
        require(*cell, quantile_column(q), where);
        require(*cell, quantile_column(q) + "_rank", where);
      }
    }
    for (const json& target : baseline.at("targets"))
      require(target, "hits", "target " + target.at("id").get<std::string>());
    for (const json& tranche : baseline.at("tranches")) {
      const std::string where = "tranche " + tranche.at("id").get<std::string>();
      require(tranche, "complete", where);
      for (double q : quantiles) {
        require(tranche, quantile_column(q), where);
        require(tranche, quantile_column(q) + "_rank", where);
      }
    }
  } catch (const json::exception& e) {
    throw UsageError(std::string("the baseline is malformed: ") + e.what());
  }
}

bool CheckReport::passed() const { return failures() == 0; }

int CheckReport::failures() const {
  return static_cast<int>(std::count_if(cells.begin(), cells.end(), [](const CellCheck& c) { return !c.passed; }));
}

double quantile_rank_sigmas(double p, std::pair<double, double> baseline_bounds, std::uint64_t n_old,
                            std::pair<double, double> fresh_bounds, std::uint64_t n_new) {
  if (n_old == 0 || n_new == 0) return 0.0;
  const double s = std::sqrt(p * (1.0 - p) * (1.0 / static_cast<double>(n_old) + 1.0 / static_cast<double>(n_new)));
  // The fresh p-quantile lies above the baseline value's atom: P_new(X <= v) < p.
  // Both runs estimate P(X <= v); the baseline's is >= p by construction.
  if (fresh_bounds.second < p) return (std::max(baseline_bounds.second, p) - fresh_bounds.second) / s;
  // The fresh p-quantile lies below it: P_new(X < v) >= p; the baseline's is < p.
  if (fresh_bounds.first >= p) return (fresh_bounds.first - std::min(baseline_bounds.first, p)) / s;
  return 0.0;  // inside the atom: both runs' p-quantile is this histogram bin
}

double cell_sigmas_limit(double sigmas, std::size_t cells) {
  if (cells <= 1 || !(sigmas > 0.0)) return sigmas;
  // Two-sided normal tail of `sigmas`, shared among the cells; invert by bisection
  // on erfc, which stays accurate far into the tail.
  const double tail = std::erfc(sigmas / std::sqrt(2.0)) / static_cast<double>(cells);
  double low = sigmas, high = sigmas + 40.0;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (low + high);
    if (std::erfc(mid / std::sqrt(2.0)) > tail) {
      low = mid;
    } else {
      high = mid;
    }
  }
  return 0.5 * (low + high);
}

double proportion_sigmas(std::uint64_t hits_old, std::uint64_t n_old, std::uint64_t hits_new, std::uint64_t n_new) {
  if (n_old == 0 || n_new == 0) return 0.0;
  const double a = static_cast<double>(n_old), b = static_cast<double>(n_new);
  const double pooled = static_cast<double>(hits_old + hits_new) / (a + b);
  const double difference = std::fabs(static_cast<double>(hits_old) / a - static_cast<double>(hits_new) / b);
  if (pooled <= 0.0 || pooled >= 1.0) return 0.0;  // both 0 or both 1
  return difference / std::sqrt(pooled * (1.0 - pooled) * (1.0 / a + 1.0 / b));
}

json make_baseline(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats,
                   const RunTables& tables) {
  const std::uint64_t n = stats.trials();
  const auto& quantiles = spec.report.quantiles;
  json out;
  out["format_version"] = kBaselineFormatVersion;
  out["tool"] = "capplan";
  out["tool_version"] = tool_version();
  out["git_revision"] = git_revision();
  out["spec"] = {{"name", spec.name}, {"sha256", sha256_hex(spec.source_text)}, {"overrides", spec.overrides}};
  out["seed"] = spec.seed;
  out["trials"] = n;
  out["horizon"] = {{"start", format_date(spec.horizon.start)}, {"end", format_date(spec.horizon.end)}};
  out["quantiles"] = quantiles;

  // Forecast cells, in forecast.csv order. pX_rank = trials (below, at or below)
  // the value's histogram bin: the baseline's side of the rank-space test.
  json forecast = json::array();
  for (int row : model.report_rows) {
    const std::string date = format_date(model.horizon_start + model.record_days[static_cast<std::size_t>(row)]);
    for (int m = 0; m < kMetricCount; ++m) {
      json cell;
      cell["date"] = date;
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
        cell[column + "_rank"] = rank_of(stats.cdf_bounds(row, m, value), n);
      }
      forecast.push_back(std::move(cell));
    }
  }
  out["forecast"] = std::move(forecast);

  json targets = json::array();
  for (std::size_t k = 0; k < model.targets.size(); ++k) {
    const CompiledTarget& target = model.targets[k];
    targets.push_back({{"id", target.id},
                       {"metric", metric_names()[static_cast<std::size_t>(target.metric)]},
                       {"date", format_date(target.date)},
                       {"threshold", target.threshold},
                       {"hits", stats.target_hits(static_cast<int>(k))},
                       {"trials", n},
                       {"probability", stats.target_probability(static_cast<int>(k))}});
  }
  out["targets"] = std::move(targets);

  // Completion quantiles as day indices from the horizon start; -1 = after the horizon.
  json tranches = json::array();
  for (std::size_t t = 0; t < spec.tranches.size(); ++t) {
    const int index = static_cast<int>(t);
    json tranche;
    tranche["id"] = spec.tranches[t].id;
    tranche["units"] = spec.tranches[t].units;
    tranche["probability_complete"] = stats.completion_probability(index);
    tranche["complete"] = count_of(stats.completion_probability(index), n);
    for (double q : quantiles) {
      const std::string column = quantile_column(q);
      const int day = stats.completion_quantile(index, q);
      const auto [low, high] = stats.completion_interval(index, q, kZ95);
      tranche[column] = day;
      tranche[column + "_lo"] = low;
      tranche[column + "_hi"] = high;
      tranche[column + "_rank"] = rank_of(stats.completion_cdf_bounds(index, day), n);
    }
    tranches.push_back(std::move(tranche));
  }
  out["tranches"] = std::move(tranches);
  out["tables"] = {{"forecast", tables.forecast}, {"tranches", tables.tranches}, {"targets", tables.targets}};
  return out;
}

namespace {

// Notes on what changed besides the results: the spec text, the --set options,
// the tool version and the trial count.
void add_change_notes(const json& baseline, const Spec& spec, std::uint64_t n_old, std::uint64_t n_new,
                      CheckReport& report) {
  const json& old_spec = baseline.at("spec");
  if (old_spec.value("sha256", "") != sha256_hex(spec.source_text)) {
    report.notes.push_back("the spec file changed since the baseline was made (sha256 differs)");
  }
  if (old_spec.value("overrides", std::vector<std::string>{}) != spec.overrides) {
    report.notes.push_back("the --set options differ from the baseline's");
  }
  if (baseline.value("tool_version", "") != std::string(tool_version())) {
    report.notes.push_back("baseline made by capplan " + baseline.value("tool_version", "?") + ", this is " +
                           tool_version());
  }
  if (n_old != n_new) report.notes.push_back(fmt::format("baseline {} trials, this run {}", n_old, n_new));
}

// Distance of a forecast cell's means in combined standard errors: Welch's z
// with each run's spread, widened by half a histogram bin of `bits` (the spread
// is estimated from bin midpoints; a cell inside one bin shows none).
double mean_sigmas(double old_mean, double old_sd, std::uint64_t n_old, double new_mean, double new_sd,
                   std::uint64_t n_new, int bits) {
  const double a = static_cast<double>(n_old), b = static_cast<double>(n_new);
  const double half_bin = std::ldexp(std::max(std::fabs(old_mean), std::fabs(new_mean)), -(bits + 1));
  const double se =
      std::sqrt((old_sd * old_sd + half_bin * half_bin) / a + (new_sd * new_sd + half_bin * half_bin) / b);
  const double difference = std::fabs(new_mean - old_mean);
  const double tolerance = 1e-9 * std::max({1.0, std::fabs(old_mean), std::fabs(new_mean)});
  return difference <= tolerance ? 0.0 : se > 0.0 ? difference / se : std::numeric_limits<double>::infinity();
}

// Appends the forecast cells, in forecast.csv order: each (date, metric)'s
// mean, then its quantiles in rank space (quantile_rank_sigmas).
void check_forecast_cells(const json& baseline, const Spec& spec, const CompiledModel& model,
                          const ForecastStatistics& fresh, std::uint64_t n_old, CheckReport& report) {
  const std::uint64_t n_new = fresh.trials();
  const auto old_cells = forecast_cells(baseline);
  for (int row : model.report_rows) {
    const std::string date = format_date(model.horizon_start + model.record_days[static_cast<std::size_t>(row)]);
    for (int m = 0; m < kMetricCount; ++m) {
      const std::string& metric = metric_names()[static_cast<std::size_t>(m)];
      const json& old = *old_cells.at({date, metric});
      const std::string label = date + " " + metric;
      const double old_mean = old.at("mean").get<double>(), new_mean = fresh.mean(row, m);
      const int bits =
          fresh.cell_layouts()[static_cast<std::size_t>(row) * kMetricCount + static_cast<std::size_t>(m)].bits;
      const double distance = mean_sigmas(old_mean, old.at("sd").get<double>(), n_old, new_mean,
                                          fresh.standard_deviation(row, m), n_new, bits);
      report.cells.push_back(
          cell_check("forecast", label + " mean", format_mean(old_mean), format_mean(new_mean), distance));
      for (double q : spec.report.quantiles) {
        const std::string column = quantile_column(q);
        const double old_value = old.at(column).get<double>();
        const double rank_distance = quantile_rank_sigmas(q, bounds_of(old.at(column + "_rank"), n_old), n_old,
                                                          fresh.cdf_bounds(row, m, old_value), n_new);
        report.cells.push_back(cell_check("forecast", label + " " + column, format_value(m, old_value),
                                          format_value(m, fresh.quantile(row, m, q)), rank_distance));
      }
    }
  }
}

// Appends one cell per target: its probability, by a two-proportion z test.
void check_target_cells(const json& baseline, const CompiledModel& model, const ForecastStatistics& fresh,
                        std::uint64_t n_old, CheckReport& report) {
  for (std::size_t k = 0; k < model.targets.size(); ++k) {
    const CompiledTarget& target = model.targets[k];
    const json& old = *find_by(baseline.at("targets"), "id", target.id);
    const std::uint64_t old_hits = old.at("hits").get<std::uint64_t>();
    const std::uint64_t old_trials = old.value("trials", n_old);
    const std::uint64_t new_hits = fresh.target_hits(static_cast<int>(k));
    report.cells.push_back(
        cell_check("targets", target.id + " probability",
                   format_probability(static_cast<double>(old_hits) / static_cast<double>(old_trials)),
                   format_probability(fresh.target_probability(static_cast<int>(k))),
                   proportion_sigmas(old_hits, old_trials, new_hits, fresh.trials())));
  }
}

// Appends each tranche's cells: its completion probability (two-proportion z
// test), then its completion quantiles in rank space.
void check_tranche_cells(const json& baseline, const Spec& spec, const ForecastStatistics& fresh, std::uint64_t n_old,
                         CheckReport& report) {
  const std::uint64_t n_new = fresh.trials();
  const DayNumber start = spec.horizon.start;
  for (std::size_t t = 0; t < spec.tranches.size(); ++t) {
    const int index = static_cast<int>(t);
    const std::string& id = spec.tranches[t].id;
    const json& old = *find_by(baseline.at("tranches"), "id", id);
    const std::uint64_t old_complete = old.at("complete").get<std::uint64_t>();
    const std::uint64_t new_complete = count_of(fresh.completion_probability(index), n_new);
    report.cells.push_back(
        cell_check("tranches", id + " probability_complete",
                   format_probability(static_cast<double>(old_complete) / static_cast<double>(n_old)),
                   format_probability(fresh.completion_probability(index)),
                   proportion_sigmas(old_complete, n_old, new_complete, n_new)));
    for (double q : spec.report.quantiles) {
      const std::string column = quantile_column(q);
      const int old_day = old.at(column).get<int>();
      const double distance = quantile_rank_sigmas(q, bounds_of(old.at(column + "_rank"), n_old), n_old,
                                                   fresh.completion_cdf_bounds(index, old_day), n_new);
      report.cells.push_back(cell_check("tranches", id + " " + column, completion_text(start, old_day),
                                        completion_text(start, fresh.completion_quantile(index, q)), distance));
    }
  }
}

}  // namespace

CheckReport check_statistical(const json& baseline, const Spec& spec, const CompiledModel& model,
                              const ForecastStatistics& fresh, double sigmas, bool family_wise) {
  const std::uint64_t n_old = checked_header(baseline);
  CheckReport report;
  report.sigmas = sigmas;
  try {
    check_baseline_fits(baseline, spec, model);
    add_change_notes(baseline, spec, n_old, fresh.trials(), report);
    check_forecast_cells(baseline, spec, model, fresh, n_old, report);
    check_target_cells(baseline, model, fresh, n_old, report);
    check_tranche_cells(baseline, spec, fresh, n_old, report);
  } catch (const json::exception& e) {
    throw UsageError(std::string("the baseline is malformed: ") + e.what());
  }
  report.cell_limit = family_wise ? cell_sigmas_limit(sigmas, report.cells.size()) : sigmas;
  for (CellCheck& c : report.cells) c.passed = c.sigmas <= report.cell_limit;
  return report;
}

CheckReport check_exact(const json& baseline, const RunTables& fresh) {
  checked_header(baseline);
  CheckReport report;
  report.exact = true;
  if (!baseline.contains("tables") || !baseline["tables"].is_object()) {
    throw UsageError("the baseline has no tables for --exact");
  }
  const json& tables = baseline["tables"];
  for (const auto& [name, text] : {std::pair<std::string, const std::string*>{"forecast", &fresh.forecast},
                                   {"tranches", &fresh.tranches},
                                   {"targets", &fresh.targets}}) {
    if (!tables.contains(name) || !tables[name].is_string()) throw UsageError("the baseline has no " + name + " table");
    const std::string& old_text = tables[name].get_ref<const std::string&>();
    CellCheck check;
    check.table = name;
    check.cell = name + ".csv";
    if (old_text == *text) {
      check.baseline_value = check.new_value = fmt::format("{} lines identical", split_lines(old_text).size());
    } else {
      const std::vector<std::string> a = split_lines(old_text), b = split_lines(*text);
      std::size_t line = 0;
      while (line < a.size() && line < b.size() && a[line] == b[line]) ++line;
      check.cell = fmt::format("{}.csv line {}", name, line + 1);
      check.baseline_value = line < a.size() ? a[line] : "(end of table)";
      check.new_value = line < b.size() ? b[line] : "(end of table)";
      if (line >= a.size() && line >= b.size()) check.new_value += " (line endings differ)";
      check.passed = false;
    }
    report.cells.push_back(std::move(check));
  }
  return report;
}

std::string check_summary(const CheckReport& report) {
  const int total = static_cast<int>(report.cells.size());
  const int failures = report.failures();
  std::string out;
  if (report.exact) {
    out = failures == 0 ? fmt::format("all {} tables byte-identical\n", total)
                        : fmt::format("{} of {} tables differ:\n", failures, total);
    for (const CellCheck& c : report.cells) {
      if (c.passed) continue;
      out += fmt::format("  {}\n    baseline: {}\n    new:      {}\n", c.cell, c.baseline_value, c.new_value);
    }
  } else if (failures == 0) {
    out = fmt::format("all {} cells within {:.2f} sigmas (the per-cell limit of --sigmas {:g} for {} cells)\n", total,
                      report.cell_limit, report.sigmas, total);
  } else {
    out = fmt::format(
        "{} of {} cells moved by more than {:.2f} sigmas (the per-cell limit of --sigmas {:g} for {} cells):\n",
        failures, total, report.cell_limit, report.sigmas, total);
    std::vector<const CellCheck*> moved;
    for (const CellCheck& c : report.cells) {
      if (!c.passed) moved.push_back(&c);
    }
    std::stable_sort(moved.begin(), moved.end(),
                     [](const CellCheck* x, const CellCheck* y) { return x->sigmas > y->sigmas; });
    constexpr std::size_t kShown = 40;
    std::size_t cell_width = 4;
    for (std::size_t i = 0; i < moved.size() && i < kShown; ++i)
      cell_width = std::max(cell_width, moved[i]->cell.size());
    out +=
        fmt::format("  {:<9} {:<{}} {:>16} {:>16} {:>8}\n", "table", "cell", cell_width, "baseline", "new", "sigmas");
    for (std::size_t i = 0; i < moved.size() && i < kShown; ++i) {
      const CellCheck& c = *moved[i];
      out += fmt::format("  {:<9} {:<{}} {:>16} {:>16} {:>8}\n", c.table, c.cell, cell_width, c.baseline_value,
                         c.new_value, format_sigmas(c.sigmas));
    }
    if (moved.size() > kShown)
      out += fmt::format("  ... and {} more (largest first; all in the JUnit file)\n", moved.size() - kShown);
  }
  for (const std::string& note : report.notes) out += "  note: " + note + "\n";
  return out;
}

std::string junit_xml(const std::vector<std::pair<std::string, CheckReport>>& suites) {
  int tests = 0, failures = 0;
  for (const auto& [name, report] : suites) {
    tests += static_cast<int>(report.cells.size());
    failures += report.failures();
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out +=
      fmt::format("<testsuites name=\"capplan check\" tests=\"{}\" failures=\"{}\" errors=\"0\">\n", tests, failures);
  for (const auto& [name, report] : suites) {
    const std::string suite = xml_escape(name);
    out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">\n", suite,
                       report.cells.size(), report.failures());
    out += "    <properties>\n";
    out += fmt::format("      <property name=\"mode\" value=\"{}\"/>\n", report.exact ? "exact" : "statistical");
    if (!report.exact) {
      out += fmt::format("      <property name=\"sigmas\" value=\"{:g}\"/>\n", report.sigmas);
      out += fmt::format("      <property name=\"cell_limit\" value=\"{:.4f}\"/>\n", report.cell_limit);
    }
    for (const std::string& note : report.notes) {
      out += "      <property name=\"note\" value=\"" + xml_escape(note) + "\"/>\n";
    }
    out += "    </properties>\n";
    for (const CellCheck& c : report.cells) {
      out +=
          "    <testcase classname=\"" + suite + "." + xml_escape(c.table) + "\" name=\"" + xml_escape(c.cell) + "\"";
      if (c.passed) {
        out += "/>\n";
        continue;
      }
      const std::string message =
          report.exact ? "the table differs from the baseline"
                       : fmt::format("moved {} sigmas (limit {:.2f})", format_sigmas(c.sigmas), report.cell_limit);
      out += ">\n      <failure type=\"regression\" message=\"" + xml_escape(message) + "\">" +
             xml_escape("baseline: " + c.baseline_value + "\nnew: " + c.new_value +
                        (report.exact ? "" : "\nsigmas: " + format_sigmas(c.sigmas))) +
             "</failure>\n    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace capplan
