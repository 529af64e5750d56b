// Charts and summary.md drawn from a real output folder (planner/output/plots.h).
#include <gtest/gtest.h>

#include "tests/test_support.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "planner/base/date.h"
#include "planner/base/errors.h"
#include "planner/output/plot_csv.h"
#include "planner/output/plot_inputs.h"
#include "planner/output/plot_labels.h"
#include "planner/output/plot_script.h"
#include "planner/output/plots.h"

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kCharts = {"fan-available-accelerators", "fan-effective-pflops", "delivered-compute",
                                          "tranche-completion", "tornado"};

using capplan::testing::read_file;

std::string source(const std::string& relative) { return capplan::testing::source_path(relative); }

// Runs `capplan <arguments>` (paths in it need no quoting); returns the exit code, output in `output`.
int capplan(const std::string& arguments, std::string& output) {
  const capplan::testing::Outcome outcome = capplan::testing::shell(std::string(CAPPLAN_BINARY) + " " + arguments);
  output += outcome.output;
  return outcome.exit_code;
}

bool gnuplot_installed() {
  if (const char* override_path = std::getenv("CAPPLAN_GNUPLOT"); override_path && *override_path) {
    return ::access(override_path, X_OK) == 0;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/gnuplot";
    struct stat info {};
    if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

#define REQUIRE_GNUPLOT()                                                                        \
  do {                                                                                           \
    if (!gnuplot_installed()) {                                                                  \
      GTEST_SKIP() << "gnuplot is not installed: chart tests skipped (install gnuplot-nox, see " \
                      "tools/install-deps.sh)";                                                  \
    }                                                                                            \
  } while (0)

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_.empty()) {
      ::unsetenv(name_.c_str());
    } else {
      ::setenv(name_.c_str(), old_.c_str(), 1);
    }
  }

 private:
  std::string name_, old_;
};

class Plots : public capplan::testing::ScratchDirTest {
 protected:
  // A `capplan run` output folder for `config`.
  fs::path run(const std::string& config, int trials) {
    const fs::path out = dir_ / fs::path(config).stem();
    std::string output;
    const int code = capplan("run " + source(config) + " --trials " + std::to_string(trials) +
                                 " --backend cpu --quiet --out " + out.string(),
                             output);
    EXPECT_EQ(code, 0) << output;
    return out;
  }

  // Every chart of `names` is there, as a real SVG and a real PNG of some size.
  static void expect_charts(const fs::path& out, const std::vector<std::string>& names) {
    for (const auto& name : names) {
      const std::string svg = read_file(out / (name + ".svg"));
      const std::string png = read_file(out / (name + ".png"));
      EXPECT_GT(svg.size(), 5000u) << name << ".svg";
      EXPECT_GT(png.size(), 10000u) << name << ".png";
      EXPECT_TRUE(svg.rfind("<?xml", 0) == 0 || svg.rfind("<svg", 0) == 0)
          << name << ".svg starts " << svg.substr(0, 40);
      EXPECT_NE(svg.find("</svg>"), std::string::npos) << name << ".svg is not closed";
      EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << name << ".png has no PNG signature";
      // 1200 x 700: width and height are the first fields of the IHDR chunk.
      ASSERT_GE(png.size(), 24u);
      auto be32 = [&](std::size_t at) {
        return (static_cast<unsigned>(static_cast<unsigned char>(png[at])) << 24) |
               (static_cast<unsigned>(static_cast<unsigned char>(png[at + 1])) << 16) |
               (static_cast<unsigned>(static_cast<unsigned char>(png[at + 2])) << 8) |
               static_cast<unsigned>(static_cast<unsigned char>(png[at + 3]));
      };
      EXPECT_EQ(be32(16), 1200u) << name << ".png width";
      EXPECT_EQ(be32(20), 700u) << name << ".png height";
    }
  }

  static void expect_no_leftovers(const fs::path& out) {
    for (const auto& entry : fs::directory_iterator(out)) {
      EXPECT_EQ(entry.path().filename().string().rfind(".capplan-plots-", 0), std::string::npos)
          << "temporary folder left behind: " << entry.path();
    }
  }
};

