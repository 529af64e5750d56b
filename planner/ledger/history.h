// `capplan history`: how a spec's target probabilities moved from run to run
// in the ledger, whether each move is more than Monte Carlo noise, and which
// spec changes came with it; and everything that differs between two runs.
// Pure functions of ledger runs (docs/ledger.md), so testable without SQLite.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "planner/ledger/history_table.h"
#include "planner/ledger/ledger.h"

namespace capplan {

// The whole comparison's false-alarm level in standard errors: the nightly
// check's default --sigmas, shared among the targets compared (Bonferroni,
// cell_sigmas_limit) the way `capplan check` shares it among cells.
constexpr double kHistorySigmas = 4.0;

// Which runs history shows.
struct HistoryFilter {
  bool all = false;      // every command's runs; else only run and check (the nightly trajectory)
  std::string spec;      // only this spec name; "" for every spec
  std::string target;    // only this target id; "" for every target
  std::string since;     // YYYY-MM-DD: runs started on or after that day; "" for all
  std::size_t last = 0;  // the last N runs left by the filters above; 0 for all
};

// Whether runs of `command` take part: run and check, or every command with `all`.
bool counts_in_history(const std::string& command, bool all);

// One run's result for one target, and how it moved since the previous run
// of the same spec name among the runs that take part (whatever --spec,
// --since and --last leave out of view).
struct HistoryRow {
  std::int64_t run_id = 0;
  std::string started_utc, spec_name, spec_sha256, git_revision, target;
  double probability = 0.0, ci_lo = 0.0, ci_hi = 0.0;
  std::optional<double> delta;         // none for a spec's first run or a target new in this run
  std::optional<bool> significant;     // |z| above cell_sigmas_limit(kHistorySigmas, targets compared)
  std::optional<std::string> changes;  // describe_changes() of the spec texts; none for a spec's first run
};

// The rows of `runs` (every run in the ledger, oldest first, with their target
// results) that the filter keeps: one per run and target, oldest first.
std::vector<HistoryRow> history_rows(const std::vector<LedgerRun>& runs, const HistoryFilter& filter);

// Throws UsageError when the filter names a spec or target no run in `runs`
// recorded, listing those recorded; `ledger` names the file.
void check_history_names(const std::vector<LedgerRun>& runs, const HistoryFilter& filter, const std::string& ledger);

// The rows as a table: run_id, started_utc, spec_name, spec_sha256,
// git_revision, target, probability, ci_lo, ci_hi, delta, significant, changes.
TextTable history_table(const std::vector<HistoryRow>& rows);

// Everything that differs from run `a` to run `b`, one row each: section
// ("run", "spec", "target", "milestone", "tranche", "forecast"), name, date,
// scope, metric, statistic, a, b, difference, significant. The run's settings
// that differ (seed, trials, git_revision, ...), the spec changes, every
// target (with the significance rule of history_rows), every milestone
// statistic, and the tranche and forecast statistics that differ.
TextTable run_differences(const LedgerRun& a, const LedgerRun& b);

}  // namespace capplan
