// The forecast ledger: every command records what its tables say; files that
// are not capplan ledgers are refused and left byte for byte untouched;
// concurrent writers lose nothing; a recorder killed mid-transaction leaves the
// ledger consistent; a ledger that cannot be written is exit 3 with the run's
// outputs complete. Queried with the stock sqlite3 client where it matters.
#include <gtest/gtest.h>

#include "tests/test_support.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "planner/ledger/ledger.h"
#include "planner/output/output_files.h"
#include "planner/output/plot_csv.h"

namespace capplan {
namespace {

namespace fs = std::filesystem;
using testing::Outcome;
using testing::read_file;
using testing::shell;

std::string binary() { return CAPPLAN_BINARY; }
std::string source(const std::string& relative) { return testing::source_path(relative); }

class LedgerTest : public testing::ScratchDirTest {
 protected:
  fs::path ledger() const { return dir_ / "ledger.db"; }
  // `capplan run minimal` recording into `file` (the test's ledger by default).
  Outcome run_minimal(const fs::path& file = {}) const {
    return shell(binary() + " run " + source("configs/minimal.yaml") + " --trials 300 --backend cpu --quiet --out " +
                 (dir_ / "out").string() + " --ledger " + (file.empty() ? ledger() : file).string());
  }
  // The stock sqlite3 client's answer to `sql`.
  std::string query(const std::string& sql) const {
    return shell("sqlite3 " + ledger().string() + " \"" + sql + "\"").output;
  }
  std::string file_hash(const fs::path& path) const { return sha256_hex(read_file(path)); }
};

TEST_F(LedgerTest, ARunRecordsWhatItsTablesSay) {
  const fs::path out = dir_ / "out";
  const Outcome outcome = shell(binary() + " run " + source("tests/specs/every-feature.yaml") +
                                " --trials 500 --backend cpu --quiet --set tranches.gb200-t1.units=7 --out " +
                                out.string() + " --ledger " + ledger().string());
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  const std::optional<LedgerRun> run = Ledger(ledger().string()).run(1);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->command, "run");
  EXPECT_EQ(run->group_id, 1);
  EXPECT_EQ(run->trials, 500u);
  EXPECT_EQ(run->overrides, std::vector<std::string>{"tranches.gb200-t1.units=7"});
  EXPECT_EQ(run->spec_file_sha256, file_hash(source("tests/specs/every-feature.yaml")));
  EXPECT_NE(run->spec_sha256, run->spec_file_sha256);  // the effective text, after --set
  EXPECT_NE(run->spec_text.find("units: 7"), std::string::npos);
  EXPECT_EQ(run->started_utc.size(), 20u);  // YYYY-MM-DDTHH:MM:SSZ

