#include "planner/ledger/ledger.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <csignal>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "planner/base/errors.h"
#include "planner/base/printable.h"

namespace capplan {

namespace {

// How long a writer waits for another writer's transaction [ms]: nightly jobs
// record a few thousand rows each, well under a second.
constexpr int kBusyTimeoutMs = 60000;

// The busy timeout: kBusyTimeoutMs, or CAPPLAN_LEDGER_BUSY_MS (for tests of a
// ledger locked beyond it).
int busy_timeout_ms() {
  const char* text = std::getenv("CAPPLAN_LEDGER_BUSY_MS");
  if (!text || !*text) return kBusyTimeoutMs;
  const long ms = std::atol(text);
  return ms > 0 && ms <= kBusyTimeoutMs ? static_cast<int>(ms) : kBusyTimeoutMs;
}

const char* const kTables[] = {"runs", "target_results", "forecast_results", "milestone_results", "tranche_results"};

const char* const kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  run_id INTEGER PRIMARY KEY,
  group_id INTEGER NOT NULL,
  started_utc TEXT NOT NULL,
  command TEXT NOT NULL,
  spec_name TEXT NOT NULL,
  spec_path TEXT NOT NULL,
  spec_sha256 TEXT NOT NULL,
  spec_file_sha256 TEXT NOT NULL,
  spec_text TEXT NOT NULL,
  overrides TEXT NOT NULL,
  seed TEXT NOT NULL,
  trials INTEGER NOT NULL,
  backend TEXT NOT NULL,
  ranks INTEGER NOT NULL,
  tool_version TEXT NOT NULL,
  git_revision TEXT NOT NULL,
  wall_seconds REAL NOT NULL,
  status TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS runs_by_spec ON runs(spec_name, run_id);
CREATE TABLE IF NOT EXISTS target_results (
  run_id INTEGER NOT NULL REFERENCES runs(run_id),
  target TEXT NOT NULL, metric TEXT NOT NULL, scope TEXT NOT NULL, date TEXT NOT NULL,
  threshold REAL NOT NULL, probability REAL NOT NULL, ci_lo REAL NOT NULL, ci_hi REAL NOT NULL,
  hits INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS target_results_by_run ON target_results(run_id);
CREATE TABLE IF NOT EXISTS forecast_results (
  run_id INTEGER NOT NULL REFERENCES runs(run_id),
  date TEXT NOT NULL, scope TEXT NOT NULL, metric TEXT NOT NULL, statistic TEXT NOT NULL, value REAL);
CREATE INDEX IF NOT EXISTS forecast_results_by_run ON forecast_results(run_id);
CREATE TABLE IF NOT EXISTS milestone_results (
  run_id INTEGER NOT NULL REFERENCES runs(run_id),
  milestone TEXT NOT NULL, metric TEXT NOT NULL, scope TEXT NOT NULL, threshold REAL NOT NULL,
  probability_reached REAL NOT NULL, statistic TEXT NOT NULL, value REAL, value_text TEXT);
CREATE INDEX IF NOT EXISTS milestone_results_by_run ON milestone_results(run_id);
CREATE TABLE IF NOT EXISTS tranche_results (
  run_id INTEGER NOT NULL REFERENCES runs(run_id),
  tranche TEXT NOT NULL, statistic TEXT NOT NULL, value REAL, value_text TEXT);
CREATE INDEX IF NOT EXISTS tranche_results_by_run ON tranche_results(run_id);
)sql";

struct CloseDatabase {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Database = std::unique_ptr<sqlite3, CloseDatabase>;

// A prepared statement, bound by position and stepped.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql, const std::string& path) : db_(db), path_(path) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement_, nullptr) != SQLITE_OK) fail("cannot read");
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, const std::string& text) {
    sqlite3_bind_text(statement_, i, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, double value) {
    sqlite3_bind_double(statement_, i, value);
    return *this;
  }
  Statement& bind(int i, std::int64_t value) {
    sqlite3_bind_int64(statement_, i, value);
    return *this;
  }
  Statement& bind(int i, const std::optional<double>& value) {
    if (value) return bind(i, *value);
    sqlite3_bind_null(statement_, i);
    return *this;
  }
  // Steps once: true while there is a row.
  bool step() {
    const int code = sqlite3_step(statement_);
    if (code == SQLITE_ROW) return true;
    if (code != SQLITE_DONE) fail("cannot write to");
    return false;
  }
  // Runs an insert or update to its end and makes the statement ready to run
  // again (bindings stay until rebound).
  void run() {
    step();
    sqlite3_reset(statement_);
  }
  std::string text(int column) const {
    const auto* p = sqlite3_column_text(statement_, column);
    return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
  }
  double real(int column) const { return sqlite3_column_double(statement_, column); }
  std::int64_t integer(int column) const { return sqlite3_column_int64(statement_, column); }
  std::optional<double> optional_real(int column) const {
    if (sqlite3_column_type(statement_, column) == SQLITE_NULL) return std::nullopt;
    return real(column);
  }

 private:
  [[noreturn]] void fail(const char* what) const {
    throw RuntimeFailure(fmt::format("{} the ledger {}: {}", what, printable(path_), sqlite3_errmsg(db_)));
  }
  sqlite3* db_;
  std::string path_;
  sqlite3_stmt* statement_ = nullptr;
};

void execute(sqlite3* db, const std::string& sql, const std::string& path) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string reason = message ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    throw RuntimeFailure(fmt::format("cannot write to the ledger {}: {}", printable(path), reason));
  }
}

