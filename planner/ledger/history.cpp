#include "planner/ledger/history.h"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "planner/analysis/regression.h"
#include "planner/base/date.h"
#include "planner/base/errors.h"
#include "planner/base/printable.h"
#include "planner/spec/spec_diff.h"
#include "planner/spec/spec_lexical.h"

namespace capplan {

namespace {

// Calls `visit(a_item, b_item)` for every item of `a` (with its namesake in
// `b` or null), then for every item only `b` has (with null first).
template <typename T, typename Key, typename Visit>
void for_each_pair(const std::vector<T>& a, const std::vector<T>& b, Key key, Visit visit) {
  std::map<std::string, const T*> in_b;
  for (const T& item : b) in_b.emplace(key(item), &item);
  std::set<std::string> in_a;
  for (const T& item : a) {
    in_a.insert(key(item));
    const auto found = in_b.find(key(item));
    visit(&item, found == in_b.end() ? nullptr : found->second);
  }
  for (const T& item : b) {
    if (!in_a.count(key(item))) visit(nullptr, &item);
  }
}

std::string target_key(const TargetResult& t) { return t.target; }

const TargetResult* find_target(const LedgerRun& run, const std::string& id) {
  for (const TargetResult& target : run.targets) {
    if (target.target == id) return &target;
  }
  return nullptr;
}

// How many targets both runs have: the number of comparisons the significance level is shared among.
std::size_t targets_compared(const LedgerRun& a, const LedgerRun& b) {
  std::size_t compared = 0;
  for_each_pair(a.targets, b.targets, target_key,
                [&](const TargetResult* x, const TargetResult* y) { compared += x && y ? 1 : 0; });
  return compared;
}

// Whether a target's move from run `a` to run `b` is more than Monte Carlo noise explains.
bool significant_move(const TargetResult& old_result, const LedgerRun& a, const TargetResult& new_result,
                      const LedgerRun& b, std::size_t compared) {
  const double sigmas = proportion_sigmas(old_result.hits, a.trials, new_result.hits, b.trials);
  return sigmas > cell_sigmas_limit(kHistorySigmas, compared);
}

std::string changes_between(const LedgerRun& a, const LedgerRun& b) {
  if (a.spec_text == b.spec_text) return "";
  return describe_changes(spec_diff(a.spec_text, b.spec_text));
}

// One row per target of `run`, compared with `previous` (the same spec's last run) when there is one.
void add_run_rows(const LedgerRun& run, const LedgerRun* previous, std::vector<HistoryRow>& rows) {
  std::optional<std::string> changes;
  std::size_t compared = 0;
  if (previous) {
    changes = changes_between(*previous, run);
    compared = targets_compared(*previous, run);
  }
  for (const TargetResult& target : run.targets) {
    HistoryRow row{run.run_id,         run.started_utc, run.spec_name, run.spec_sha256, run.git_revision, target.target,
                   target.probability, target.ci_lo,    target.ci_hi,  std::nullopt,    std::nullopt,     changes};
    if (const TargetResult* old = previous ? find_target(*previous, target.target) : nullptr) {
      row.delta = target.probability - old->probability;
      row.significant = significant_move(*old, *previous, target, run, compared);
    }
    rows.push_back(std::move(row));
  }
}

bool in_view(const LedgerRun& run, const HistoryFilter& filter) {
  return (filter.spec.empty() || run.spec_name == filter.spec) &&
         (filter.since.empty() || run.started_utc.substr(0, 10) >= filter.since);
}

// Only the rows of the last `last` runs among `rows` (oldest first).
void keep_last_runs(std::vector<HistoryRow>& rows, std::size_t last) {
  std::set<std::int64_t> kept;
  for (auto row = rows.rbegin(); row != rows.rend() && (kept.size() < last || kept.count(row->run_id)); ++row) {
    kept.insert(row->run_id);
  }
  rows.erase(std::remove_if(rows.begin(), rows.end(), [&](const HistoryRow& row) { return !kept.count(row.run_id); }),
             rows.end());
}

std::vector<std::string> spec_names(const std::vector<LedgerRun>& runs) {
  std::set<std::string> names;
  for (const LedgerRun& run : runs) names.insert(run.spec_name);
  return {names.begin(), names.end()};
}

// The targets of the runs of `spec` (of every run when it is "").
std::vector<std::string> target_names(const std::vector<LedgerRun>& runs, const std::string& spec) {
  std::set<std::string> names;
  for (const LedgerRun& run : runs) {
    if (!spec.empty() && run.spec_name != spec) continue;
    for (const TargetResult& target : run.targets) names.insert(target.target);
  }
  return {names.begin(), names.end()};
}

void check_recorded(const std::string& wanted, const std::vector<std::string>& names, const char* what,
                    const std::string& ledger) {
  if (wanted.empty() || std::find(names.begin(), names.end(), wanted) != names.end()) return;
  throw UsageError("no run in the ledger " + printable(ledger) + " has the " + what + " '" + printable(wanted) + "'" +
                   printable(loader::did_you_mean(wanted, names)) +
                   "; recorded: " + (names.empty() ? std::string("none") : printable(loader::join(names))));
}

// ---- two runs ------------------------------------------------------------------

// Where a row of run_differences belongs.
struct RowKey {
  std::string section, name, date, scope, metric, statistic;
};

void add_difference(TextTable& table, const RowKey& key, TableCell a, TableCell b, TableCell difference,
                    TableCell significant = empty_cell()) {
  const auto optional = [](const std::string& text) { return text.empty() ? empty_cell() : text_cell(text); };
  table.rows.push_back({text_cell(key.section), optional(key.name), optional(key.date), optional(key.scope),
                        optional(key.metric), optional(key.statistic), std::move(a), std::move(b),
                        std::move(difference), std::move(significant)});
}

void add_setting_rows(TextTable& table, const LedgerRun& a, const LedgerRun& b) {
  const auto overrides = [](const LedgerRun& run) {
    return nlohmann::json(run.overrides).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  const std::vector<std::pair<std::string, std::pair<std::string, std::string>>> settings = {
      {"command", {a.command, b.command}},
      {"spec_name", {a.spec_name, b.spec_name}},
      {"spec_path", {a.spec_path, b.spec_path}},
      {"spec_sha256", {a.spec_sha256, b.spec_sha256}},
      {"spec_file_sha256", {a.spec_file_sha256, b.spec_file_sha256}},
      {"overrides", {overrides(a), overrides(b)}},
      {"seed", {std::to_string(a.seed), std::to_string(b.seed)}},
      {"trials", {std::to_string(a.trials), std::to_string(b.trials)}},
      {"backend", {a.backend, b.backend}},
      {"ranks", {std::to_string(a.ranks), std::to_string(b.ranks)}},
      {"tool_version", {a.tool_version, b.tool_version}},
      {"git_revision", {a.git_revision, b.git_revision}},
      {"status", {a.status, b.status}}};
  for (const auto& [name, values] : settings) {
    if (values.first == values.second) continue;
    const bool hash = name.find("sha256") != std::string::npos;  // shown briefly in a terminal
    add_difference(table, {"run", name, "", "", "", ""}, hash ? hash_cell(values.first) : text_cell(values.first),
                   hash ? hash_cell(values.second) : text_cell(values.second), empty_cell());
  }
}

void add_spec_rows(TextTable& table, const LedgerRun& a, const LedgerRun& b) {
  if (a.spec_text == b.spec_text) return;
  for (const SpecChange& change : spec_diff(a.spec_text, b.spec_text)) {
    add_difference(table, {"spec", change.path, "", "", "", ""}, text_cell(change.old_value),
                   text_cell(change.new_value), empty_cell());
  }
}

void add_target_rows(TextTable& table, const LedgerRun& a, const LedgerRun& b) {
  const std::size_t compared = targets_compared(a, b);
  for_each_pair(a.targets, b.targets, target_key, [&](const TargetResult* x, const TargetResult* y) {
    const TargetResult& any = x ? *x : *y;
    const RowKey key{"target", any.target, any.date, any.scope, any.metric, "probability"};
    if (x && y) {
      add_difference(table, key, probability_cell(x->probability), probability_cell(y->probability),
                     probability_change_cell(y->probability - x->probability),
                     bool_cell(significant_move(*x, a, *y, b, compared)));
    } else {
      add_difference(table, key, x ? probability_cell(x->probability) : empty_cell(),
                     y ? probability_cell(y->probability) : empty_cell(), empty_cell());
    }
  });
}

TableCell statistic_cell(const Statistic* s) {
  if (!s) return empty_cell();
  return s->value ? value_cell(*s->value) : text_cell(s->text);
}

bool same_statistic(const Statistic* x, const Statistic* y) {
  return x && y && x->value == y->value && (x->value || x->text == y->text);
}

// b - a for two numbers, or the days from a to b for two dates; empty otherwise.
TableCell statistic_change(const Statistic* x, const Statistic* y) {
  if (!x || !y) return empty_cell();
  if (x->value && y->value) return value_change_cell(*y->value - *x->value);
  const auto from = parse_date(x->text), to = parse_date(y->text);
  if (from && to) return value_change_cell(static_cast<double>(*to - *from));
  return empty_cell();
}

std::string statistic_key(const Statistic& s) { return s.name; }

// One row per statistic of one item (a milestone, tranche or forecast cell);
// with `only_changed`, only the statistics whose values differ.
void add_statistic_rows(TextTable& table, RowKey key, const std::vector<Statistic>& a, const std::vector<Statistic>& b,
                        bool only_changed) {
  for_each_pair(a, b, statistic_key, [&](const Statistic* x, const Statistic* y) {
    if (only_changed && same_statistic(x, y)) return;
    key.statistic = (x ? x : y)->name;
    add_difference(table, key, statistic_cell(x), statistic_cell(y), statistic_change(x, y));
  });
}

const std::vector<Statistic> kNoStatistics;

void add_milestone_rows(TextTable& table, const LedgerRun& a, const LedgerRun& b) {
  const auto key = [](const MilestoneResult& m) { return m.milestone; };
  for_each_pair(a.milestones, b.milestones, key, [&](const MilestoneResult* x, const MilestoneResult* y) {
    const MilestoneResult& any = x ? *x : *y;
    RowKey row{"milestone", any.milestone, "", any.scope, any.metric, "probability_reached"};
    add_difference(table, row, x ? probability_cell(x->probability_reached) : empty_cell(),
                   y ? probability_cell(y->probability_reached) : empty_cell(),
                   x && y ? probability_change_cell(y->probability_reached - x->probability_reached) : empty_cell());
    add_statistic_rows(table, row, x ? x->statistics : kNoStatistics, y ? y->statistics : kNoStatistics, false);
  });
}

void add_tranche_rows(TextTable& table, const LedgerRun& a, const LedgerRun& b) {
  const auto key = [](const TrancheResult& t) { return t.tranche; };
  for_each_pair(a.tranches, b.tranches, key, [&](const TrancheResult* x, const TrancheResult* y) {
    add_statistic_rows(table, {"tranche", (x ? x : y)->tranche, "", "", "", ""}, x ? x->statistics : kNoStatistics,
                       y ? y->statistics : kNoStatistics, true);
  });
}

void add_forecast_rows(TextTable& table, const LedgerRun& a, const LedgerRun& b) {
  const auto key = [](const ForecastResult& f) { return f.date + "\n" + f.scope + "\n" + f.metric; };
  for_each_pair(a.forecast, b.forecast, key, [&](const ForecastResult* x, const ForecastResult* y) {
    const ForecastResult& any = x ? *x : *y;
    add_statistic_rows(table, {"forecast", "", any.date, any.scope, any.metric, ""}, x ? x->statistics : kNoStatistics,
                       y ? y->statistics : kNoStatistics, true);
  });
}

}  // namespace

bool counts_in_history(const std::string& command, bool all) { return all || command == "run" || command == "check"; }

std::vector<HistoryRow> history_rows(const std::vector<LedgerRun>& runs, const HistoryFilter& filter) {
  std::vector<HistoryRow> rows;
  std::map<std::string, const LedgerRun*> previous;  // by spec name: its latest run so far
  for (const LedgerRun& run : runs) {
    if (!counts_in_history(run.command, filter.all)) continue;
    const LedgerRun*& last = previous[run.spec_name];
    if (in_view(run, filter)) add_run_rows(run, last, rows);
    last = &run;
  }
  if (!filter.target.empty()) {
    rows.erase(
        std::remove_if(rows.begin(), rows.end(), [&](const HistoryRow& row) { return row.target != filter.target; }),
        rows.end());
  }
  if (filter.last > 0) keep_last_runs(rows, filter.last);
  return rows;
}

void check_history_names(const std::vector<LedgerRun>& runs, const HistoryFilter& filter, const std::string& ledger) {
  check_recorded(filter.spec, spec_names(runs), "spec name", ledger);
  check_recorded(filter.target, target_names(runs, filter.spec), "target", ledger);
}

TextTable history_table(const std::vector<HistoryRow>& rows) {
  TextTable table;
  table.columns = {"run_id",      "started_utc", "spec_name", "spec_sha256", "git_revision", "target",
                   "probability", "ci_lo",       "ci_hi",     "delta",       "significant",  "changes"};
  for (const HistoryRow& row : rows) {
    table.rows.push_back({integer_cell(row.run_id), text_cell(row.started_utc), text_cell(row.spec_name),
                          hash_cell(row.spec_sha256), text_cell(row.git_revision), text_cell(row.target),
                          probability_cell(row.probability), probability_cell(row.ci_lo), probability_cell(row.ci_hi),
                          row.delta ? probability_change_cell(*row.delta) : empty_cell(),
                          row.significant ? bool_cell(*row.significant) : empty_cell(),
                          row.changes ? text_cell(*row.changes) : empty_cell()});
  }
  return table;
}

TextTable run_differences(const LedgerRun& a, const LedgerRun& b) {
  TextTable table;
  table.columns = {"section", "name", "date", "scope", "metric", "statistic", "a", "b", "difference", "significant"};
  add_setting_rows(table, a, b);
  add_spec_rows(table, a, b);
  add_target_rows(table, a, b);
  add_milestone_rows(table, a, b);
  add_tranche_rows(table, a, b);
  add_forecast_rows(table, a, b);
  return table;
}

}  // namespace capplan