TEST_F(Plots, MinimalConfigGivesEveryChartAndASummary) {
  REQUIRE_GNUPLOT();
  const fs::path out = run("configs/minimal.yaml", 2000);
  const std::vector<std::string> written = capplan::write_plots(out.string());
  std::vector<std::string> expected;
  for (const auto& name : kCharts) {
    // The tornado needs drivers: sensitivity.csv with at least one row.
    const std::string sensitivity = read_file(out / "sensitivity.csv");
    if (name == "tornado" && std::count(sensitivity.begin(), sensitivity.end(), '\n') < 2) continue;
    expected.push_back(name);
    EXPECT_NE(std::find(written.begin(), written.end(), name + ".png"), written.end()) << name;
    EXPECT_NE(std::find(written.begin(), written.end(), name + ".svg"), written.end()) << name;
  }
  expect_charts(out, expected);
  expect_no_leftovers(out);

  const std::string summary = capplan::summary_markdown(out.string());
  EXPECT_EQ(summary.rfind("# ", 0), 0u) << summary.substr(0, 80);
  EXPECT_NE(summary.find("minimal"), std::string::npos);
  EXPECT_NE(summary.find("half-by-mid-march"), std::string::npos);
  EXPECT_NE(summary.find("2,000 trials"), std::string::npos);
  EXPECT_NE(summary.find("| Date |"), std::string::npos);
  EXPECT_NE(summary.find("`t1`"), std::string::npos);
  for (const auto& name : expected) {
    EXPECT_NE(summary.find("](" + name + ".png)"), std::string::npos) << name << " is not linked";
  }
}

TEST_F(Plots, ReferenceScenarioGivesEveryChartWithTargetsAndDrivers) {
  REQUIRE_GNUPLOT();
  const fs::path out = run("configs/openai-aws-2026.yaml", 3000);
  ASSERT_TRUE(fs::exists(out / "sensitivity.csv"));
  ASSERT_TRUE(fs::exists(out / "completion_cdf.csv"));
  const std::vector<std::string> written = capplan::write_plots(out.string());
  EXPECT_EQ(written.size(), 2 * kCharts.size());
  expect_charts(out, kCharts);
  expect_no_leftovers(out);

  // Titles carry the scenario name; targets are labelled with their probability; inputs label the tornado.
  const std::string fan = read_file(out / "fan-available-accelerators.svg");
  EXPECT_NE(fan.find("openai-aws-2026"), std::string::npos);
  EXPECT_NE(fan.find("eoy-100k-available: P = "), std::string::npos);
  const std::string tornado = read_file(out / "tornado.svg");
  EXPECT_NE(tornado.find("tranche:"), std::string::npos);

  const std::string summary = capplan::summary_markdown(out.string());
  for (const char* target :
       {"eoy-accelerators", "eoy-100k-available", "eoy-all-delivered", "mid-year-compute", "eoy-delivered-compute"}) {
    EXPECT_NE(summary.find(std::string("`") + target + "`"), std::string::npos) << target;
  }
  for (const char* tranche : {"gb200-t1", "gb300-t5", "trn3-option"}) {
    EXPECT_NE(summary.find(std::string("`") + tranche + "`"), std::string::npos) << tranche;
  }
  EXPECT_NE(summary.find("## Top drivers"), std::string::npos);
  EXPECT_NE(summary.find("| 10 |"), std::string::npos) << "ten drivers";
  EXPECT_EQ(summary.find("| 11 |"), std::string::npos) << "at most ten drivers";
  for (const auto& name : kCharts) {
    EXPECT_NE(summary.find("](" + name + ".png)"), std::string::npos) << name << " is not linked";
  }
}

TEST_F(Plots, WithoutSensitivityTheTornadoIsSkipped) {
  REQUIRE_GNUPLOT();
  const fs::path out = run("configs/minimal.yaml", 1000);
  fs::remove(out / "sensitivity.csv");
  const std::vector<std::string> written = capplan::write_plots(out.string());
  EXPECT_EQ(written.size(), 2 * (kCharts.size() - 1));
  EXPECT_FALSE(fs::exists(out / "tornado.png"));
  expect_charts(out, {"fan-available-accelerators", "tranche-completion"});
  const std::string summary = capplan::summary_markdown(out.string());
  EXPECT_EQ(summary.find("tornado.png"), std::string::npos);
  EXPECT_NE(summary.find("sensitivity.csv is absent"), std::string::npos);
}

