// The model-size budgets (planner/engine/model_budget, limits in
// planner/base/limits.h): a model's memory needs are computed from its sizes
// before anything of that size is allocated; one just under a budget is
// accepted, one just over is refused (exit 2) with a message naming the sizes,
// the budget and what to change, and a refusal costs neither time nor memory.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "planner/base/errors.h"
#include "planner/base/limits.h"
#include "planner/engine/model_budget.h"
#include "planner/engine/run_driver.h"
#include "planner/engine/statistics.h"
#include "spec_fixtures.h"
#include "test_support.h"

namespace {

using capplan::build_model;
using capplan::CompiledModel;
using capplan::Report;
using capplan::Spec;
using capplan::SpecError;
using capplan::UsageError;
using capplan::testing::base_spec;
using capplan::testing::tranche;

constexpr int kCentury = static_cast<int>(capplan::kMaxHorizonDays);  // the longest horizon [days]

// `tranches` tranches of one rack each, on `sites` sites (round robin), over
// `days` days from 2026-01-01, reported `every`.
Spec spec_of(int days, int tranches, Report::Every every, int sites = 1) {
  Spec spec = base_spec(days);
  spec.report.every = every;
  for (int s = 1; s < sites; ++s) {
    capplan::Site site = spec.sites.front();
    site.id = "s" + std::to_string(s + 1);
    spec.sites.push_back(site);
  }
  for (int t = 0; t < tranches; ++t) {
    spec.tranches.push_back(tranche(spec, "t" + std::to_string(t), 1, 30, "s" + std::to_string(t % sites + 1)));
  }
  return spec;
}

// The message of the SpecError build_model throws for `spec` ("" if none).
std::string refusal(const Spec& spec) {
  try {
    build_model(spec);
  } catch (const SpecError& e) {
    return e.what();
  }
  return "";
}

// Completion counters: (tranches + milestones) x (days + 1) x 8 bytes.
std::uint64_t completion_bytes(int tranches, int days) { return std::uint64_t(tranches) * (days + 1) * 8; }

TEST(ModelBudget, CompletionCountersJustUnderTheBudgetCompileAndJustOverAreRefused) {
  const int fit = static_cast<int>(capplan::kCompletionCounterBudgetBytes / ((kCentury + 1) * 8));  // 1,837
  ASSERT_LE(completion_bytes(fit, kCentury), capplan::kCompletionCounterBudgetBytes);
  ASSERT_GT(completion_bytes(fit + 1, kCentury), capplan::kCompletionCounterBudgetBytes);
  const CompiledModel model = build_model(spec_of(kCentury, fit, Report::Every::month));
  EXPECT_EQ(capplan::model_footprint(model).completion_counters, completion_bytes(fit, kCentury));

  const std::string message = refusal(spec_of(kCentury, fit + 1, Report::Every::month));
  EXPECT_NE(message.find("test.yaml: error: horizon: 1,838 tranches + 0 milestones x 36,526 days"), std::string::npos)
      << message;
  EXPECT_NE(message.find("of completion counters need 512.2 MiB, over the 512 MiB budget; shorten the horizon"),
            std::string::npos)
      << message;
}

TEST(ModelBudget, MilestonesCountAsCompletionCounters) {
  const int fit = static_cast<int>(capplan::kCompletionCounterBudgetBytes / ((kCentury + 1) * 8));
  Spec spec = spec_of(kCentury, fit, Report::Every::month);
  capplan::Milestone milestone;
  milestone.id = "m";
  milestone.metric = "installed_systems";
  milestone.at_least = 1;
  spec.milestones.push_back(milestone);
  EXPECT_NE(refusal(spec).find("1,837 tranches + 1 milestones"), std::string::npos) << refusal(spec);
}

// At the coarsest resolution this model's record row (8 metrics, counts of
// at most 1 rack) takes the continuous metrics' 4 x 1,216 bins and a few for
// the counts: a daily report of 100 years does not fit 1 GiB, one of 50 does.
TEST(ModelBudget, HistogramsOverTheBudgetAtTheCoarsestResolutionAreRefused) {
  const std::string message = refusal(spec_of(kCentury, 1, Report::Every::day));
  EXPECT_NE(message.find("report: the totals' 36,525 record rows x 8 metrics need 1.3 GiB of histograms even at the "
                         "coarsest resolution, over the 1 GiB budget; report less often"),
            std::string::npos)
      << message;
  const CompiledModel model = build_model(spec_of(kCentury / 2, 1, Report::Every::day));
  EXPECT_LE(capplan::model_footprint(model).total_histograms, capplan::kHistogramBudgetBytes);
}

TEST(ModelBudget, BreakdownHistogramsHaveTheirOwnBudget) {
  Spec spec = spec_of(3650, 40, Report::Every::day, 40);
  spec.report.by = {"site"};
  const std::string message = refusal(spec);
  EXPECT_NE(message.find("report.by: the breakdowns' 40 scopes x 3,650 record rows x 8 metrics need"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("break down by fewer scopes (report.by)"), std::string::npos) << message;
  spec.report.every = Report::Every::week;
  EXPECT_EQ(refusal(spec), "");
}

// 20,000 daily rows fit the totals' histograms and, for one site, the
// breakdowns'; but 2 x 20,000 record rows x 64 bytes x 256 trials exceed the
// smallest batch's record budget.
TEST(ModelBudget, TheSmallestBatchsRecordsHaveABudget) {
  Spec spec = spec_of(20000, 1, Report::Every::day);
  spec.report.by = {"site"};
  const std::string message = refusal(spec);
  EXPECT_NE(message.find("report: one trial's record (20,000 record rows x 2 scope blocks x 8 metrics) and completion "
                         "days take 2.4 MiB, so the smallest batch of 256 trials would need 625 MiB, over the 512 "
                         "MiB budget"),
            std::string::npos)
      << message;
  spec.report.by.clear();
  const CompiledModel model = build_model(spec);
  EXPECT_LE(capplan::model_footprint(model).trial_record * capplan::kMinBatchTrials, capplan::kBatchRecordBudgetBytes);
}

// The histogram bins the statistics allocate are those histogram_bins()
// computes at the resolution they chose; with a budget too small for any
// resolution (1 MiB for 200 daily rows) that is the coarsest, whose bytes the
// footprint states.
TEST(ModelBudget, FootprintMatchesTheStatistics) {
  const CompiledModel model = build_model(spec_of(200, 3, Report::Every::day));
  capplan::HistogramResolution tight;
  tight.memory_budget_bytes = std::size_t(1) << 20;
  const capplan::ForecastStatistics statistics(model, tight);
  EXPECT_EQ(statistics.resolution().count_bits, 6);
  EXPECT_EQ(statistics.resolution().continuous_bits, 6);
  EXPECT_EQ(statistics.counters().bins.size(), capplan::histogram_bins(model, 0, 1, statistics.resolution()));
  EXPECT_EQ(statistics.counters().bins.size() * sizeof(std::uint64_t),
            capplan::model_footprint(model).total_histograms);
  EXPECT_EQ(statistics.counters().completion.size() * sizeof(std::uint64_t),
            capplan::model_footprint(model).completion_counters);
}

// 1,800 fleets x 36,525 days of 4-byte counts: about 251 MiB of workspace per
// thread, so two threads fit the 512 MiB budget and three do not.
TEST(ModelBudget, ThreadsAreLimitedToWhatTheWorkspaceBudgetHolds) {
  const CompiledModel model = build_model(spec_of(kCentury, 1800, Report::Every::month, 1800));
  const std::size_t workspace = capplan::model_footprint(model).trial_workspace;
  ASSERT_GT(workspace, std::size_t(1800) * kCentury * 4);
  ASSERT_EQ(capplan::kWorkspaceBudgetBytes / workspace, 2u);
  EXPECT_EQ(capplan::cpu_threads_within_budget(model, 2), 2);
  EXPECT_LE(capplan::cpu_threads_within_budget(model, 0), 2);
  try {
    capplan::cpu_threads_within_budget(model, 3);
    FAIL() << "3 threads accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--threads 3: 3 threads x 251.3 MiB of working memory (one trial's workspace "
                                         "each) need 753.8 MiB, over the 512 MiB budget; use --threads 2 or fewer"),
              std::string::npos)
        << e.what();
  }
}

