// The capplan command line end to end: commands, output files, exit codes.
#include <gtest/gtest.h>

#include "tests/test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;
using capplan::testing::Outcome;
using capplan::testing::read_file;

// Runs `capplan <arguments>` through the shell.
Outcome capplan(const std::string& arguments) {
  return capplan::testing::shell(std::string(CAPPLAN_BINARY) + " " + arguments);
}

std::string source(const std::string& relative) { return capplan::testing::source_path(relative); }

class Cli : public capplan::testing::ScratchDirTest {};

TEST_F(Cli, ValidateAcceptsEveryShippedConfig) {
  for (const fs::path& config : capplan::testing::shipped_configs(true)) {
    const Outcome outcome = capplan("validate " + config.string());
    EXPECT_EQ(outcome.exit_code, 0) << config << "\n" << outcome.output;
  }
}

TEST_F(Cli, RunWritesTheFourOutputs) {
  const fs::path out = dir_ / "out";
  const Outcome outcome =
      capplan("run " + source("configs/minimal.yaml") + " --trials 3000 --backend cpu --quiet --out " + out.string());
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("Targets"), std::string::npos) << outcome.output;

  const std::string forecast = read_file(out / "forecast.csv");
  EXPECT_EQ(forecast.substr(0, forecast.find('\n')),
            "date,metric,mean,p10,p50,p90,p10_lo,p10_hi,p50_lo,p50_hi,p90_lo,p90_hi,min,max");
  EXPECT_NE(forecast.find(",available_accelerators,"), std::string::npos);
  EXPECT_NE(forecast.find(",delivered_flop_e24,"), std::string::npos);
  const std::string tranches = read_file(out / "tranches.csv");
  EXPECT_EQ(tranches.substr(0, tranches.find('\n')),
            "tranche,units,probability_complete,p10,p50,p90,p10_lo,p10_hi,p50_lo,p50_hi,p90_lo,p90_hi,"
            "probability_ci_lo,probability_ci_hi,criticality");
  const std::string targets = read_file(out / "targets.csv");
  EXPECT_EQ(targets.substr(0, targets.find('\n')), "target,metric,date,threshold,probability,ci_lo,ci_hi");
  const std::string sensitivity = read_file(out / "sensitivity.csv");
  EXPECT_EQ(sensitivity.substr(0, sensitivity.find('\n')),
            "output,date,rank,input,spearman,variance_explained,contribution_to_variance");
  EXPECT_NE(read_file(out / "completion_cdf.csv").find("t1,2026-"), std::string::npos);

  const auto run = nlohmann::json::parse(read_file(out / "run.json"));
  EXPECT_EQ(run["trials"], 3000);
  EXPECT_EQ(run["backend"], "cpu");
  EXPECT_EQ(run["spec"]["sha256"].get<std::string>().size(), 64u);
  for (const char* key :
       {"tool_version", "git_revision", "argv", "seed", "threads", "wall_seconds", "trials_per_second"}) {
    EXPECT_TRUE(run.contains(key)) << key;
  }
  for (const auto& entry : fs::directory_iterator(out)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << "temporary file left behind";
  }
}

TEST_F(Cli, ThreadCountDoesNotChangeTheTables) {
  const std::string spec = source("configs/example-all-features.yaml");
  ASSERT_EQ(capplan("run " + spec + " --trials 2000 --threads 1 --backend cpu --quiet --out " + (dir_ / "one").string())
                .exit_code,
            0);
  ASSERT_EQ(capplan("run " + spec + " --trials 2000 --threads 2 --backend cpu --quiet --out " + (dir_ / "two").string())
                .exit_code,
            0);
  for (const char* file : {"forecast.csv", "tranches.csv", "targets.csv", "completion_cdf.csv", "sensitivity.csv"}) {
    EXPECT_EQ(read_file(dir_ / "one" / file), read_file(dir_ / "two" / file)) << file;
  }
}

TEST_F(Cli, SeedOverrideChangesTheForecast) {
  const std::string spec = source("configs/minimal.yaml");
  ASSERT_EQ(
      capplan("run " + spec + " --trials 500 --seed 1 --backend cpu --quiet --out " + (dir_ / "a").string()).exit_code,
      0);
  ASSERT_EQ(
      capplan("run " + spec + " --trials 500 --seed 2 --backend cpu --quiet --out " + (dir_ / "b").string()).exit_code,
      0);
  EXPECT_NE(read_file(dir_ / "a" / "forecast.csv"), read_file(dir_ / "b" / "forecast.csv"));
  const auto run = nlohmann::json::parse(read_file(dir_ / "b" / "run.json"));
  EXPECT_EQ(run["seed"], 2);
}