TEST_F(Plots, OddFolderNamesAreNotInterpreted) {
  REQUIRE_GNUPLOT();
  const fs::path out = run("configs/minimal.yaml", 1000);
  const fs::path odd = dir_ / "it's a \"test\" $(touch pwned); `touch pwned2` 'x'";
  fs::rename(out, odd);
  capplan::write_plots(odd.string());
  expect_charts(odd, {"fan-available-accelerators"});
  EXPECT_FALSE(fs::exists("pwned"));
  EXPECT_FALSE(fs::exists(odd / "pwned"));
  EXPECT_FALSE(fs::exists(dir_ / "pwned"));
}

TEST_F(Plots, MissingFolderOrTableIsAUsageError) {
  const fs::path missing = dir_ / "no-such-folder";
  EXPECT_THROW(capplan::write_plots(missing.string()), capplan::UsageError);
  EXPECT_THROW(capplan::summary_markdown(missing.string()), capplan::UsageError);
  try {
    capplan::write_plots(missing.string());
  } catch (const capplan::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-folder"), std::string::npos) << e.what();
  }

  const fs::path out = run("configs/minimal.yaml", 500);
  fs::remove(out / "forecast.csv");
  try {
    capplan::write_plots(out.string());
    ADD_FAILURE() << "no error for a folder without forecast.csv";
  } catch (const capplan::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("forecast.csv"), std::string::npos) << e.what();
  }
  EXPECT_THROW(capplan::summary_markdown(out.string()), capplan::UsageError);
}

TEST_F(Plots, MissingGnuplotSaysWhatToInstall) {
  const fs::path out = run("configs/minimal.yaml", 500);
  const ScopedEnv env("CAPPLAN_GNUPLOT", (dir_ / "no-gnuplot-here").c_str());
  try {
    capplan::write_plots(out.string());
    ADD_FAILURE() << "no error without gnuplot";
  } catch (const capplan::RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("gnuplot-nox"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out / "fan-available-accelerators.png"));
}

TEST_F(Plots, FailingGnuplotIsARuntimeFailureWithItsOutput) {
  const fs::path out = run("configs/minimal.yaml", 500);
  const fs::path fake = dir_ / "fake-gnuplot";
  {
    std::ofstream script(fake);
    script << "#!/bin/sh\necho 'line 3: something went wrong' >&2\nexit 1\n";
  }
  fs::permissions(fake, fs::perms::owner_all);
  const ScopedEnv env("CAPPLAN_GNUPLOT", fake.c_str());
  try {
    capplan::write_plots(out.string());
    ADD_FAILURE() << "no error from a failing gnuplot";
  } catch (const capplan::RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("something went wrong"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out / "fan-available-accelerators.png"));
  expect_no_leftovers(out);
}

// ---- the units behind them, without gnuplot ---------------------------------