TEST(ModelBudget, DriverSampleOverTheBudgetIsRefused) {
  const CompiledModel model = build_model(spec_of(365, 3000, Report::Every::month));
  const std::uint64_t per_trial = (model.slots.size() + 3) * sizeof(double);
  const std::uint64_t fit = capplan::kDriverSampleBudgetBytes / per_trial;
  EXPECT_NO_THROW(capplan::check_driver_sample_budget(model, fit));
  try {
    capplan::check_driver_sample_budget(model, 10000);
    FAIL() << "10,000 trials accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--drivers-sample 10000: 10,000 trials x 15,003 sampled quantities need 1.1 "
                                         "GiB, over the 512 MiB budget; use --drivers-sample " +
                                         std::to_string(fit) + " or fewer"),
              std::string::npos)
        << e.what();
  }
}

TEST(ModelBudget, FormatsSizesForPeople) {
  EXPECT_EQ(capplan::format_bytes(512), "512 bytes");
  EXPECT_EQ(capplan::format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(capplan::format_bytes(std::uint64_t(512) << 20), "512 MiB");
  EXPECT_EQ(capplan::format_bytes(std::uint64_t(1) << 30), "1 GiB");
  EXPECT_EQ(capplan::format_bytes(std::uint64_t(1400) << 20), "1.4 GiB");
  EXPECT_EQ(capplan::grouped_count(0), "0");
  EXPECT_EQ(capplan::grouped_count(999), "999");
  EXPECT_EQ(capplan::grouped_count(36525), "36,525");
  EXPECT_EQ(capplan::grouped_count(1234567), "1,234,567");
}

// ---- through the binary: exit codes, messages, time and memory ------------------

struct Measured {
  int exit_code = -1;
  std::string output;
  long peak_kib = 0;  // the child's peak resident memory (getrusage)
};

// Runs the capplan binary with `args`, its output to `log`, and measures it.
Measured run_capplan(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> argv_text = {CAPPLAN_BINARY};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  Measured m;
  int status = 0;
  struct rusage usage {};
  ::wait4(pid, &status, 0, &usage);
  m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  m.peak_kib = usage.ru_maxrss;
  m.output = capplan::testing::read_file(log);
  return m;
}

// `tranches` tranches over the 100 years 2026-2125, reported monthly.
std::string century_spec_text(int tranches) {
  std::string text =
      "version: 1\nname: big\nhorizon: {start: 2026-01-01, end: 2125-12-31}\nreport: {every: month}\n"
      "simulation: {trials: 1}\naccelerators:\n  gpu: {dense_tflops: {bf16: 1000}}\n"
      "systems:\n  rack: {accelerator: gpu, accelerators: 72, power_kw: 100}\nsites:\n  s1: {}\ntranches:\n";
  for (int t = 0; t < tranches; ++t) {
    text += "  t" + std::to_string(t) + ": {system: rack, site: s1, units: 10, delivery: {planned: 2026-02-01}}\n";
  }
  return text;
}

class ModelBudgetBinary : public capplan::testing::ScratchDirTest {
 protected:
  std::string write_spec(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
};

// 2026-01-01 .. 2125-12-31 is 36,524 days: 1,837 tranches fit the completion
// counters' budget (512.0 MiB), 1,838 do not (512.2 MiB). Validating either takes a fraction of a
// second and little memory (nothing of the model's size is allocated); a run
// of the one over the budget is refused as quickly, before it allocates.
TEST_F(ModelBudgetBinary, ValidateAndRunRefuseAModelOverTheBudgetQuicklyAndWithoutItsMemory) {
  const std::string under = write_spec("under.yaml", century_spec_text(1837));
  const std::string over = write_spec("over.yaml", century_spec_text(1838));
  const std::string log = (dir_ / "log.txt").string();
  const Measured valid = run_capplan({"validate", under}, log);
  EXPECT_EQ(valid.exit_code, 0) << valid.output;
  const Measured refused = run_capplan({"validate", over}, log);
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("over.yaml: error: horizon: 1,838 tranches + 0 milestones x 36,525 days (the "
                                "horizon's 36,524 and 'after it') of completion counters need 512.2 MiB, over the 512 "
                                "MiB budget"),
            std::string::npos)
      << refused.output;
  const Measured run = run_capplan({"run", over, "--out", (dir_ / "out").string(), "--quiet"}, log);
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("of completion counters need 512.2 MiB"), std::string::npos) << run.output;
  EXPECT_FALSE(capplan::testing::fs::exists(dir_ / "out"));
  // The counters alone would take 512 MiB; these processes stay far below.
  for (const Measured* m : {&valid, &refused, &run}) EXPECT_LT(m->peak_kib, 200 * 1024) << m->output;
  std::printf("[ budget   ] peak memory: validate %ld KiB, refused validate %ld KiB, refused run %ld KiB\n",
              valid.peak_kib, refused.peak_kib, run.peak_kib);
}

TEST_F(ModelBudgetBinary, TooManyThreadsForTheWorkspaceExitTwo) {
  std::string text = century_spec_text(0);
  text.replace(text.find("sites:\n  s1: {}\n"), 16, "sites:\n");
  for (int s = 0; s < 1800; ++s) text.insert(text.find("tranches:\n"), "  s" + std::to_string(s) + ": {}\n");
  for (int t = 0; t < 1800; ++t) {
    text += "  t" + std::to_string(t) + ": {system: rack, site: s" + std::to_string(t) +
            ", units: 10, delivery: {planned: 2026-02-01}}\n";
  }
  const std::string spec = write_spec("fleets.yaml", text);
  const Measured m = run_capplan({"run", spec, "--out", (dir_ / "out").string(), "--threads", "3", "--quiet"},
                                 (dir_ / "log").string());
  EXPECT_EQ(m.exit_code, 2) << m.output;
  EXPECT_NE(m.output.find("--threads 3: 3 threads x 251.3 MiB of working memory"), std::string::npos) << m.output;
  EXPECT_LT(m.peak_kib, 200 * 1024);
}

}  // namespace
