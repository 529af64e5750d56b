// The forecast ledger: every run capplan makes, appended to one SQLite file
// (docs/ledger.md), so that later runs can be compared with earlier ones
// (`capplan history`). One invocation records its runs in one transaction;
// the file is checked through a read-only connection before anything could
// write to it, so a file capplan refuses is left byte for byte as it was.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace capplan {

// The schema version this capplan writes (PRAGMA user_version).
constexpr int kLedgerSchemaVersion = 1;

struct TargetResult {
  std::string target, metric, scope, date;  // date: ISO
  double threshold = 0.0;
  std::uint64_t hits = 0;  // trials in which it was met
  double probability = 0.0, ci_lo = 0.0, ci_hi = 0.0;
};

// One statistic of a result in long form: a number, or text (an ISO date or
// "after-horizon") with `value` empty.
struct Statistic {
  std::string name;
  std::optional<double> value;
  std::string text;
};

struct ForecastResult {
  std::string date, scope, metric;
  std::vector<Statistic> statistics;  // mean, each quantile, its interval ends, min, max
};

struct MilestoneResult {
  std::string milestone, metric, scope;
  double threshold = 0.0, probability_reached = 0.0;
  std::vector<Statistic> statistics;  // the quantile dates, their intervals, the probability's interval
};

struct TrancheResult {
  std::string tranche;
  std::vector<Statistic> statistics;
};

// One run: how it was made and what it found.
struct LedgerRun {
  std::int64_t run_id = 0, group_id = 0;  // set when recorded or read
  std::string started_utc;                // YYYY-MM-DDTHH:MM:SSZ
  std::string command, spec_name, spec_path;
  std::string spec_sha256;       // of spec_text
  std::string spec_file_sha256;  // of the file's bytes
  std::string spec_text;         // the effective spec (after --set) as YAML
  std::vector<std::string> overrides;
  std::uint64_t seed = 0, trials = 0;
  std::string backend;
  int ranks = 1;
  std::string tool_version, git_revision;
  double wall_seconds = 0.0;
  std::string status = "ok";
  std::vector<TargetResult> targets;
  std::vector<ForecastResult> forecast;
  std::vector<MilestoneResult> milestones;
  std::vector<TrancheResult> tranches;
};

// A ledger file, checked: a path that does not exist or an empty file is to
// be created; an existing file must be a capplan ledger of schema version
// <= kLedgerSchemaVersion. A file from a newer capplan, a file that is not
// SQLite or a SQLite file without capplan's tables is a UsageError naming the
// file and the reason (the file untouched).
class Ledger {
 public:
  explicit Ledger(std::string path);

  const std::string& path() const { return path_; }
  // Appends `runs` as one group (group_id = the first run's id) in one
  // transaction; fills their run_id, group_id and started_utc. A ledger that
  // cannot be written (locked beyond the busy timeout, disk full, read-only)
  // is a RuntimeFailure, and nothing of the group is recorded.
  void record(std::vector<LedgerRun>& runs) const;
  // Every run's header, oldest first (no results), optionally only `commands`.
  std::vector<LedgerRun> runs(const std::vector<std::string>& commands = {}) const;
  // The same with each run's target results (one query for all runs).
  std::vector<LedgerRun> runs_with_targets(const std::vector<std::string>& commands = {}) const;
  // One run with every result, or nothing if there is no such run.
  std::optional<LedgerRun> run(std::int64_t run_id) const;

 private:
  std::string path_;
  bool exists_ = false;  // false: created by the first record()
};

// The ledger a command records into: --ledger when given, else the
// environment's CAPPLAN_LEDGER when set and not empty, else none.
std::optional<std::string> ledger_path(const std::optional<std::string>& option);

}  // namespace capplan
