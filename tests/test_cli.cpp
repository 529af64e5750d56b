// The commands (planner/app/commands.h), called in-process, and the capplan
// binary end to end: exit codes, --help, one run writing its outputs.
#include <gtest/gtest.h>

#include "tests/test_failure.h"
#include "tests/test_support.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "planner/app/cli.h"
#include "planner/app/commands.h"
#include "planner/base/errors.h"
#include "planner/base/failure.h"

namespace capplan {
namespace {

namespace fs = std::filesystem;
using testing::capplan;
using testing::failure_of;
using testing::Outcome;
using testing::read_file;

std::string source(const std::string& relative) { return testing::source_path(relative); }

const std::vector<const char*> kTables = {"forecast.csv", "tranches.csv", "targets.csv", "completion_cdf.csv",
                                          "sensitivity.csv"};

SimulationRequest simulation(std::uint64_t trials, int threads = 2) {
  SimulationRequest request;
  request.trials = trials;
  request.threads = threads;
  return request;
}

constexpr BackendRequest kCpu{Backend::kCpu, {}};

RunRequest run_request(const std::string& spec, const fs::path& out, std::uint64_t trials) {
  RunRequest request;
  request.spec_path = source(spec);
  request.out_dir = out.string();
  request.simulation = simulation(trials);
  request.backend = kCpu;
  request.drivers_sample = 1000;
  return request;
}

class Cli : public testing::ScratchDirTest {};

// ---- end to end: the binary -----------------------------------------------------

// The reference asks for every breakdown and milestone: the run writes their
// tables, and --driver-scope points the driver analysis at one scope.
TEST_F(Cli, RunWritesBreakdownsMilestonesAndScopedDrivers) {
  const fs::path out = dir_ / "by";
  const Outcome outcome =
      capplan("run " + source("configs/openai-aws-2026.yaml") +
              " --trials 1000 --drivers-sample 1000 --backend cpu --driver-scope site:site-b --out " + out.string());
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("Milestones (probability reached"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("(site:site-b) >= 50000"), std::string::npos) << outcome.output;
  for (const char* file : {"forecast_by.csv", "milestones.csv", "milestone_cdf.csv"}) {
    EXPECT_TRUE(fs::exists(out / file)) << file;
  }
  // The console's breakdown: each scope's medians on the last report date, as forecast_by.csv has them
  // (columns: date,scope,metric,mean,p10,p50,...).
  EXPECT_NE(outcome.output.find("Median by scope on 2026-12-31:"), std::string::npos) << outcome.output;
  const std::string by = read_file(out / "forecast_by.csv");
  for (const char* scope : {"site:site-b", "system:gb300-nvl72", "largest-site"}) {
    const std::string row_start = "2026-12-31," + std::string(scope) + ",available_accelerators,";
    std::stringstream row(by.substr(by.find(row_start)));
    std::string cell;
    for (int i = 0; i < 6; ++i) std::getline(row, cell, ',');
    std::stringstream console(outcome.output.substr(outcome.output.find("\n  " + std::string(scope) + " ")));
    std::string name, median;
    console >> name >> median;
    EXPECT_EQ(median, cell) << scope;
  }
  const std::string sensitivity = read_file(out / "sensitivity.csv");
  EXPECT_EQ(sensitivity.substr(0, sensitivity.find('\n')),
            "output,date,scope,rank,input,spearman,variance_explained,contribution_to_variance");
  EXPECT_NE(sensitivity.find(",2026-12-31,site:site-b,1,"), std::string::npos) << sensitivity.substr(0, 400);
  const auto run = nlohmann::json::parse(read_file(out / "run.json"));
  EXPECT_NE(std::find(run["outputs"].begin(), run["outputs"].end(), "milestones.csv"), run["outputs"].end());

  // Running again into the same folder replaces the whole set, new tables included.
  const Outcome again =
      capplan("run " + source("configs/openai-aws-2026.yaml") + " --trials 500 --backend cpu --out " + out.string());
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(fs::exists(out / "milestone_cdf.csv"));

  EXPECT_EQ(
      capplan("run " + source("configs/minimal.yaml") + " --driver-scope site:nowhere --out " + (dir_ / "x").string())
          .exit_code,
      2);
  EXPECT_EQ(capplan("run " + source("configs/minimal.yaml") + " --driver-scope region --out " + (dir_ / "y").string())
                .exit_code,
            2);
  EXPECT_FALSE(fs::exists(dir_ / "x"));
  EXPECT_FALSE(fs::exists(dir_ / "y"));
}

TEST_F(Cli, RunWritesItsOutputs) {
  const fs::path out = dir_ / "out";
  const Outcome outcome =
      capplan("run " + source("configs/minimal.yaml") + " --trials 3000 --backend cpu --out " + out.string());
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("capplan: cpu backend: "), std::string::npos) << outcome.output;
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
  EXPECT_EQ(targets.substr(0, targets.find('\n')), "target,metric,scope,date,threshold,probability,ci_lo,ci_hi");
  const std::string sensitivity = read_file(out / "sensitivity.csv");
  EXPECT_EQ(sensitivity.substr(0, sensitivity.find('\n')),
            "output,date,scope,rank,input,spearman,variance_explained,contribution_to_variance");
  EXPECT_NE(read_file(out / "completion_cdf.csv").find("t1,2026-"), std::string::npos);