Database open_database(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int code = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db(raw);
  if (code != SQLITE_OK) {
    throw RuntimeFailure(
        fmt::format("cannot open the ledger {}: {}", printable(path), raw ? sqlite3_errmsg(raw) : "out of memory"));
  }
  sqlite3_busy_timeout(db.get(), busy_timeout_ms());
  return db;
}

// Whether the file is there and holds anything (an empty file becomes a new ledger).
bool has_content(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return false;
  if (S_ISDIR(info.st_mode)) throw UsageError("the ledger " + printable(path) + " is a directory, not a file");
  return info.st_size > 0;
}

// The schema version and capplan's tables of an existing file, read without
// writing; a UsageError when it is not a ledger this capplan can use.
void check_ledger_file(const std::string& path) {
  Database db = open_database(path, SQLITE_OPEN_READONLY);
  const std::string refuse = "refusing the ledger " + printable(path) + ": ";
  std::int64_t version = 0;
  std::set<std::string> tables;
  try {
    Statement pragma(db.get(), "PRAGMA user_version", path);
    if (pragma.step()) version = pragma.integer(0);
    Statement names(db.get(), "SELECT name FROM sqlite_master WHERE type = 'table'", path);
    while (names.step()) tables.insert(names.text(0));
  } catch (const RuntimeFailure&) {
    throw UsageError(refuse + "it is not a SQLite database (" + sqlite3_errmsg(db.get()) +
                     "); give a new path or an existing capplan ledger; the file was left untouched");
  }
  // A SQLite file with nothing in it (a ledger whose first recording failed
  // after switching to WAL) is as good as new.
  if (version == 0 && tables.empty()) return;
  if (version > kLedgerSchemaVersion) {
    throw UsageError(
        fmt::format("{}it has schema version {}, from a newer capplan; this capplan reads up to version "
                    "{}; the file was left untouched",
                    refuse, version, kLedgerSchemaVersion));
  }
  for (const char* table : kTables) {
    if (version < 1 || !tables.count(table)) {
      throw UsageError(refuse + "it is a SQLite database without capplan's tables (no " +
                       (version < 1 ? std::string("schema version") : "table " + std::string(table)) +
                       "); give a new path or an existing capplan ledger; the file was left untouched");
    }
  }
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// A test hook (docs/reliability.md): CAPPLAN_LEDGER_TEST_KILL_AFTER_ROWS=N
// kills the process with SIGKILL once N rows are inserted, inside the transaction.
class KillHook {
 public:
  KillHook() {
    const char* text = std::getenv("CAPPLAN_LEDGER_TEST_KILL_AFTER_ROWS");
    if (text && *text) rows_left_ = std::atol(text);
  }
  void row_inserted() {
    if (rows_left_ > 0 && --rows_left_ == 0) std::raise(SIGKILL);
  }

 private:
  long rows_left_ = 0;
};

void insert_statistics_rows(Statement& insert, int first, const std::vector<Statistic>& statistics, KillHook& hook,
                            bool with_text) {
  for (const Statistic& statistic : statistics) {
    insert.bind(first, statistic.name).bind(first + 1, statistic.value);
    if (with_text) {
      if (statistic.value) {
        insert.bind(first + 2, std::optional<double>());
      } else {
        insert.bind(first + 2, statistic.text);
      }
    }
    insert.run();
    hook.row_inserted();
  }
}

// Inserts one run's header and every result; returns its run_id.
std::int64_t insert_run(sqlite3* db, const std::string& path, LedgerRun& run, KillHook& hook) {
  Statement header(db,
                   "INSERT INTO runs (group_id, started_utc, command, spec_name, spec_path, spec_sha256, "
                   "spec_file_sha256, spec_text, overrides, seed, trials, backend, ranks, tool_version, "
                   "git_revision, wall_seconds, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                   "?13, ?14, ?15, ?16, ?17)",
                   path);
  header.bind(1, run.group_id).bind(2, run.started_utc).bind(3, run.command).bind(4, run.spec_name);
  header.bind(5, run.spec_path).bind(6, run.spec_sha256).bind(7, run.spec_file_sha256).bind(8, run.spec_text);
  header.bind(9, nlohmann::json(run.overrides).dump()).bind(10, std::to_string(run.seed));
  header.bind(11, static_cast<std::int64_t>(run.trials)).bind(12, run.backend).bind(13, std::int64_t{run.ranks});
  header.bind(14, run.tool_version).bind(15, run.git_revision).bind(16, run.wall_seconds).bind(17, run.status);
  header.run();
  hook.row_inserted();
  const std::int64_t id = sqlite3_last_insert_rowid(db);
  if (run.group_id == 0) {
    Statement group(db, "UPDATE runs SET group_id = ?1 WHERE run_id = ?1", path);
    group.bind(1, id).run();
  }
  Statement targets(db,
                    "INSERT INTO target_results (run_id, target, metric, scope, date, threshold, probability, "
                    "ci_lo, ci_hi, hits) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    path);
  for (const TargetResult& t : run.targets) {
    targets.bind(1, id).bind(2, t.target).bind(3, t.metric).bind(4, t.scope).bind(5, t.date).bind(6, t.threshold);
    targets.bind(7, t.probability).bind(8, t.ci_lo).bind(9, t.ci_hi).bind(10, static_cast<std::int64_t>(t.hits));
    targets.run();
    hook.row_inserted();
  }
  Statement forecast(db,
                     "INSERT INTO forecast_results (run_id, date, scope, metric, statistic, value) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                     path);
  for (const ForecastResult& f : run.forecast) {
    forecast.bind(1, id).bind(2, f.date).bind(3, f.scope).bind(4, f.metric);
    insert_statistics_rows(forecast, 5, f.statistics, hook, false);
  }
  Statement milestones(db,
                       "INSERT INTO milestone_results (run_id, milestone, metric, scope, threshold, "
                       "probability_reached, statistic, value, value_text) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                       path);
  for (const MilestoneResult& m : run.milestones) {
    milestones.bind(1, id).bind(2, m.milestone).bind(3, m.metric).bind(4, m.scope).bind(5, m.threshold);
    milestones.bind(6, m.probability_reached);
    insert_statistics_rows(milestones, 7, m.statistics, hook, true);
  }
  Statement tranches(db,
                     "INSERT INTO tranche_results (run_id, tranche, statistic, value, value_text) "
                     "VALUES (?1, ?2, ?3, ?4, ?5)",
                     path);
  for (const TrancheResult& t : run.tranches) {
    tranches.bind(1, id).bind(2, t.tranche);
    insert_statistics_rows(tranches, 3, t.statistics, hook, true);
  }
  return id;
}

const char* const kRunColumns =
    "run_id, group_id, started_utc, command, spec_name, spec_path, spec_sha256, spec_file_sha256, spec_text, "
    "overrides, seed, trials, backend, ranks, tool_version, git_revision, wall_seconds, status";

LedgerRun read_header(const Statement& row) {
  LedgerRun run;
  run.run_id = row.integer(0);
  run.group_id = row.integer(1);
  run.started_utc = row.text(2);
  run.command = row.text(3);
  run.spec_name = row.text(4);
  run.spec_path = row.text(5);
  run.spec_sha256 = row.text(6);
  run.spec_file_sha256 = row.text(7);
  run.spec_text = row.text(8);
  const auto overrides = nlohmann::json::parse(row.text(9), nullptr, false);
  if (overrides.is_array()) {
    for (const auto& item : overrides) {
      if (item.is_string()) run.overrides.push_back(item.get<std::string>());
    }
  }
  run.seed = std::strtoull(row.text(10).c_str(), nullptr, 10);
  run.trials = static_cast<std::uint64_t>(row.integer(11));
  run.backend = row.text(12);
  run.ranks = static_cast<int>(row.integer(13));
  run.tool_version = row.text(14);
  run.git_revision = row.text(15);
  run.wall_seconds = row.real(16);
  run.status = row.text(17);
  return run;
}

Statistic read_statistic(const Statement& row, int column, bool with_text) {
  Statistic statistic{row.text(column), row.optional_real(column + 1), ""};
  if (with_text) statistic.text = row.text(column + 2);
  return statistic;
}

const char* const kTargetColumns = "target, metric, scope, date, threshold, probability, ci_lo, ci_hi, hits";

TargetResult read_target(const Statement& row) {
  return {row.text(0), row.text(1), row.text(2), row.text(3), row.real(4), static_cast<std::uint64_t>(row.integer(8)),
          row.real(5), row.real(6), row.real(7)};
}

void read_results(sqlite3* db, const std::string& path, LedgerRun& run) {
  Statement targets(
      db, std::string("SELECT ") + kTargetColumns + " FROM target_results WHERE run_id = ?1 ORDER BY rowid", path);
  targets.bind(1, run.run_id);
  while (targets.step()) run.targets.push_back(read_target(targets));
  Statement forecast(db,
                     "SELECT date, scope, metric, statistic, value FROM forecast_results WHERE run_id = ?1 "
                     "ORDER BY rowid",
                     path);
  forecast.bind(1, run.run_id);
  while (forecast.step()) {
    const bool same = !run.forecast.empty() && run.forecast.back().date == forecast.text(0) &&
                      run.forecast.back().scope == forecast.text(1) && run.forecast.back().metric == forecast.text(2);
    if (!same) run.forecast.push_back({forecast.text(0), forecast.text(1), forecast.text(2), {}});
    run.forecast.back().statistics.push_back(read_statistic(forecast, 3, false));
  }
  Statement milestones(db,
                       "SELECT milestone, metric, scope, threshold, probability_reached, statistic, value, value_text "
                       "FROM milestone_results WHERE run_id = ?1 ORDER BY rowid",
                       path);
  milestones.bind(1, run.run_id);
  while (milestones.step()) {
    if (run.milestones.empty() || run.milestones.back().milestone != milestones.text(0)) {
      run.milestones.push_back(
          {milestones.text(0), milestones.text(1), milestones.text(2), milestones.real(3), milestones.real(4), {}});
    }
    run.milestones.back().statistics.push_back(read_statistic(milestones, 5, true));
  }
  Statement tranches(db,
                     "SELECT tranche, statistic, value, value_text FROM tranche_results WHERE run_id = ?1 "
                     "ORDER BY rowid",
                     path);
  tranches.bind(1, run.run_id);
  while (tranches.step()) {
    if (run.tranches.empty() || run.tranches.back().tranche != tranches.text(0)) {
      run.tranches.push_back({tranches.text(0), {}});
    }
    run.tranches.back().statistics.push_back(read_statistic(tranches, 1, true));
  }
}

}  // namespace

Ledger::Ledger(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw UsageError("--ledger must name a file, got ''");
  exists_ = has_content(path_);
  if (exists_) check_ledger_file(path_);
}

void Ledger::record(std::vector<LedgerRun>& runs) const {
  if (runs.empty()) return;
  Database db = open_database(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  // WAL: readers never block the writer, and a killed writer leaves the last
  // committed state. Set before the transaction (it cannot change inside one).
  execute(db.get(), "PRAGMA journal_mode = WAL", path_);
  execute(db.get(), "BEGIN IMMEDIATE", path_);
  try {
    Statement version(db.get(), "PRAGMA user_version", path_);
    const std::int64_t found = version.step() ? version.integer(0) : 0;
    if (found > kLedgerSchemaVersion) {
      throw UsageError(fmt::format("refusing the ledger {}: it has schema version {}, from a newer capplan",
                                   printable(path_), found));
    }
    if (found < kLedgerSchemaVersion) {
      execute(db.get(), kSchema, path_);
      execute(db.get(), fmt::format("PRAGMA user_version = {}", kLedgerSchemaVersion), path_);
    }
    KillHook hook;
    const std::string started = utc_now();
    std::int64_t group = 0;
    for (LedgerRun& run : runs) {
      if (run.started_utc.empty()) run.started_utc = started;
      run.group_id = group;
      run.run_id = insert_run(db.get(), path_, run, hook);
      if (group == 0) group = run.group_id = run.run_id;
    }
    execute(db.get(), "COMMIT", path_);
  } catch (...) {
    sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::vector<LedgerRun> Ledger::runs(const std::vector<std::string>& commands) const {
  std::vector<LedgerRun> out;
  if (!exists_) return out;
  Database db = open_database(path_, SQLITE_OPEN_READONLY);
  Statement select(db.get(), std::string("SELECT ") + kRunColumns + " FROM runs ORDER BY run_id", path_);
  while (select.step()) {
    LedgerRun run = read_header(select);
    bool wanted = commands.empty();
    for (const auto& command : commands) wanted = wanted || run.command == command;
    if (wanted) out.push_back(std::move(run));
  }
  return out;
}

std::vector<LedgerRun> Ledger::runs_with_targets(const std::vector<std::string>& commands) const {
  std::vector<LedgerRun> out = runs(commands);
  if (out.empty()) return out;
  std::map<std::int64_t, LedgerRun*> by_id;
  for (LedgerRun& run : out) by_id[run.run_id] = &run;
  Database db = open_database(path_, SQLITE_OPEN_READONLY);
  Statement select(
      db.get(), std::string("SELECT ") + kTargetColumns + ", run_id FROM target_results ORDER BY run_id, rowid", path_);
  while (select.step()) {
    const auto found = by_id.find(select.integer(9));
    if (found != by_id.end()) found->second->targets.push_back(read_target(select));
  }
  return out;
}

std::optional<LedgerRun> Ledger::run(std::int64_t run_id) const {
  if (!exists_) return std::nullopt;
  Database db = open_database(path_, SQLITE_OPEN_READONLY);
  Statement select(db.get(), std::string("SELECT ") + kRunColumns + " FROM runs WHERE run_id = ?1", path_);
  select.bind(1, run_id);
  if (!select.step()) return std::nullopt;
  LedgerRun run = read_header(select);
  read_results(db.get(), path_, run);
  return run;
}

std::optional<std::string> ledger_path(const std::optional<std::string>& option) {
  if (option) return option;
  const char* environment = std::getenv("CAPPLAN_LEDGER");
  if (environment && *environment) return std::string(environment);
  return std::nullopt;
}

}  // namespace capplan
