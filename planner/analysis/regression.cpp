#include "planner/analysis/regression.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "kernels/metrics.h"
#include "planner/base/build_info.h"
#include "planner/base/date.h"
#include "planner/base/errors.h"
#include "planner/output/number_format.h"
#include "planner/output/output_files.h"

namespace capplan {

namespace {

using nlohmann::json;

std::string completion_text(DayNumber horizon_start, int day) {
  return day < 0 ? "after-horizon" : format_date(horizon_start + day);
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
  check_format_version(baseline["format_version"], "");
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

// The baseline's names (`old_names`) must equal the spec's (`new_names`) as sets.
void check_same_names(const Spec& spec, const std::vector<std::string>& old_names,
                      const std::vector<std::string>& new_names, const char* what) {
  const std::set<std::string> old_set(old_names.begin(), old_names.end()), new_set(new_names.begin(), new_names.end());
  if (old_set == new_set) return;
  std::vector<std::string> missing, added;
  for (const auto& name : old_set) {
    if (!new_set.count(name)) missing.push_back(name);
  }
  for (const auto& name : new_set) {
    if (!old_set.count(name)) added.push_back(name);
  }
  std::string detail;
  if (!missing.empty()) detail += " the baseline has " + join(missing, ", ") + " which the spec lacks;";
  if (!added.empty()) detail += " the spec has " + join(added, ", ") + " which the baseline lacks;";
  detail.pop_back();
  mismatch(spec, std::string("other ") + what + ":" + detail);
}

// The ids (field "id") of the objects in `array`.
std::vector<std::string> ids_in(const json& array) {
  std::vector<std::string> ids;
  for (const json& item : array) ids.push_back(item.at("id").get<std::string>());
  return ids;
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

// The baseline's cells of forecast (the totals) or forecast_by (`breakdowns`), by record_label.
std::map<std::string, const json*> record_cells(const json& baseline, bool breakdowns) {
  std::map<std::string, const json*> cells;
  for (const json& cell : baseline.at(breakdowns ? "forecast_by" : "forecast")) {
    const std::string scope = breakdowns ? cell.at("scope").get<std::string>() : std::string();
    cells[record_label(cell.at("date").get<std::string>(), scope, cell.at("metric").get<std::string>())] = &cell;
  }
  return cells;
}

// A target or milestone as a check names it: its id, and its scope unless that is the total.
std::string subject_label(const std::string& id, const Scope& scope) {
  return scope.kind == Scope::Kind::total ? id : id + " " + scope.text();
}

// ---- does the baseline fit the spec?

void fit_quantiles_and_horizon(const json& baseline, const Spec& spec) {
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
}

void fit_report_dates(const json& baseline, const Spec& spec, const CompiledModel& model) {
  std::vector<std::string> old_dates;
  for (const json& cell : baseline.at("forecast")) {
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
}

// The breakdown scopes of forecast_by must be report.by's.
void fit_breakdown_scopes(const json& baseline, const Spec& spec, const CompiledModel& model) {
  std::vector<std::string> old_scopes, new_scopes;
  for (const json& cell : baseline.at("forecast_by")) old_scopes.push_back(cell.at("scope").get<std::string>());
  for (int block = 1; block <= model.breakdown_blocks; ++block) {
    new_scopes.push_back(model.scope_names[static_cast<std::size_t>(block)].text());
  }
  check_same_names(spec, old_scopes, new_scopes, "breakdown scopes (report.by)");
}

// Every cell of forecast (or forecast_by) that the spec reports, and no other.
void fit_record_cells(const json& baseline, const Spec& spec, const CompiledModel& model, bool breakdowns) {
  const auto old_cells = record_cells(baseline, breakdowns);
  std::size_t expected = 0;
  const char* what = breakdowns ? "breakdown cell" : "forecast cell";
  for_each_record_cell(model, breakdowns, [&](const std::string& label, int, int, int) {
    if (!old_cells.count(label)) mismatch(spec, fmt::format("the baseline has no {} {}", what, label));
    ++expected;
  });
  if (old_cells.size() != expected) {
    mismatch(spec, fmt::format("the baseline has {}s at dates or of metrics this capplan does not report", what));
  }
}

// A target or milestone keeps its id only for the same metric and scope:
// another one asks another question, which no comparison answers.
void fit_subject(const Spec& spec, const char* kind, const json& old, const std::string& id, const std::string& metric,
                 const std::string& scope) {
  const std::string old_metric = old.at("metric").get<std::string>(), old_scope = old.at("scope").get<std::string>();
  if (old_metric != metric || old_scope != scope) {
    mismatch(spec, fmt::format("{} {} is {} in {} in the baseline, {} in {} in the spec", kind, id, old_metric,
                               old_scope, metric, scope));
  }
}

void fit_targets_tranches_milestones(const json& baseline, const Spec& spec, const CompiledModel& model) {
  std::vector<std::string> target_ids, tranche_ids, milestone_ids;
  for (const CompiledTarget& target : model.targets) target_ids.push_back(target.id);
  for (const Tranche& tranche : spec.tranches) tranche_ids.push_back(tranche.id);
  for (const Milestone& milestone : model.milestone_specs) milestone_ids.push_back(milestone.id);
  check_same_names(spec, ids_in(baseline.at("targets")), target_ids, "targets");
  check_same_names(spec, ids_in(baseline.at("tranches")), tranche_ids, "tranches");
  check_same_names(spec, ids_in(baseline.at("milestones")), milestone_ids, "milestones");
  for (const CompiledTarget& target : model.targets) {
    fit_subject(spec, "target", *find_by(baseline.at("targets"), "id", target.id), target.id,
                metric_names()[static_cast<std::size_t>(target.metric)],
                model.scope_names[static_cast<std::size_t>(target.scope_block)].text());
  }
  for (const Milestone& milestone : model.milestone_specs) {
    fit_subject(spec, "milestone", *find_by(baseline.at("milestones"), "id", milestone.id), milestone.id,
                milestone.metric, milestone.scope.text());
  }
}

// Every field the comparison reads, so a damaged file is reported before simulating.
void require_fields(const json& baseline, const std::vector<double>& quantiles) {
  auto require = [&](const json& item, std::vector<std::string> keys, bool with_quantiles, const std::string& where) {
    for (double q : with_quantiles ? quantiles : std::vector<double>{}) {
      keys.push_back(quantile_column(q));
      keys.push_back(quantile_column(q) + "_rank");
    }
    for (const std::string& key : keys) {
      if (!item.contains(key)) throw UsageError("the baseline is malformed: " + where + " has no " + key);
    }
  };
  for (const bool breakdowns : {false, true}) {
    for (const auto& [label, cell] : record_cells(baseline, breakdowns)) {
      require(*cell, {"mean", "sd"}, true, (breakdowns ? "breakdown cell " : "forecast cell ") + label);
    }
  }
  for (const json& target : baseline.at("targets")) {
    require(target, {"hits"}, false, "target " + target.at("id").get<std::string>());
  }
  for (const json& tranche : baseline.at("tranches")) {
    require(tranche, {"complete"}, true, "tranche " + tranche.at("id").get<std::string>());
  }
  for (const json& milestone : baseline.at("milestones")) {
    require(milestone, {"reached"}, true, "milestone " + milestone.at("id").get<std::string>());
  }
}

}  // namespace

void check_baseline_spec(const json& baseline, const Spec& spec, const std::string& file) {
  const std::string name = baseline.at("spec").at("name").get<std::string>();
  if (name != spec.name) {
    throw UsageError("the baseline" + (file.empty() ? std::string() : " " + file) + " was made from the spec '" + name +
                     "' (spec.name), not from '" + spec.name + "'; check each spec against its own baseline");
  }
}

void check_baseline_fits(const json& baseline, const Spec& spec, const CompiledModel& model) {
  checked_header(baseline);
  try {
    if (baseline.contains("spec") && baseline["spec"].contains("name")) check_baseline_spec(baseline, spec, "");
    fit_quantiles_and_horizon(baseline, spec);
    fit_report_dates(baseline, spec, model);
    fit_record_cells(baseline, spec, model, false);
    fit_breakdown_scopes(baseline, spec, model);
    fit_record_cells(baseline, spec, model, true);
    fit_targets_tranches_milestones(baseline, spec, model);
    require_fields(baseline, spec.report.quantiles);
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

// Appends one record cell's checks (a row of forecast.csv or forecast_by.csv;
// `row` a row of any scope block): its mean, then its quantiles in rank space
// (quantile_rank_sigmas).
void check_record_cell(const std::string& table, const std::string& label, const json& old,
                       const ForecastStatistics& fresh, int row, int m, const std::vector<double>& quantiles,
                       std::uint64_t n_old, CheckReport& report) {
  const std::uint64_t n_new = fresh.trials();
  const double old_mean = old.at("mean").get<double>(), new_mean = fresh.mean(row, m);
  const int bits =
      fresh.cell_layouts()[static_cast<std::size_t>(row) * kMetricCount + static_cast<std::size_t>(m)].bits;
  const double distance =
      mean_sigmas(old_mean, old.at("sd").get<double>(), n_old, new_mean, fresh.standard_deviation(row, m), n_new, bits);
  report.cells.push_back(cell_check(table, label + " mean", format_mean(old_mean), format_mean(new_mean), distance));
  for (double q : quantiles) {
    const std::string column = quantile_column(q);
    const double old_value = old.at(column).get<double>();
    const double rank_distance = quantile_rank_sigmas(q, bounds_of(old.at(column + "_rank"), n_old), n_old,
                                                      fresh.cdf_bounds(row, m, old_value), n_new);
    report.cells.push_back(cell_check(table, label + " " + column, format_value(m, old_value),
                                      format_value(m, fresh.quantile(row, m, q)), rank_distance));
  }
}

// Appends the cells of forecast.csv or, with `breakdowns`, of forecast_by.csv, in the table's order.
void check_record_cells(const json& baseline, const Spec& spec, const CompiledModel& model,
                        const ForecastStatistics& fresh, std::uint64_t n_old, bool breakdowns, CheckReport& report) {
  const auto old_cells = record_cells(baseline, breakdowns);
  for_each_record_cell(model, breakdowns, [&](const std::string& label, int block, int row, int m) {
    check_record_cell(breakdowns ? "forecast_by" : "forecast", label, *old_cells.at(label), fresh,
                      fresh.block_row(block, row), m, spec.report.quantiles, n_old, report);
  });
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
    const Scope& scope = model.scope_names[static_cast<std::size_t>(target.scope_block)];
    report.cells.push_back(
        cell_check("targets", subject_label(target.id, scope) + " probability",
                   format_probability(static_cast<double>(old_hits) / static_cast<double>(old_trials)),
                   format_probability(fresh.target_probability(static_cast<int>(k))),
                   proportion_sigmas(old_hits, old_trials, new_hits, fresh.trials())));
  }
}

// What an outcome's cells are called: a tranche's completion or a milestone's first passage.
struct OutcomeNames {
  const char* table;
  const char* count_key;    // trials it happened in within the horizon
  const char* probability;  // their fraction
};

// Appends an outcome's cells: its probability (two-proportion z test), then
// its date quantiles in rank space.
void check_outcome_cells(const OutcomeNames& names, const std::string& label, const json& old,
                         const ForecastStatistics& fresh, int outcome, const Spec& spec, std::uint64_t n_old,
                         CheckReport& report) {
  const std::uint64_t n_new = fresh.trials();
  const DayNumber start = spec.horizon.start;
  const std::uint64_t old_count = old.at(names.count_key).get<std::uint64_t>();
  report.cells.push_back(cell_check(names.table, label + " " + names.probability,
                                    format_probability(static_cast<double>(old_count) / static_cast<double>(n_old)),
                                    format_probability(fresh.completion_probability(outcome)),
                                    proportion_sigmas(old_count, n_old, fresh.completion_count(outcome), n_new)));
  for (double q : spec.report.quantiles) {
    const std::string column = quantile_column(q);
    const int old_day = old.at(column).get<int>();
    const double distance = quantile_rank_sigmas(q, bounds_of(old.at(column + "_rank"), n_old), n_old,
                                                 fresh.completion_cdf_bounds(outcome, old_day), n_new);
    report.cells.push_back(cell_check(names.table, label + " " + column, completion_text(start, old_day),
                                      completion_text(start, fresh.completion_quantile(outcome, q)), distance));
  }
}

// Appends each tranche's cells, then each milestone's.
void check_tranche_and_milestone_cells(const json& baseline, const Spec& spec, const CompiledModel& model,
                                       const ForecastStatistics& fresh, std::uint64_t n_old, CheckReport& report) {
  for (std::size_t t = 0; t < spec.tranches.size(); ++t) {
    const std::string& id = spec.tranches[t].id;
    check_outcome_cells({"tranches", "complete", "probability_complete"}, id,
                        *find_by(baseline.at("tranches"), "id", id), fresh, static_cast<int>(t), spec, n_old, report);
  }
  for (std::size_t k = 0; k < model.milestone_specs.size(); ++k) {
    const Milestone& milestone = model.milestone_specs[k];
    check_outcome_cells({"milestones", "reached", "probability_reached"}, subject_label(milestone.id, milestone.scope),
                        *find_by(baseline.at("milestones"), "id", milestone.id), fresh,
                        fresh.milestone_outcome(static_cast<int>(k)), spec, n_old, report);
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
    check_record_cells(baseline, spec, model, fresh, n_old, false, report);
    check_record_cells(baseline, spec, model, fresh, n_old, true, report);
    check_target_cells(baseline, model, fresh, n_old, report);
    check_tranche_and_milestone_cells(baseline, spec, model, fresh, n_old, report);
  } catch (const json::exception& e) {
    throw UsageError(std::string("the baseline is malformed: ") + e.what());
  }
  // Every cell compared counts towards the per-cell limit (the family-wise correction).
  report.cell_limit = family_wise ? cell_sigmas_limit(sigmas, report.cells.size()) : sigmas;
  for (CellCheck& c : report.cells) c.passed = c.sigmas <= report.cell_limit;
  return report;
}

namespace {

// A table of --exact: identical, or its first differing line from both runs.
CellCheck exact_cell(const std::string& name, const std::string& old_text, const std::string& new_text) {
  CellCheck check;
  check.table = name;
  check.cell = name + ".csv";
  if (old_text == new_text) {
    check.baseline_value = check.new_value = fmt::format("{} lines identical", split_lines(old_text).size());
    return check;
  }
  const std::vector<std::string> a = split_lines(old_text), b = split_lines(new_text);
  std::size_t line = 0;
  while (line < a.size() && line < b.size() && a[line] == b[line]) ++line;
  check.cell = fmt::format("{}.csv line {}", name, line + 1);
  check.baseline_value = line < a.size() ? a[line] : "(end of table)";
  check.new_value = line < b.size() ? b[line] : "(end of table)";
  if (line >= a.size() && line >= b.size()) check.new_value += " (line endings differ)";
  check.passed = false;
  return check;
}

}  // namespace

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
                                   {"targets", &fresh.targets},
                                   {"forecast_by", &fresh.forecast_by},
                                   {"milestones", &fresh.milestones}}) {
    if (!tables.contains(name) || !tables[name].is_string()) throw UsageError("the baseline has no " + name + " table");
    const std::string& old_text = tables[name].get_ref<const std::string&>();
    // forecast_by.csv and milestones.csv exist only with report.by and milestones.
    if (old_text.empty() && text->empty()) continue;
    report.cells.push_back(exact_cell(name, old_text, *text));
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
    std::size_t table_width = 9, cell_width = 4;
    for (std::size_t i = 0; i < moved.size() && i < kShown; ++i) {
      table_width = std::max(table_width, moved[i]->table.size());
      cell_width = std::max(cell_width, moved[i]->cell.size());
    }
    out += fmt::format("  {:<{}} {:<{}} {:>16} {:>16} {:>8}\n", "table", table_width, "cell", cell_width, "baseline",
                       "new", "sigmas");
    for (std::size_t i = 0; i < moved.size() && i < kShown; ++i) {
      const CellCheck& c = *moved[i];
      out += fmt::format("  {:<{}} {:<{}} {:>16} {:>16} {:>8}\n", c.table, table_width, c.cell, cell_width,
                         c.baseline_value, c.new_value, format_sigmas(c.sigmas));
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