  const auto run = nlohmann::json::parse(read_file(out / "run.json"));
  EXPECT_EQ(run["trials"], 3000);
  EXPECT_EQ(run["backend"], "cpu");
  EXPECT_EQ(run["spec"]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(run["argv"].size(), 9u);
  for (const char* key :
       {"tool_version", "git_revision", "argv", "seed", "threads", "wall_seconds", "trials_per_second"}) {
    EXPECT_TRUE(run.contains(key)) << key;
  }
  for (const auto& entry : fs::directory_iterator(out)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << "temporary file left behind";
  }
}

// --quiet: errors only, except check's one-line verdict, which scripts read.
TEST_F(Cli, QuietPrintsNothingButCheckVerdict) {
  const std::string spec = source("configs/minimal.yaml");
  const std::string baseline = (dir_ / "baseline.json").string();
  for (const std::string& arguments :
       {"run " + spec + " --trials 500 --backend cpu --quiet --out " + (dir_ / "run").string(),
        "compare " + spec + " --set tranches.t1.units=90 --trials 500 --quiet --out " + (dir_ / "compare").string(),
        "baseline " + spec + " -o " + baseline + " --trials 500 --backend cpu --quiet"}) {
    const Outcome outcome = capplan(arguments);
    EXPECT_EQ(outcome.exit_code, 0) << arguments << ": " << outcome.output;
    EXPECT_EQ(outcome.output, "") << arguments;
  }
  EXPECT_TRUE(fs::exists(dir_ / "run" / "forecast.csv"));
  EXPECT_TRUE(fs::exists(dir_ / "compare" / "compare.csv"));
  const std::string check = "check " + spec + " --baseline " + baseline + " --backend cpu --quiet";
  const Outcome passed = capplan(check);
  EXPECT_EQ(passed.exit_code, 0) << passed.output;
  EXPECT_EQ(passed.output,
            "minimal: all 197 cells within 5.11 sigmas (the per-cell limit of --sigmas 4 for 197 cells)\n");
  const Outcome failed = capplan(check + " --set tranches.t1.units=50");
  EXPECT_EQ(failed.exit_code, 1) << failed.output;
  EXPECT_EQ(failed.output.rfind("minimal: ", 0), 0u) << failed.output;
  EXPECT_NE(failed.output.find(" cells moved by more than "), std::string::npos) << failed.output;
  EXPECT_EQ(failed.output.find('\n'), failed.output.size() - 1) << "more than the verdict line:\n" << failed.output;
  // Without --quiet the check lists the cells that moved.
  const Outcome listed =
      capplan("check " + spec + " --baseline " + baseline + " --backend cpu --set tranches.t1.units=50");
  EXPECT_EQ(listed.exit_code, 1) << listed.output;
  EXPECT_NE(listed.output.find("baseline"), std::string::npos) << listed.output;
  EXPECT_NE(listed.output.find("capplan: cpu backend: "), std::string::npos) << listed.output;
  // Errors still show.
  const Outcome error = capplan("run " + spec + " --trials 0 --quiet --out " + (dir_ / "never").string());
  EXPECT_EQ(error.exit_code, 2);
  EXPECT_NE(error.output.find("capplan: error: --trials"), std::string::npos) << error.output;
}

// User text in every message is escaped (planner/base/printable.h): a C1
// control (U+009B, CSI), a bidi override (U+202E), ESC, DEL and a byte that is
// not UTF-8 never reach the terminal as they are.
constexpr const char* kUnsafe = "\xc2\x9b\xe2\x80\xae\x1b\x7f\xff";
constexpr const char* kEscaped = "\\u{009b}\\u{202e}\\x1b\\x7f\\xff";

// Every byte of `output` is printable ASCII or a newline.
void expect_only_printable_ascii(const Outcome& outcome) {
  for (const char ch : outcome.output) {
    const auto byte = static_cast<unsigned char>(ch);
    ASSERT_TRUE(byte == '\n' || (byte >= 0x20 && byte < 0x7f)) << "raw byte " << static_cast<unsigned>(byte) << " in:\n"
                                                               << outcome.output;
  }
}

TEST_F(Cli, MessagesEscapeControlAndFormatCharactersFromTheSpec) {
  std::string text = read_file(source("configs/minimal.yaml"));
  text.replace(text.find("name: minimal"), 13, std::string("name: \"m") + kUnsafe + "\"");
  text.replace(text.find("  t1:"), 5, std::string("  t") + kUnsafe + ":");
  text += std::string("k") + kUnsafe + "z: 1\n";
  const fs::path spec = dir_ / "unsafe.yaml";
  std::ofstream(spec, std::ios::binary) << text;
  const Outcome outcome = capplan("validate " + spec.string());
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  expect_only_printable_ascii(outcome);
  const std::string e = kEscaped;
  for (const std::string& line :
       {":6:7: error: name: expected a name of letters, digits, '-', '_' and '.' (it names the output folder "
        "out/<name>), found 'm" +
            e + "'\n",
        ": error: tranches.t" + e + ": tranche id 't" + e + "' may contain only letters, digits, '-' and '_'",
        ": error: k" + e + "z: unknown key 'k" + e + "z'; expected one of: version, name,"}) {
    EXPECT_NE(outcome.output.find(line), std::string::npos) << line << "\nin:\n" << outcome.output;
  }
}

TEST_F(Cli, MessagesEscapeControlAndFormatCharactersFromArguments) {
  const std::string spec = source("configs/minimal.yaml");
  const std::string e = kEscaped, unsafe = kUnsafe;
  const Outcome set = capplan("validate " + spec + " --set 'tranches.t1.units=" + unsafe + "'");
  EXPECT_EQ(set.exit_code, 2) << set.output;
  expect_only_printable_ascii(set);
  EXPECT_NE(set.output.find("--set tranches.t1.units=" + e +
                            ": error: tranches.t1.units: expected a finite number, "
                            "found '" +
                            e + "'\n"),
            std::string::npos)
      << set.output;

  const std::string missing = (dir_ / ("no" + unsafe + ".yaml")).string();
  const Outcome path = capplan("validate '" + missing + "'");
  EXPECT_EQ(path.exit_code, 2) << path.output;
  expect_only_printable_ascii(path);
  EXPECT_NE(path.output.find((dir_ / ("no" + e + ".yaml")).string() + ": error: cannot open the spec file"),
            std::string::npos)
      << path.output;

  const Outcome baseline = capplan("check " + spec + " --backend cpu --baseline 'b" + unsafe + ".json'");
  EXPECT_EQ(baseline.exit_code, 2) << baseline.output;
  expect_only_printable_ascii(baseline);
  EXPECT_NE(baseline.output.find("capplan: error: cannot open the baseline b" + e + ".json"), std::string::npos)
      << baseline.output;

  const Outcome option = capplan("run " + spec + " '--bo" + unsafe + "'");
  EXPECT_EQ(option.exit_code, 2) << option.output;
  expect_only_printable_ascii(option);
  EXPECT_NE(option.output.find("--bo" + e + "\n"), std::string::npos) << option.output;

  // Printable UTF-8 stays as it is.
  const Outcome utf8 = capplan("validate " + spec + " --set 'name=caf\xc3\xa9\xe4\xb8\xad'");
  EXPECT_EQ(utf8.exit_code, 2) << utf8.output;
  EXPECT_NE(utf8.output.find("found 'caf\xc3\xa9\xe4\xb8\xad'"), std::string::npos) << utf8.output;
}

TEST_F(Cli, OptionsOutOfRangeExitTwoAndWriteNothing) {
  const std::string spec = source("configs/minimal.yaml");
  const fs::path out = dir_ / "never";
  for (const std::string options :
       {"--trials -1", "--trials 0", "--trials 4294967296", "--threads 100000", "--threads 1025", "--threads -1"}) {
    const Outcome outcome = capplan("run " + spec + " " + options + " --backend cpu --quiet --out " + out.string());
    EXPECT_EQ(outcome.exit_code, 2) << options << ": " << outcome.output;
    EXPECT_FALSE(fs::exists(out)) << options;
  }
  const Outcome bench = capplan("bench " + spec + " --trials 100 --gpu-trials -5 --backend cpu");
  EXPECT_EQ(bench.exit_code, 2) << bench.output;
  // The largest thread count allowed runs (threads beyond the trials simply idle).
  EXPECT_EQ(
      capplan("run " + spec + " --trials 50 --threads 1024 --backend cpu --quiet --out " + out.string()).exit_code, 0);
}

TEST_F(Cli, EveryOptionIsCheckedAndABadValueExitsTwoAndWritesNothing) {
  const std::string spec = source("configs/minimal.yaml");
  const fs::path out = dir_ / "never";
  struct Case {
    std::string options;
    std::string message;  // names the option, the value and the rule
  };
  const std::vector<Case> run_cases = {
      {"--seed abc", "--seed must be an integer between 0 and 18446744073709551615, got 'abc'"},
      {"--seed ''", "--seed must be an integer between 0 and 18446744073709551615, got ''"},
      {"--seed 18446744073709551616", "--seed must be an integer between 0 and 18446744073709551615"},
      {"--precision 0",
       "--precision must be a relative half-width between 0.001% and 50% (e.g. 0.5% or 0.005), "
       "got '0'"},
      {"--precision 60%", "--precision must be a relative half-width between 0.001% and 50%"},
      {"--precision 0.0000001", "--precision must be a relative half-width between 0.001% and 50%"},
      {"--precision -1%", "--precision must be a relative half-width"},
      {"--precision nan%", "--precision must be a relative half-width"},
      {"--precision abc", "--precision must be a relative half-width"},
      {"--precision ''", "--precision must be a relative half-width"},
      {"--max-trials 0 --precision 1%", "--max-trials must be between 1 and 4294967295, got 0"},
      {"--max-trials 4294967296 --precision 1%", "--max-trials must be between 1 and 4294967295, got 4294967296"},
      {"--max-trials 1000", "--max-trials bounds a run to a precision: it needs --precision"},
      {"--drivers-sample -1", "--drivers-sample must be 0 (off) or a number of trials up to 4294967295, got -1"},
      {"--drivers-sample 4294967296", "--drivers-sample must be 0 (off) or a number of trials up to 4294967295"},
      {"--driver-date 2026-13-01", "--driver-date must be a date YYYY-MM-DD, got '2026-13-01'"},
      {"--driver-date ''", "--driver-date must be a date YYYY-MM-DD, got ''"},
  };
  for (const Case& c : run_cases) {
    const Outcome outcome = capplan("run " + spec + " " + c.options + " --backend cpu --quiet --out " + out.string());
    EXPECT_EQ(outcome.exit_code, 2) << c.options << ": " << outcome.output;
    EXPECT_NE(outcome.output.find(c.message), std::string::npos) << c.options << ": " << outcome.output;
    EXPECT_FALSE(fs::exists(out)) << c.options;
  }
  const Outcome empty_out = capplan("run " + spec + " --backend cpu --quiet --out ''");
  EXPECT_EQ(empty_out.exit_code, 2);
  EXPECT_NE(empty_out.output.find("--out must name an output folder, got ''"), std::string::npos) << empty_out.output;
  const Outcome compare = capplan("compare " + spec + " --set tranches.t1.units=80 --trials 10 --quiet --out ''");
  EXPECT_EQ(compare.exit_code, 2);
  EXPECT_NE(compare.output.find("--out must name an output folder"), std::string::npos) << compare.output;
  const Outcome baseline = capplan("baseline " + spec + " -o '' --trials 10 --backend cpu --quiet");
  EXPECT_EQ(baseline.exit_code, 2);
  EXPECT_NE(baseline.output.find("--output must name a baseline file to write"), std::string::npos) << baseline.output;

  const fs::path junit = dir_ / "junit.xml";
  const std::string check = "check " + spec + " --backend cpu --quiet --baseline " +
                            source("configs/baselines/minimal.json") + " --junit " + junit.string() + " ";
  for (const std::string sigmas : {"0", "-1", "nan", "inf", "101"}) {
    const Outcome outcome = capplan(check + "--sigmas " + sigmas);
    EXPECT_EQ(outcome.exit_code, 2) << sigmas << ": " << outcome.output;
    EXPECT_NE(outcome.output.find("--sigmas must be a number of standard errors above 0 and at most 100, got "),
              std::string::npos)
        << sigmas << ": " << outcome.output;
    EXPECT_FALSE(fs::exists(junit)) << sigmas;
  }
  const Outcome seed = capplan(check + "--seed x");
  EXPECT_EQ(seed.exit_code, 2);
  EXPECT_FALSE(fs::exists(junit));
  const Outcome empty_junit = capplan("check " + spec + " --backend cpu --quiet --baseline " +
                                      source("configs/baselines/minimal.json") + " --junit ''");
  EXPECT_EQ(empty_junit.exit_code, 2);
  EXPECT_NE(empty_junit.output.find("--junit must name a file, got ''"), std::string::npos) << empty_junit.output;
  const Outcome empty_baseline = capplan("check " + spec + " --backend cpu --quiet --baseline ''");
  EXPECT_EQ(empty_baseline.exit_code, 2);
  EXPECT_NE(empty_baseline.output.find("--baseline must name a baseline file, got ''"), std::string::npos);

  for (const Case& c : std::vector<Case>{
           {"--report ''", "--report must be day, week or month, got ''"},
           {"--report year", "--report must be day, week or month, got 'year'"},
           {"--gpu-trials 0", "--gpu-trials must be between 1 and 4294967295, got 0"},
           {"--gpu-trials 4294967296", "--gpu-trials must be between 1 and 4294967295, got 4294967296"},
           {"--trials 0", "--trials must be between 1 and 4294967295, got 0"},
           {"--threads 1025", "--threads must be 0 (all) or a number of threads up to 1024, got 1025"},
       }) {
    const Outcome outcome = capplan("bench " + spec + " --backend cpu " + c.options);
    EXPECT_EQ(outcome.exit_code, 2) << c.options << ": " << outcome.output;
    EXPECT_NE(outcome.output.find(c.message), std::string::npos) << c.options << ": " << outcome.output;
  }
  // The bounds themselves are accepted.
  EXPECT_EQ(capplan("run " + spec +
                    " --trials 200 --precision 50% --max-trials 400 --drivers-sample 0 --seed "
                    "18446744073709551615 --backend cpu --quiet --out " +
                    out.string())
                .exit_code,
            0);
}

TEST_F(Cli, UsageErrorsExitTwo) {
  const std::string spec = source("configs/minimal.yaml");
  const fs::path bad = dir_ / "bad.yaml";
  std::ofstream(bad) << read_file(spec) << "\nbogus_key: 1\n";
  EXPECT_EQ(capplan("").exit_code, 2);
  EXPECT_EQ(capplan("frobnicate").exit_code, 2);
  EXPECT_EQ(capplan("run").exit_code, 2);
  EXPECT_EQ(capplan("run " + (dir_ / "missing.yaml").string()).exit_code, 2);
  EXPECT_EQ(capplan("run " + bad.string() + " --backend cpu --out " + dir_.string()).exit_code, 2);
  EXPECT_EQ(capplan("validate " + bad.string()).exit_code, 2);
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
  EXPECT_EQ(capplan("bench " + spec + " --report year").exit_code, 2);
  EXPECT_EQ(capplan("run " + spec + " --precision 0 --out " + dir_.string()).exit_code, 2);
  EXPECT_EQ(capplan("run " + spec + " --max-trials -5 --out " + dir_.string()).exit_code, 2);
  EXPECT_EQ(capplan("run " + spec + " --drivers-sample -1 --out " + dir_.string()).exit_code, 2);
  EXPECT_EQ(capplan("run " + spec + " --set tranches.t1.units=lots --out " + dir_.string()).exit_code, 2);
  EXPECT_EQ(capplan("compare " + spec + " --out " + dir_.string()).exit_code, 2);  // nothing to compare
  EXPECT_EQ(capplan("check " + spec + " --backend cpu --baseline " + (dir_ / "none.json").string()).exit_code, 2);
  EXPECT_EQ(capplan("check " + spec + " --backend cpu --sigmas 0 --baseline x.json").exit_code, 2);
  EXPECT_EQ(capplan("plot " + (dir_ / "no-such-run").string()).exit_code, 2);
  EXPECT_FALSE(fs::exists(dir_ / "forecast.csv")) << "a usage error must write nothing";
  EXPECT_EQ(capplan("--help").exit_code, 0);
  EXPECT_EQ(capplan("run --help").exit_code, 0);
  EXPECT_EQ(capplan("--version").exit_code, 0);
}

TEST_F(Cli, UnwritableOutputExitsThree) {
  const fs::path blocker = dir_ / "file";
  std::ofstream(blocker) << "not a directory";
  const Outcome outcome = capplan("run " + source("configs/minimal.yaml") +
                                  " --trials 100 --backend cpu --quiet --out " + (blocker / "sub").string());
  EXPECT_EQ(outcome.exit_code, 3) << outcome.output;
}

// ---- the command line's parsing, in-process ---------------------------------------

TEST_F(Cli, SetOptionsTakeOneValueEachAndAreRecorded) {
  const fs::path out = dir_ / "set";
  const std::string spec = source("configs/minimal.yaml");
  std::vector<std::string> words = {"capplan",
                                    "run",
                                    "--set",
                                    "tranches.t1.units=50",
                                    spec,
                                    "--set",
                                    "tranches.t1.delivery.spread_days=3",
                                    "--trials",
                                    "200",
                                    "--backend",
                                    "cpu",
                                    "--quiet",
                                    "--out",
                                    out.string()};
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  ASSERT_EQ(run_cli(static_cast<int>(argv.size()), argv.data()), 0);
  const auto run = nlohmann::json::parse(read_file(out / "run.json"));
  EXPECT_EQ(run["overrides"], nlohmann::json({"tranches.t1.units=50", "tranches.t1.delivery.spread_days=3"}));
  EXPECT_EQ(run["argv"].size(), words.size());
  EXPECT_NE(read_file(out / "tranches.csv").find("t1,50,"), std::string::npos);
}

// ---- the commands, in-process ---------------------------------------------------

TEST_F(Cli, ValidateAcceptsEveryShippedConfig) {
  for (const fs::path& config : testing::shipped_configs(true)) {
    const ValidateOutcome outcome = validate_command({config.string(), {}});
    EXPECT_NE(outcome.report.find(": valid spec '"), std::string::npos) << config << "\n" << outcome.report;
  }
}

TEST_F(Cli, AnInvalidSpecNamesItsLocationAndWritesNothing) {
  const fs::path spec = dir_ / "bad.yaml";
  std::ofstream(spec) << read_file(source("configs/minimal.yaml")) << "\nbogus_key: 1\n";
  RunRequest request = run_request("configs/minimal.yaml", dir_ / "never", 100);
  request.spec_path = spec.string();
  const Failure failure = failure_of([&] { run_command(request); });
  EXPECT_EQ(failure.exit_code, 2);
  EXPECT_NE(failure.message.find(spec.string() + ":"), std::string::npos) << failure.message;
  EXPECT_NE(failure.message.find("bogus_key"), std::string::npos) << failure.message;
  EXPECT_NE(failure.message.find("nothing was written"), std::string::npos) << failure.message;
  EXPECT_FALSE(fs::exists(dir_ / "never"));
  EXPECT_THROW(validate_command({spec.string(), {}}), SpecError);
}

TEST_F(Cli, RunReportsWhatRanAndWritesTheTables) {
  const RunOutcome outcome = run_command(run_request("configs/minimal.yaml", dir_ / "out", 1000));
  EXPECT_EQ(outcome.out_dir, (dir_ / "out").string());
  EXPECT_EQ(outcome.trials, 1000u);
  EXPECT_EQ(outcome.backend, Backend::kCpu);
  EXPECT_FALSE(outcome.precision);
  EXPECT_NE(outcome.report.find("(1000 trials, seed 1, cpu backend, 2 threads"), std::string::npos) << outcome.report;
  for (const char* table : kTables) EXPECT_TRUE(fs::exists(dir_ / "out" / table)) << table;
  const auto run = nlohmann::json::parse(read_file(dir_ / "out" / "run.json"));
  EXPECT_EQ(run["drivers"], nlohmann::json({{"date", "2026-06-30"}, {"sample_trials", 1000}}));
  EXPECT_EQ(run["processes"].size(), 1u);
  EXPECT_EQ(run["processes"][0]["backend"], "cpu");
  EXPECT_FALSE(run.contains("precision"));
}

TEST_F(Cli, ThreadCountDoesNotChangeTheTables) {
  RunRequest one = run_request("configs/example-all-features.yaml", dir_ / "one", 2000);
  one.simulation.threads = 1;
  RunRequest two = one;
  two.out_dir = (dir_ / "two").string();
  two.simulation.threads = 2;
  run_command(one);
  run_command(two);
  for (const char* table : kTables) {
    EXPECT_EQ(read_file(dir_ / "one" / table), read_file(dir_ / "two" / table)) << table;
  }
}

TEST_F(Cli, SeedOverrideChangesTheForecast) {
  RunRequest a = run_request("configs/minimal.yaml", dir_ / "a", 500);
  a.simulation.seed = 1;
  RunRequest b = a;
  b.out_dir = (dir_ / "b").string();
  b.simulation.seed = 2;
  EXPECT_EQ(run_command(a).seed, 1u);
  EXPECT_EQ(run_command(b).seed, 2u);
  EXPECT_NE(read_file(dir_ / "a" / "forecast.csv"), read_file(dir_ / "b" / "forecast.csv"));
  EXPECT_EQ(nlohmann::json::parse(read_file(dir_ / "b" / "run.json"))["seed"], 2);
}

// Checkpoints at 1000 x 1, 2, 4, ...: the trial count used is one of them, and
// run.json records the same precision outcome as RunOutcome.
TEST_F(Cli, RunToAPrecisionStopsAtACheckpoint) {
  RunRequest request = run_request("configs/minimal.yaml", dir_ / "p", 1000);
  request.precision = PrecisionGoal{0.02, 0};
  const RunOutcome outcome = run_command(request);
  ASSERT_TRUE(outcome.precision);
  EXPECT_EQ(outcome.precision->max_trials, 100000u);  // 100 x the starting trials
  EXPECT_EQ(outcome.precision->trials_used, outcome.trials);
  const std::uint64_t rounds = outcome.trials / 1000;
  EXPECT_EQ(outcome.trials, 1000 * rounds);
  EXPECT_EQ(rounds & (rounds - 1), 0u) << outcome.trials << " is not 1000 x a power of 2";
  EXPECT_TRUE(outcome.precision->assessment.met);
  EXPECT_NE(outcome.report.find("Precision 2%: met after"), std::string::npos) << outcome.report;
  const auto run = nlohmann::json::parse(read_file(dir_ / "p" / "run.json"));
  EXPECT_EQ(run["precision"]["trials_used"], outcome.trials);
  EXPECT_EQ(run["precision"]["met"], true);
  EXPECT_EQ(run["precision"]["worst_cell"], outcome.precision->assessment.worst_cell);

  request.precision = PrecisionGoal{0.001, 2000};  // not reachable within 2000 trials
  request.out_dir = (dir_ / "capped").string();
  const RunOutcome capped = run_command(request);
  EXPECT_EQ(capped.trials, 2000u);
  EXPECT_FALSE(capped.precision->assessment.met);
  EXPECT_NE(capped.report.find("NOT met (--max-trials reached)"), std::string::npos) << capped.report;
}

TEST_F(Cli, ADriverDateOutsideTheHorizonIsAUsageError) {
  RunRequest request = run_request("configs/minimal.yaml", dir_ / "never", 100);
  request.driver_date = days_from_civil({2031, 1, 1});
  try {
    run_command(request);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()),
              "--driver-date must be a date YYYY-MM-DD inside the horizon 2026-01-01 .. 2026-06-30, got "
              "'2031-01-01'");
  }
  EXPECT_FALSE(fs::exists(dir_ / "never"));
}