  // targets.csv row for row.
  const plots::CsvTable targets("targets.csv", read_file(out / "targets.csv"));
  ASSERT_EQ(run->targets.size(), targets.rows().size());
  for (std::size_t r = 0; r < targets.rows().size(); ++r) {
    EXPECT_EQ(run->targets[r].target, targets.rows()[r][0]);
    EXPECT_EQ(run->targets[r].scope, targets.rows()[r][2]);
    EXPECT_NEAR(run->targets[r].probability, targets.number(r, 5), 5e-7);
    EXPECT_EQ(run->targets[r].hits, static_cast<std::uint64_t>(std::llround(run->targets[r].probability * 500)));
  }
  // Every forecast.csv and forecast_by.csv cell, in long form.
  const plots::CsvTable forecast("forecast.csv", read_file(out / "forecast.csv"));
  const plots::CsvTable by("forecast_by.csv", read_file(out / "forecast_by.csv"));
  const std::size_t cells =
      forecast.rows().size() * (forecast.header().size() - 2) + by.rows().size() * (by.header().size() - 3);
  EXPECT_EQ(query("SELECT count(*) FROM forecast_results WHERE run_id = 1"), std::to_string(cells) + "\n");
  EXPECT_EQ(query("SELECT value FROM forecast_results WHERE run_id = 1 AND scope = 'total' AND statistic = 'p50' "
                  "ORDER BY rowid LIMIT 1"),
            forecast.rows()[0][forecast.column("p50")] + ".0\n");
  // Milestones and tranches: numbers as REAL, dates and after-horizon as text.
  const plots::CsvTable milestones("milestones.csv", read_file(out / "milestones.csv"));
  ASSERT_EQ(run->milestones.size(), milestones.rows().size());
  EXPECT_EQ(run->milestones[0].statistics[0].text, milestones.rows()[0][5]);
  const plots::CsvTable tranches("tranches.csv", read_file(out / "tranches.csv"));
  ASSERT_EQ(run->tranches.size(), tranches.rows().size());
  EXPECT_EQ(query("SELECT count(*) FROM tranche_results WHERE run_id = 1"),
            std::to_string(tranches.rows().size() * (tranches.header().size() - 1)) + "\n");
  EXPECT_EQ(query("PRAGMA user_version"), "1\n");
  EXPECT_EQ(query("PRAGMA journal_mode"), "wal\n");
}

TEST_F(LedgerTest, EveryCommandRecordsOneGroup) {
  const std::string spec = source("configs/minimal.yaml");
  const std::string to = " --backend cpu --quiet --ledger " + ledger().string() + " --out ";
  ASSERT_EQ(run_minimal().exit_code, 0);
  ASSERT_EQ(shell(binary() + " compare " + spec + " --set tranches.t1.units=80 --trials 300 --quiet --ledger " +
                  ledger().string() + " --out " + (dir_ / "c").string())
                .exit_code,
            0);
  ASSERT_EQ(shell(binary() + " sweep " + spec + " --vary tranches.t1.units=60,80,100 --trials 300 --no-plots" + to +
                  (dir_ / "s").string())
                .exit_code,
            0);
  const Outcome solve =
      shell(binary() + " solve " + spec +
            " --target half-by-mid-march --probability 0.99 --vary tranches.t1.units=1:3 --trials 300" + to +
            (dir_ / "v").string());
  ASSERT_EQ(solve.exit_code, 1) << solve.output;  // 3 racks never make 3,600 GPUs
  const Outcome check = shell(binary() + " check " + spec + " --baseline " + source("configs/baselines/minimal.json") +
                              " --set tranches.t1.units=50 --backend cpu --quiet --ledger " + ledger().string());
  ASSERT_EQ(check.exit_code, 1) << check.output;
  EXPECT_EQ(query("SELECT run_id, group_id, command, status FROM runs ORDER BY run_id"),
            "1|1|run|ok\n2|2|compare|ok\n3|2|compare|ok\n4|4|sweep|ok\n5|4|sweep|ok\n6|4|sweep|ok\n"
            "7|7|solve|not-achievable\n8|7|solve|not-achievable\n9|9|check|regression\n");
  EXPECT_EQ(query("SELECT overrides FROM runs WHERE run_id IN (3, 5) ORDER BY run_id"),
            "[\"tranches.t1.units=80\"]\n[\"tranches.t1.units=80\"]\n");
  EXPECT_EQ(query("SELECT count(DISTINCT spec_sha256) FROM runs WHERE group_id = 4"), "3\n");
  EXPECT_EQ(query("SELECT trials FROM runs WHERE run_id = 9"), "100000\n");  // the baseline's count
}

TEST_F(LedgerTest, TheEnvironmentNamesTheDefaultLedger) {
  const Outcome outcome =
      shell("CAPPLAN_LEDGER=" + ledger().string() + " " + binary() + " run " + source("configs/minimal.yaml") +
            " --trials 100 --backend cpu --quiet --out " + (dir_ / "out").string());
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_EQ(query("SELECT count(*) FROM runs"), "1\n");
  std::ofstream(dir_ / "empty.db").close();  // an empty file becomes a new ledger
  ASSERT_EQ(run_minimal(dir_ / "empty.db").exit_code, 0);
  EXPECT_EQ(shell("sqlite3 " + (dir_ / "empty.db").string() + " 'SELECT count(*) FROM runs'").output, "1\n");
}

// Files capplan does not own: refused with exit 2 before the run, byte for byte untouched.
TEST_F(LedgerTest, FilesThatAreNotLedgersAreRefusedAndLeftUntouched) {
  struct Case {
    std::string name, make, message;
  };
  const std::vector<Case> cases = {
      {"text.db", "printf 'not a database, just text\\n' > FILE", "not a SQLite database"},
      {"other.db", "sqlite3 FILE 'CREATE TABLE photos (id INTEGER)'", "without capplan's tables"},
      {"newer.db",
       "sqlite3 FILE 'CREATE TABLE runs (run_id INTEGER); CREATE TABLE target_results (run_id INTEGER); PRAGMA "
       "user_version = 2'",
       "schema version 2, from a newer capplan"},
      {"partial.db", "sqlite3 FILE 'CREATE TABLE runs (run_id INTEGER); PRAGMA user_version = 1'",
       "no table target_results"},
  };
  for (const Case& c : cases) {
    const fs::path file = dir_ / c.name;
    std::string make = c.make;
    make.replace(make.find("FILE"), 4, file.string());
    ASSERT_EQ(shell(make).exit_code, 0) << make;
    const std::string before = file_hash(file);
    const Outcome outcome =
        shell(binary() + " run " + source("configs/minimal.yaml") + " --trials 100 --backend cpu --quiet --out " +
              (dir_ / "never").string() + " --ledger " + file.string());
    EXPECT_EQ(outcome.exit_code, 2) << c.name << ": " << outcome.output;
    EXPECT_NE(outcome.output.find(c.message), std::string::npos) << outcome.output;
    EXPECT_NE(outcome.output.find("left untouched"), std::string::npos) << outcome.output;
    EXPECT_EQ(file_hash(file), before) << c.name;
    EXPECT_FALSE(fs::exists(dir_ / "never")) << c.name;
    EXPECT_FALSE(fs::exists(file.string() + "-wal")) << c.name;
  }
  const Outcome directory = run_minimal(dir_);
  EXPECT_EQ(directory.exit_code, 2) << directory.output;
  EXPECT_NE(directory.output.find("is a directory"), std::string::npos);
}

// 4 processes recording 20 runs each into one ledger at once: all 80 land.
TEST_F(LedgerTest, ConcurrentWritersLoseNothing) {
  std::string script;
  for (int p = 0; p < 4; ++p) {
    script += "(for i in $(seq 20); do " + binary() + " run " + source("configs/minimal.yaml") +
              " --trials 20 --threads 1 --backend cpu --quiet --seed " + std::to_string(p) + " --out " +
              (dir_ / ("p" + std::to_string(p))).string() + " --ledger " + ledger().string() +
              " || echo FAILED; done) & ";
  }
  const Outcome outcome = shell(script + "wait");
  EXPECT_EQ(outcome.output.find("FAILED"), std::string::npos) << outcome.output;
  EXPECT_EQ(query("SELECT count(*), count(DISTINCT run_id), min(run_id), max(run_id) FROM runs"), "80|80|1|80\n");
  EXPECT_EQ(query("SELECT seed, count(*) FROM runs GROUP BY seed ORDER BY seed"), "0|20\n1|20\n2|20\n3|20\n");
  EXPECT_EQ(query("SELECT count(DISTINCT run_id) FROM target_results"), "80\n");
  EXPECT_EQ(query("PRAGMA integrity_check"), "ok\n");
}

// CAPPLAN_LEDGER_TEST_KILL_AFTER_ROWS kills the recorder with SIGKILL inside its
// transaction: the killed run is absent, every earlier run whole, and the next
// run records as usual.
TEST_F(LedgerTest, ARecorderKilledMidTransactionLeavesTheLedgerConsistent) {
  ASSERT_EQ(run_minimal().exit_code, 0);
  const std::string rows = query(
      "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM target_results) + "
      "(SELECT count(*) FROM forecast_results) + (SELECT count(*) FROM tranche_results)");
  const int per_run = std::stoi(rows);
  std::mt19937 random(20261201);  // fixed: the same kill points on every run of the test
  std::vector<int> kill_points = {1, 2, per_run - 1};
  for (int i = 0; i < 4; ++i) kill_points.push_back(1 + static_cast<int>(random() % (per_run - 1)));
  for (int k : kill_points) {
    const Outcome killed = shell("CAPPLAN_LEDGER_TEST_KILL_AFTER_ROWS=" + std::to_string(k) + " " + binary() + " run " +
                                 source("configs/minimal.yaml") + " --trials 300 --backend cpu --quiet --out " +
                                 (dir_ / "killed").string() + " --ledger " + ledger().string());
    EXPECT_NE(killed.exit_code, 0) << k;
    EXPECT_EQ(query("PRAGMA integrity_check"), "ok\n") << k;
    EXPECT_EQ(query("SELECT count(*) FROM runs"), "1\n") << "killed after " << k << " rows";
    EXPECT_EQ(query("SELECT count(*) FROM forecast_results WHERE run_id <> 1"), "0\n") << k;
  }
  ASSERT_EQ(run_minimal().exit_code, 0);
  EXPECT_EQ(query("SELECT count(*) FROM runs"), "2\n");
  EXPECT_EQ(query("SELECT count(*) FROM forecast_results WHERE run_id = 2"),
            query("SELECT count(*) FROM forecast_results WHERE run_id = 1"));
}

// A ledger locked by another writer beyond the busy timeout: exit 3, the run's
// folder complete, nothing recorded.
TEST_F(LedgerTest, ALedgerThatCannotBeWrittenExitsThreeWithTheOutputsComplete) {
  ASSERT_EQ(run_minimal().exit_code, 0);
  const std::string hold =
      "(echo 'BEGIN EXCLUSIVE; INSERT INTO runs (run_id) SELECT NULL WHERE 0;'; sleep 4; echo "
      "'COMMIT;') | sqlite3 " +
      ledger().string() + " & sleep 1; ";
  const Outcome outcome =
      shell(hold + "CAPPLAN_LEDGER_BUSY_MS=300 " + binary() + " run " + source("configs/minimal.yaml") +
            " --trials 300 --backend cpu --quiet --out " + (dir_ / "locked").string() + " --ledger " +
            ledger().string() + " 2>&1; echo exit=$?; wait");
  EXPECT_NE(outcome.output.find("exit=3"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("cannot write to the ledger"), std::string::npos) << outcome.output;
  for (const char* table : {"forecast.csv", "tranches.csv", "targets.csv", "run.json"}) {
    EXPECT_TRUE(fs::exists(dir_ / "locked" / table)) << table;
  }
  EXPECT_EQ(query("SELECT count(*) FROM runs"), "1\n");
}

}  // namespace
}  // namespace capplan
