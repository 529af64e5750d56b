// Runs under mpirun give the very same output files as one process, for any
// rank count (the statistics are integer histograms and exact sums, reduced
// exactly); a failing rank fails the whole job with its message.
#include <gtest/gtest.h>

#include "tests/test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;
using capplan::testing::Outcome;
using capplan::testing::read_file;
using capplan::testing::shell;

// Open MPI refuses to run as root unless told; CI runs as root. These are Open
// MPI's documented settings, set here for the tests only.
std::string mpirun(int ranks) {
  return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 " +
         std::string(CAPPLAN_MPIEXEC) + " --oversubscribe -np " + std::to_string(ranks) + " " + CAPPLAN_BINARY;
}

class Mpi : public capplan::testing::ScratchDirTest {};

TEST_F(Mpi, EveryConfigGivesTheSingleProcessBytesOnOneTwoAndThreeRanks) {
  for (const fs::path& config : capplan::testing::shipped_configs(true)) {
    const std::string spec = config.string();
    // 1001 trials: not divisible by 2 or 3 (61 for the GPU benchmark scenarios,
    // bench-large costing about 4 ms per trial on one CPU core).
    const bool benchmark = config.filename().string().rfind("bench-", 0) == 0;
    const std::string arguments =
        " run " + spec + " --trials " + (benchmark ? "61" : "1001") + " --quiet --threads 1 --backend cpu --out ";
    const fs::path single = dir_ / (config.stem().string() + "-single");
    const Outcome reference = shell(std::string(CAPPLAN_BINARY) + arguments + single.string());
    ASSERT_EQ(reference.exit_code, 0) << reference.output;
    for (int ranks : {1, 2, 3}) {
      const fs::path out = dir_ / (config.stem().string() + "-" + std::to_string(ranks));
      const Outcome outcome = shell(mpirun(ranks) + arguments + out.string());
      ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
      // Every table the run wrote (forecast_by.csv, milestones.csv and
      // milestone_cdf.csv too where the spec asks for them).
      int tables = 0;
      for (const auto& entry : fs::directory_iterator(single)) {
        const std::string file = entry.path().filename().string();
        if (entry.path().extension() != ".csv" || file == "sensitivity.csv") continue;
        EXPECT_EQ(read_file(out / file), read_file(single / file)) << spec << " on " << ranks << " ranks: " << file;
        ++tables;
      }
      EXPECT_GE(tables, 4);
      const auto run = nlohmann::json::parse(read_file(out / "run.json"));
      EXPECT_EQ(run["ranks"], ranks);
      EXPECT_EQ(run["processes"].size(), static_cast<std::size_t>(ranks));
      EXPECT_EQ(run["trials"], benchmark ? 61 : 1001);
    }
  }
}

// The commands that decide how far to run (--precision) or pair two scenarios
// (compare) must agree across ranks: same trial count, same bytes.
TEST_F(Mpi, PrecisionRunsAndComparisonsMatchOneProcess) {
  const std::string spec = std::string(CAPPLAN_SOURCE_DIR) + "/configs/minimal.yaml";
  const std::string precision = " run " + spec + " --trials 1000 --precision 2% --backend cpu --quiet --out ";
  ASSERT_EQ(shell(std::string(CAPPLAN_BINARY) + precision + (dir_ / "p1").string()).exit_code, 0);
  const Outcome two = shell(mpirun(2) + precision + (dir_ / "p2").string());
  ASSERT_EQ(two.exit_code, 0) << two.output;
  for (const char* file : {"forecast.csv", "tranches.csv", "targets.csv", "sensitivity.csv"}) {
    EXPECT_EQ(read_file(dir_ / "p2" / file), read_file(dir_ / "p1" / file)) << file;
  }
  const auto one_run = nlohmann::json::parse(read_file(dir_ / "p1" / "run.json"));
  const auto two_run = nlohmann::json::parse(read_file(dir_ / "p2" / "run.json"));
  EXPECT_EQ(two_run["precision"]["trials_used"], one_run["precision"]["trials_used"]);

  // compare always runs on the CPU backend (pairing needs each trial's records): no --backend.
  const std::string compare = " compare " + spec + " --set tranches.t1.units=90 --trials 1001 --quiet --out ";
  ASSERT_EQ(shell(std::string(CAPPLAN_BINARY) + compare + (dir_ / "c1").string()).exit_code, 0);
  const Outcome three = shell(mpirun(3) + compare + (dir_ / "c3").string());
  ASSERT_EQ(three.exit_code, 0) << three.output;
  EXPECT_EQ(read_file(dir_ / "c3" / "compare.csv"), read_file(dir_ / "c1" / "compare.csv"));

  // check: the same verdict as one process, printed once, and the same exit code.
  const std::string check =
      " check " + spec + " --backend cpu --baseline " + capplan::testing::source_path("configs/baselines/minimal.json");
  const Outcome one_check = shell(std::string(CAPPLAN_BINARY) + check + " --quiet");
  const Outcome two_checks = shell(mpirun(2) + check + " --quiet");
  EXPECT_EQ(one_check.exit_code, 0) << one_check.output;
  EXPECT_EQ(two_checks.exit_code, 0) << two_checks.output;
  const auto verdict = two_checks.output.find("minimal: all ");
  ASSERT_NE(verdict, std::string::npos) << two_checks.output;
  EXPECT_EQ(two_checks.output.find("minimal: all ", verdict + 1), std::string::npos) << "printed by every rank";
  const Outcome changed = shell(mpirun(2) + check + " --quiet --set tranches.t1.units=80");
  EXPECT_EQ(changed.exit_code, 1) << changed.output;
}