TEST_F(Cli, CompareWritesThePairedTables) {
  CompareRequest request;
  request.spec_a = source("configs/minimal.yaml");
  request.out_dir = (dir_ / "cmp").string();
  request.simulation = simulation(1001);
  request.simulation.overrides = {"tranches.t1.units=90"};
  const CompareOutcome outcome = compare_command(request);
  EXPECT_EQ(outcome.out_dir, request.out_dir);
  EXPECT_NE(outcome.report.find("Wrote " + request.out_dir + "/{compare.csv,compare_targets.csv}"), std::string::npos)
      << outcome.report;
  const std::string csv = read_file(dir_ / "cmp" / "compare.csv");
  EXPECT_EQ(csv.rfind("date,scope,metric,quantile,a,b,difference,", 0), 0u) << csv.substr(0, 200);
  EXPECT_NE(csv.find("delivered_systems,p50,100,90,-10,"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "cmp" / "compare_targets.csv"));

  // B as a second file, unchanged: every paired trial is equal.
  const fs::path b = dir_ / "b.yaml";
  std::ofstream(b) << read_file(source("configs/minimal.yaml"));
  CompareRequest same = request;
  same.spec_b = b.string();
  same.simulation.overrides.clear();
  same.out_dir = (dir_ / "same").string();
  compare_command(same);
  EXPECT_NE(read_file(dir_ / "same" / "compare.csv").find("delivered_systems,p50,100,100,0,"), std::string::npos);
}