TEST(PlotCsv, QuotedFieldsBlankLinesAndCrlfAreRead) {
  const capplan::plots::CsvTable t("dir/x.csv", "a,b\r\n\"1,5\",\"say \"\"hi\"\"\"\r\n\n2,\n");
  ASSERT_EQ(t.header(), (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(t.rows().size(), 2u);
  EXPECT_EQ(t.rows()[0][0], "1,5");
  EXPECT_EQ(t.rows()[0][1], "say \"hi\"");
  EXPECT_EQ(t.rows()[1][1], "");
  EXPECT_EQ(t.file(), "x.csv");
  EXPECT_EQ(t.column("b"), 1u);
  EXPECT_TRUE(t.has("a"));
  EXPECT_FALSE(t.has("c"));
}

TEST(PlotCsv, ErrorsNameTheFileLineAndColumn) {
  auto message = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const capplan::UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no UsageError");
  };
  EXPECT_EQ(message([] { capplan::plots::CsvTable("d/e.csv", ""); }), "d/e.csv is empty (expected a header line)");
  EXPECT_EQ(message([] { capplan::plots::CsvTable("d/r.csv", "a,b\n1,2\n3\n"); }),
            "d/r.csv line 3: 1 fields, the header has 2");
  const capplan::plots::CsvTable t("d/t.csv", "date,v\n2026-02-30,1e999\n");
  EXPECT_EQ(message([&] { t.number(0, 1); }), "t.csv line 2: '1e999' in column v is not a number");
  EXPECT_EQ(message([&] { t.date(0, 0); }), "t.csv line 2: '2026-02-30' in column date is not a date (YYYY-MM-DD)");
  EXPECT_EQ(message([&] { t.column("w"); }), "t.csv: missing column 'w'");
}

TEST(PlotInputs, QuantileColumnsAreTheOutermostAndP50) {
  const capplan::plots::CsvTable t("f.csv", "date,metric,mean,p5,p50,p97.5,p10,p5_lo\n");
  const capplan::plots::QuantileColumns q = capplan::plots::quantile_columns(t);
  EXPECT_EQ(q.low, "p5");
  EXPECT_EQ(q.mid, "p50");
  EXPECT_EQ(q.high, "p97.5");
  EXPECT_EQ(q.low_label(), "P5");
  EXPECT_DOUBLE_EQ(q.coverage(), 92.5);
  EXPECT_THROW(capplan::plots::quantile_columns(capplan::plots::CsvTable("f.csv", "date,mean\n")), capplan::UsageError);
}

// Expected strings follow the formats' rules by hand: groups of three digits, percents with 1 decimal
// (2 near 100%, 2 significant digits near 0%).
TEST(PlotLabels, NumbersReadAsPeopleWriteThem) {
  using capplan::plots::grouped;
  using capplan::plots::metric_value;
  using capplan::plots::percent;
  EXPECT_EQ(grouped(1234567.8), "1,234,568");
  EXPECT_EQ(grouped(1234567.8, 1), "1,234,567.8");
  EXPECT_EQ(grouped(-0.2), "0");
  EXPECT_EQ(grouped(-1000), "-1,000");
  EXPECT_EQ(percent(0.0), "0%");
  EXPECT_EQ(percent(0.00042), "0.042%");
  EXPECT_EQ(percent(0.1234), "12.3%");
  EXPECT_EQ(percent(0.9995), "99.95%");
  EXPECT_EQ(percent(1.0), "100%");
  EXPECT_EQ(metric_value("available_accelerators", 100000), "100,000");
  EXPECT_EQ(metric_value("delivered_flop_e24", 1234.56), "1,234.6");
  EXPECT_EQ(metric_value("effective_pflops", 1234.56), "1,235");
  EXPECT_EQ(metric_value("effective_pflops", 12.345), "12.35");
  EXPECT_EQ(metric_value("effective_pflops", 0.012345), "0.012");
  EXPECT_EQ(capplan::plots::metric_words("peak_pflops"), "peak PFLOPS");
  EXPECT_EQ(capplan::plots::metric_words("other"), "other");
}

TEST(PlotScript, QuotingScalesAndDateAxis) {
  EXPECT_EQ(capplan::plots::gp("it's\n$(x)"), "'it''s$(x)'");
  EXPECT_EQ(capplan::plots::num(1.0 / 3.0), "0.3333333333");
  const capplan::plots::Scale millions = capplan::plots::scale_for(2e7, "Available accelerators", "GPUs/chips");
  EXPECT_EQ(millions.divisor, 1e6);
  EXPECT_EQ(millions.axis, "Available accelerators (millions of GPUs/chips)");
  EXPECT_EQ(capplan::plots::scale_for(9999, "Power", "").axis, "Power");
  // 2026-01-01 to 2026-04-15: monthly ticks, the year on the first.
  const std::string axis =
      capplan::plots::date_axis(capplan::days_from_civil({2026, 1, 1}), capplan::days_from_civil({2026, 4, 15}));
  EXPECT_NE(axis.find("set xtics (\"Jan\\n2026\" '2026-01-01', \"Feb\" '2026-02-01'"), std::string::npos) << axis;
}

}  // namespace