// sweep and solve shard each point's trials over the ranks: every table and
// the whole search (values tried, probabilities, answer) as one process.
TEST_F(Mpi, SweepsAndSolvesMatchOneProcess) {
  const std::string spec = std::string(CAPPLAN_SOURCE_DIR) + "/configs/openai-aws-2026.yaml";
  const std::string sweep = " sweep " + spec +
                            " --vary sites.site-b.install_per_day=6:10:2 --vary 'tranches.gb300-t5.units=[600, 800]'"
                            " --trials 1001 --threads 1 --backend cpu --no-plots --quiet --out ";
  ASSERT_EQ(shell(std::string(CAPPLAN_BINARY) + sweep + (dir_ / "s1").string()).exit_code, 0);
  const std::string solve = " solve " + spec +
                            " --target eoy-100k-available --probability 0.6 --vary sites.site-b.install_per_day=1:30"
                            " --trials 1001 --threads 1 --backend cpu --quiet --out ";
  ASSERT_EQ(shell(std::string(CAPPLAN_BINARY) + solve + (dir_ / "v1").string()).exit_code, 0);
  // What solve.json found, without argv (the command lines differ in --out).
  auto search = [](const fs::path& file) {
    auto json = nlohmann::json::parse(read_file(file));
    json.erase("argv");
    return json.dump();
  };
  for (int ranks : {2, 3}) {
    const std::string tag = std::to_string(ranks);
    const Outcome swept = shell(mpirun(ranks) + sweep + (dir_ / ("s" + tag)).string());
    ASSERT_EQ(swept.exit_code, 0) << swept.output;
    for (const char* file : {"sweep.csv", "sweep_forecast.csv", "sweep_milestones.csv"}) {
      EXPECT_EQ(read_file(dir_ / ("s" + tag) / file), read_file(dir_ / "s1" / file)) << file << " on " << ranks;
    }
    const Outcome solved = shell(mpirun(ranks) + solve + (dir_ / ("v" + tag)).string());
    ASSERT_EQ(solved.exit_code, 0) << solved.output;
    EXPECT_EQ(search(dir_ / ("v" + tag) / "solve.json"), search(dir_ / "v1" / "solve.json")) << ranks << " ranks";
  }
}

// Only rank 0 writes the ledger: one run, recorded with the rank count.
TEST_F(Mpi, TheLedgerRecordsEachRunOnce) {
  const fs::path ledger = dir_ / "ledger.db";
  const Outcome outcome = shell(mpirun(3) + " run " + std::string(CAPPLAN_SOURCE_DIR) +
                                "/configs/minimal.yaml --trials 301 --backend cpu --quiet --ledger " + ledger.string() +
                                " --out " + (dir_ / "out").string());
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_EQ(shell("sqlite3 " + ledger.string() + " 'SELECT count(*), max(ranks), max(trials) FROM runs'").output,
            "1|3|301\n");
}

TEST_F(Mpi, MoreRanksThanTrialsOrBatches) {
  const std::string spec = std::string(CAPPLAN_SOURCE_DIR) + "/configs/minimal.yaml";
  const std::string arguments = " run " + spec + " --trials 2 --backend cpu --quiet --out ";
  ASSERT_EQ(shell(std::string(CAPPLAN_BINARY) + arguments + (dir_ / "single").string()).exit_code, 0);
  const Outcome outcome = shell(mpirun(3) + arguments + (dir_ / "three").string());
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_EQ(read_file(dir_ / "three" / "forecast.csv"), read_file(dir_ / "single" / "forecast.csv"));
}

TEST_F(Mpi, AFailingRankFailsTheJobWithItsMessageAndWritesNothing) {
  const std::string spec = std::string(CAPPLAN_SOURCE_DIR) + "/configs/minimal.yaml";
  const fs::path out = dir_ / "never";
  const Outcome outcome = shell("CAPPLAN_FAIL_RANK=2 " + mpirun(3) + " run " + spec +
                                " --trials 300 --backend cpu --quiet --out " + out.string());
  EXPECT_NE(outcome.exit_code, 0);
  EXPECT_NE(outcome.output.find("rank 2: capplan: error: injected failure"), std::string::npos) << outcome.output;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(Mpi, SpecErrorsAreReportedOnceWithExitCodeTwo) {
  const fs::path spec = dir_ / "bad.yaml";
  std::ofstream(spec) << "version: 1\nname: bad\n";
  const Outcome outcome =
      shell(mpirun(2) + " run " + spec.string() + " --backend cpu --out " + (dir_ / "never").string());
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  const std::string needle = "nothing was written";
  const auto first = outcome.output.find(needle);
  ASSERT_NE(first, std::string::npos) << outcome.output;
  EXPECT_EQ(outcome.output.find(needle, first + 1), std::string::npos) << "reported more than once:\n"
                                                                       << outcome.output;
}

}  // namespace