TEST_F(Cli, CompareNeedsAChange) {
  CompareRequest request;
  request.spec_a = source("configs/minimal.yaml");
  request.out_dir = (dir_ / "never").string();
  request.simulation = simulation(100);
  EXPECT_THROW(compare_command(request), UsageError);
  EXPECT_FALSE(fs::exists(dir_ / "never"));
}

// A baseline of 2000 trials, checked against itself: exactly (its seed) and
// statistically; a spec with a tranche cut by a fifth fails with exit code 1.
TEST_F(Cli, BaselineThenCheckGivesTheVerdictAndItsExitCode) {
  BaselineRequest baseline;
  baseline.spec_path = source("configs/minimal.yaml");
  baseline.output = (dir_ / "base" / "minimal.json").string();
  baseline.simulation = simulation(2000);
  baseline.backend = kCpu;
  const BaselineOutcome stored = baseline_command(baseline);
  EXPECT_EQ(stored.trials, 2000u);
  EXPECT_EQ(stored.report, "Wrote baseline " + baseline.output + " (2000 trials, seed 1)\n");
  EXPECT_EQ(nlohmann::json::parse(read_file(baseline.output))["trials"], 2000);

  CheckRequest check;
  check.spec_path = baseline.spec_path;
  check.baseline_path = baseline.output;
  check.exact = true;
  check.junit = (dir_ / "junit.xml").string();
  check.simulation = simulation(1);  // ignored: the baseline's trial count is used
  check.backend = kCpu;
  const CheckOutcome exact = check_command(check);
  EXPECT_EQ(exact.exit_code, 0) << exact.report;
  EXPECT_TRUE(exact.check.exact);
  EXPECT_EQ(exact.report, "minimal: all 3 tables byte-identical\n");
  EXPECT_NE(read_file(dir_ / "junit.xml").find("<testsuite"), std::string::npos);

  check.exact = false;
  check.junit.clear();
  const CheckOutcome statistical = check_command(check);
  EXPECT_EQ(statistical.exit_code, 0) << statistical.report;
  EXPECT_EQ(statistical.check.failures(), 0);

  check.simulation.overrides = {"tranches.t1.units=80"};
  const CheckOutcome changed = check_command(check);
  EXPECT_EQ(changed.exit_code, 1) << changed.report;
  EXPECT_GT(changed.check.failures(), 0);
}