TEST_F(Cli, SetOptionsTakeOneValueEachAndAreRecorded) {
  const fs::path out = dir_ / "set";
  const Outcome outcome =
      capplan("run --set tranches.t1.units=50 " + source("configs/minimal.yaml") +
              " --set tranches.t1.delivery.spread_days=3 --trials 200 --backend cpu --quiet --out " + out.string());
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  const auto run = nlohmann::json::parse(read_file(out / "run.json"));
  EXPECT_EQ(run["overrides"], nlohmann::json({"tranches.t1.units=50", "tranches.t1.delivery.spread_days=3"}));
  EXPECT_NE(read_file(out / "tranches.csv").find("t1,50,"), std::string::npos);
}

TEST_F(Cli, InvalidSpecExitsTwoWithLocationAndWritesNothing) {
  const fs::path spec = dir_ / "bad.yaml";
  std::ofstream(spec) << read_file(source("configs/minimal.yaml")) << "\nbogus_key: 1\n";
  const fs::path out = dir_ / "never";
  const Outcome outcome = capplan("run " + spec.string() + " --out " + out.string());
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_NE(outcome.output.find(spec.string() + ":"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("bogus_key"), std::string::npos) << outcome.output;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(capplan("validate " + spec.string()).exit_code, 2);
}

TEST_F(Cli, UsageErrorsExitTwo) {
  const std::string spec = source("configs/minimal.yaml");
  EXPECT_EQ(capplan("").exit_code, 2);
  EXPECT_EQ(capplan("frobnicate").exit_code, 2);
  EXPECT_EQ(capplan("run").exit_code, 2);
  EXPECT_EQ(capplan("run " + (dir_ / "missing.yaml").string()).exit_code, 2);
  EXPECT_EQ(capplan("run " + spec + " --trials 0 --out " + dir_.string()).exit_code, 2);
  EXPECT_EQ(capplan("run " + spec + " --trials many --out " + dir_.string()).exit_code, 2);
  EXPECT_EQ(capplan("run " + spec + " --seed -1 --out " + dir_.string()).exit_code, 2);
  EXPECT_EQ(capplan("run " + spec + " --threads -2 --out " + dir_.string()).exit_code, 2);
  EXPECT_EQ(capplan("run " + spec + " --no-such-flag").exit_code, 2);
  EXPECT_EQ(capplan("run " + spec + " --driver-date 2031-01-01 --out " + dir_.string()).exit_code, 2);
  EXPECT_EQ(capplan("run " + spec + " --driver-date soon --out " + dir_.string()).exit_code, 2);
  EXPECT_EQ(capplan("run " + spec + " --backend gpu --out " + dir_.string()).exit_code, 2);
  EXPECT_EQ(capplan("run " + spec + " --cuda-block 48 --out " + dir_.string()).exit_code, 2);
  EXPECT_EQ(capplan("run " + spec + " --cuda-registers 64 --out " + dir_.string()).exit_code, 2);
  EXPECT_EQ(capplan("run " + spec + " --cuda-steps outline --out " + dir_.string()).exit_code, 2);
  EXPECT_EQ(capplan("bench " + spec + " --cuda-block 512").exit_code, 2);
  EXPECT_EQ(capplan("run " + spec + " --precision 0 --out " + dir_.string()).exit_code, 2);
  EXPECT_EQ(capplan("run " + spec + " --drivers-sample -1 --out " + dir_.string()).exit_code, 2);
  EXPECT_EQ(capplan("run " + spec + " --set tranches.t1.units=lots --out " + dir_.string()).exit_code, 2);
  EXPECT_EQ(capplan("compare " + spec + " --out " + dir_.string()).exit_code, 2);  // nothing to compare
  EXPECT_EQ(capplan("check " + spec + " --baseline " + (dir_ / "none.json").string()).exit_code, 2);
  EXPECT_EQ(capplan("plot " + (dir_ / "no-such-run").string()).exit_code, 2);
  EXPECT_FALSE(fs::exists(dir_ / "forecast.csv")) << "a usage error must write nothing";
  EXPECT_EQ(capplan("--help").exit_code, 0);
  EXPECT_EQ(capplan("--version").exit_code, 0);
}

TEST_F(Cli, UnwritableOutputExitsThree) {
  const fs::path blocker = dir_ / "file";
  std::ofstream(blocker) << "not a directory";
  const Outcome outcome = capplan("run " + source("configs/minimal.yaml") +
                                  " --trials 100 --backend cpu --quiet --out " + (blocker / "sub").string());
  EXPECT_EQ(outcome.exit_code, 3) << outcome.output;
}

TEST_F(Cli, BenchPrintsATable) {
  const Outcome outcome =
      capplan("bench " + source("configs/minimal.yaml") + " --trials 500 --threads 2 --backend cpu");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("trials/s"), std::string::npos);
  EXPECT_NE(outcome.output.find("minimal"), std::string::npos);
  // The one-thread CPU row is the reference of the last column; the two-thread row is compared with it.
  EXPECT_NE(outcome.output.find("cpu x1"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("cpu x2"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("1.00\n"), std::string::npos) << outcome.output;
}

}  // namespace