TEST_F(Cli, AnUnreadableOrInvalidBaselineIsAUsageError) {
  CheckRequest check;
  check.spec_path = source("configs/minimal.yaml");
  check.baseline_path = (dir_ / "none.json").string();
  check.backend = kCpu;
  const Failure missing = failure_of([&] { check_command(check); });
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.message,
            "capplan: error: cannot open the baseline " + check.baseline_path + ": No such file or directory");
  std::ofstream(dir_ / "bad.json") << "{ not json";
  check.baseline_path = (dir_ / "bad.json").string();
  EXPECT_THROW(check_command(check), UsageError);
  std::ofstream(dir_ / "empty.json") << "{}";
  check.baseline_path = (dir_ / "empty.json").string();
  EXPECT_THROW(check_command(check), UsageError);
  check.baseline_path = source("configs/baselines/minimal.json");
  check.sigmas = 0.0;
  EXPECT_THROW(check_command(check), UsageError);
}

TEST_F(Cli, PlotOfAMissingRunIsAUsageError) {
  EXPECT_THROW(plot_command({(dir_ / "no-such-run").string()}), UsageError);
}

TEST_F(Cli, SchemaIsJson) {
  const auto schema = nlohmann::json::parse(schema_command().report);
  EXPECT_TRUE(schema.contains("properties"));
}

TEST_F(Cli, BenchMeasuresOneAndSeveralThreads) {
  BenchRequest request;
  request.spec_paths = {source("configs/minimal.yaml")};
  request.trials = 500;
  request.threads = 2;
  request.backend = kCpu;
  request.report = Report::Every::week;
  std::ostringstream table;
  const BenchOutcome outcome = bench_command(request, table);
  ASSERT_EQ(outcome.rows.size(), 2u);
  // The one-thread CPU row is the reference of the last column; the two-thread row is compared with it.
  EXPECT_EQ(outcome.rows[0].label, "cpu x1");
  EXPECT_EQ(outcome.rows[0].vs_cpu, 1.0);
  EXPECT_EQ(outcome.rows[1].label, "cpu x2");
  EXPECT_EQ(outcome.rows[1].scenario, "minimal");
  EXPECT_EQ(outcome.rows[1].report, "week");
  EXPECT_EQ(outcome.rows[1].trials, 500u);
  EXPECT_GT(outcome.rows[1].vs_cpu, 0.0);
  EXPECT_NE(table.str().find("trials/s"), std::string::npos);
  EXPECT_NE(table.str().find("1.00\n"), std::string::npos) << table.str();
}

TEST(Failures, EachErrorMapsToItsExitCodeAndMessage) {
  const Failure spec = failure_of([] { throw SpecError({{"a.yaml", 3, 1, "name", "missing"}}); });
  EXPECT_EQ(spec.exit_code, 2);
  EXPECT_EQ(spec.message.substr(spec.message.find('\n') + 1), "capplan: 1 error in the spec; nothing was written");
  const Failure usage = failure_of([] { throw UsageError("bad option"); });
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_EQ(usage.message, "capplan: error: bad option");
  EXPECT_EQ(failure_of([] { throw RuntimeFailure("disk full"); }).exit_code, 3);
  EXPECT_EQ(failure_of([] { throw std::bad_alloc(); }).message, "capplan: error: out of memory");
  const Failure internal = failure_of([] { throw std::logic_error("oops"); });
  EXPECT_EQ(internal.exit_code, 3);
  EXPECT_EQ(internal.message, "capplan: internal error: oops");
  const Failure agreed = failure_of([] { throw AgreedFailure(2, "rank 1: capplan: error: x", false); });
  EXPECT_EQ(agreed.exit_code, 2);
  EXPECT_EQ(agreed.message, "rank 1: capplan: error: x");
  EXPECT_FALSE(agreed.print);
  EXPECT_EQ(failure_of([] {}).exit_code, 0);
}

}  // namespace
}  // namespace capplan
