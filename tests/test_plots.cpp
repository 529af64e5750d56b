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

#include <nlohmann/json.hpp>

#include "planner/base/date.h"
#include "planner/base/errors.h"
#include "planner/output/plot_breakdown_chart.h"
#include "planner/output/plot_csv.h"
#include "planner/output/plot_fan_chart.h"
#include "planner/output/plot_inputs.h"
#include "planner/output/plot_labels.h"
#include "planner/output/plot_script.h"
#include "planner/output/plots.h"

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kCharts = {"fan-available-accelerators", "fan-effective-pflops", "delivered-compute",
                                          "tranche-completion", "tornado"};

// What report.by [site, system, largest-site] and milestones add, for every spec.
const std::vector<std::string> kBreakdownCharts = {"milestones",
                                                   "by-site-available-accelerators",
                                                   "by-site-effective-pflops",
                                                   "by-site-delivered-compute",
                                                   "by-system-available-accelerators",
                                                   "by-system-effective-pflops",
                                                   "by-system-delivered-compute",
                                                   "fan-largest-site-available-accelerators",
                                                   "fan-largest-site-effective-pflops",
                                                   "fan-largest-site-delivered-compute"};

using capplan::testing::read_file;

// `names` and then `more`.
std::vector<std::string> joined(std::vector<std::string> names, const std::vector<std::string>& more) {
  names.insert(names.end(), more.begin(), more.end());
  return names;
}

// NAME.svg and NAME.png of each chart, sorted.
std::vector<std::string> chart_files(const std::vector<std::string>& names) {
  std::vector<std::string> files;
  for (const auto& name : names) {
    files.push_back(name + ".svg");
    files.push_back(name + ".png");
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> sorted(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  return names;
}

// The cell in `column` of the row of the CSV text `csv` that starts with `row_start`; "" if there is none.
std::string cell(const std::string& csv, const std::string& row_start, const std::string& column) {
  std::stringstream lines(csv);
  std::string header, line, field;
  std::getline(lines, header);
  std::stringstream names(header);
  std::size_t index = 0;
  while (std::getline(names, field, ',') && field != column) ++index;
  while (std::getline(lines, line)) {
    if (line.rfind(row_start, 0) != 0) continue;
    std::stringstream fields(line);
    for (std::size_t i = 0; std::getline(fields, field, ','); ++i) {
      if (i == index) return field;
    }
  }
  return "";
}

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
  const std::vector<std::string> charts =
      joined(joined(kCharts, kBreakdownCharts), {"fan-system-gb300-nvl72-available-accelerators"});
  const std::vector<std::string> written = capplan::write_plots(out.string());
  EXPECT_EQ(sorted(written), chart_files(charts));
  expect_charts(out, charts);
  expect_no_leftovers(out);

  // Titles carry the scenario name; targets are labelled with their probability, on their scope's chart only;
  // inputs label the tornado.
  const std::string fan = read_file(out / "fan-available-accelerators.svg");
  EXPECT_NE(fan.find("openai-aws-2026"), std::string::npos);
  EXPECT_NE(fan.find("eoy-100k-available: P = "), std::string::npos);
  EXPECT_EQ(fan.find("eoy-gb300-available"), std::string::npos) << "a system's target on the total's chart";
  const std::string gb300 = read_file(out / "fan-system-gb300-nvl72-available-accelerators.svg");
  EXPECT_NE(gb300.find("eoy-gb300-available: P = "), std::string::npos);
  EXPECT_EQ(gb300.find("eoy-100k-available"), std::string::npos) << "a total's target on a system's chart";
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
  for (const auto& name : charts) {
    EXPECT_NE(summary.find("](" + name + ".png)"), std::string::npos) << name << " is not linked";
  }
}

TEST_F(Plots, BreakdownsMilestonesAndScopedTargetsHaveTheirCharts) {
  REQUIRE_GNUPLOT();
  const fs::path out = run("tests/specs/every-feature.yaml", 2000);
  const std::vector<std::string> charts = joined(
      joined(kCharts, kBreakdownCharts), {"fan-site-site-b-facility-power", "fan-system-trn2-ultra-delivered-compute"});
  const std::vector<std::string> written = capplan::write_plots(out.string());
  EXPECT_EQ(sorted(written), chart_files(charts));
  expect_charts(out, charts);
  expect_no_leftovers(out);

  // A scoped target is marked, with its probability, on its scope's fan chart and not on the total's.
  const std::string targets = read_file(out / "targets.csv");
  const std::string site_b = read_file(out / "fan-site-site-b-facility-power.svg");
  EXPECT_NE(site_b.find("site-b-power: P = " +
                        capplan::plots::percent(std::stod(cell(targets, "site-b-power,", "probability")))),
            std::string::npos);
  const std::string trn2 = read_file(out / "fan-system-trn2-ultra-delivered-compute.svg");
  const std::string total = read_file(out / "delivered-compute.svg");
  EXPECT_NE(trn2.find("trn2-compute: P = "), std::string::npos);
  EXPECT_EQ(trn2.find("mid-flop"), std::string::npos);
  EXPECT_NE(total.find("mid-flop: P = "), std::string::npos);
  EXPECT_EQ(total.find("trn2-compute"), std::string::npos);
  EXPECT_NE(read_file(out / "fan-largest-site-effective-pflops.svg").find("effective compute, largest site"),
            std::string::npos);

  // Each milestone's S-curve is titled with its probability of being reached within the horizon.
  const std::string milestones = read_file(out / "milestones.csv");
  const std::string s_curves = read_file(out / "milestones.svg");
  for (const char* name : {"first-10k", "trn2-online", "largest-5-eflops", "site-a-power"}) {
    const double p = std::stod(cell(milestones, std::string(name) + ",", "probability_reached"));
    EXPECT_NE(s_curves.find(std::string(name) + ": " + capplan::plots::percent(p) + " by 2026-12-31"),
              std::string::npos)
        << name;
  }
}

// summary.md's milestone, breakdown and target rows, cell by cell from the tables (every-feature.yaml's
// quantiles are P5, P50, P95; its last report date is 2026-12-31).
TEST_F(Plots, SummaryShowsMilestonesBreakdownsAndScopesAsTheTablesSay) {
  REQUIRE_GNUPLOT();
  using capplan::plots::metric_value;
  using capplan::plots::percent;
  const fs::path out = run("tests/specs/every-feature.yaml", 2000);
  capplan::write_plots(out.string());
  const std::string summary = capplan::summary_markdown(out.string());
  for (const char* section :
       {"## Targets", "## Milestones", "## Forecast by report date", "## Breakdown", "## Tranches", "## Top drivers"}) {
    EXPECT_NE(summary.find(std::string("\n") + section + "\n"), std::string::npos) << section;
  }

  const std::string targets = read_file(out / "targets.csv");
  EXPECT_NE(summary.find("| Target | Scope | Goal |"), std::string::npos);
  EXPECT_NE(summary.find("| `site-b-power` | `site:site-b` | facility power (MW) ≥ 5 on 2026-12-31 | **" +
                         percent(std::stod(cell(targets, "site-b-power,", "probability"))) + "** |"),
            std::string::npos);

  const std::string milestones = read_file(out / "milestones.csv");
  auto date = [&](const std::string& row, const char* column) {
    const std::string text = cell(milestones, row, column);
    return text == "after-horizon" ? std::string("after horizon") : text;
  };
  for (const char* name : {"first-10k", "trn2-online", "largest-5-eflops", "site-a-power"}) {
    const std::string row = std::string(name) + ",";
    const std::string metric = cell(milestones, row, "metric");
    const std::string expected = "| `" + std::string(name) + "` | " + capplan::plots::metric_words(metric) + " | `" +
                                 cell(milestones, row, "scope") + "` | " +
                                 metric_value(metric, std::stod(cell(milestones, row, "threshold"))) + " | **" +
                                 percent(std::stod(cell(milestones, row, "probability_reached"))) + "** | " +
                                 percent(std::stod(cell(milestones, row, "probability_ci_lo"))) + " – " +
                                 percent(std::stod(cell(milestones, row, "probability_ci_hi"))) + " | " +
                                 date(row, "p5") + " | " + date(row, "p50") + " | " + date(row, "p95") + " |\n";
    EXPECT_NE(summary.find(expected), std::string::npos) << expected;
  }

  const std::string by = read_file(out / "forecast_by.csv"), forecast = read_file(out / "forecast.csv");
  auto medians = [](const std::string& table, const std::string& row_start) {
    std::string cells;
    for (const char* metric : {"available_accelerators", "effective_pflops", "delivered_flop_e24"}) {
      cells += " " + metric_value(metric, std::stod(cell(table, row_start + metric + ",", "p50"))) + " |";
    }
    return cells;
  };
  for (const char* scope : {"site:site-a", "site:site-b", "system:gb200-nvl72", "system:trn2-ultra", "largest-site"}) {
    const std::string expected =
        "| `" + std::string(scope) + "` |" + medians(by, "2026-12-31," + std::string(scope) + ",");
    EXPECT_NE(summary.find(expected + "\n"), std::string::npos) << expected;
  }
  EXPECT_NE(summary.find("| **total** |" + medians(forecast, "2026-12-31,") + "\n"), std::string::npos);
  for (const char* name : {"milestones", "by-site-available-accelerators", "by-system-delivered-compute",
                           "fan-largest-site-effective-pflops", "fan-site-site-b-facility-power"}) {
    EXPECT_NE(summary.find("](" + std::string(name) + ".png)"), std::string::npos) << name << " is not linked";
  }
}

// The stacked areas' data holds forecast_by.csv's medians: hand-checked cells of a real run.
TEST_F(Plots, StackedAreasHoldTheMediansOfForecastBy) {
  using namespace capplan::plots;
  const fs::path out = run("tests/specs/every-feature.yaml", 2000);
  const std::string by_text = read_file(out / "forecast_by.csv"), forecast_text = read_file(out / "forecast.csv");
  const CsvTable by("forecast_by.csv", by_text);
  const QuantileColumns q = quantile_columns(by);
  const Breakdown sites = breakdown_of(by, q, "site", "available_accelerators");
  EXPECT_EQ(sites.scopes, (std::vector<std::string>{"site:site-a", "site:site-b"}));
  EXPECT_EQ(sites.statistic, "p50");
  const std::vector<double> total = {0, 0, std::stod(cell(forecast_text, "2026-12-31,available_accelerators,", "p50"))};
  // Accelerator counts are whole numbers: the data holds the table's own text.
  const std::string line = "2026-12-31 " + cell(by_text, "2026-12-31,site:site-a,available_accelerators,", "p50") +
                           " " + cell(by_text, "2026-12-31,site:site-b,available_accelerators,", "p50") + " " +
                           cell(forecast_text, "2026-12-31,available_accelerators,", "p50") + "\n";
  EXPECT_NE(stacked_area_data(sites, total, Scale{}).find(line), std::string::npos) << line;

  const Breakdown systems = breakdown_of(by, q, "system", "effective_pflops");
  ASSERT_EQ(systems.scopes, (std::vector<std::string>{"system:gb200-nvl72", "system:trn2-ultra"}));
  EXPECT_EQ(systems.dates.back(), capplan::days_from_civil({2026, 12, 31}));
  EXPECT_EQ(systems.values[1].back(),
            std::stod(cell(by_text, "2026-12-31,system:trn2-ultra,effective_pflops,", "p50")));
}

// Without report.by and milestones a run gets the same charts and summary.md as before either existed:
// tests/golden/summary-minimal.md is the summary.md capplan 2103148 wrote for configs/minimal.yaml at 2,000
// trials (regenerate: capplan run configs/minimal.yaml --trials 2000 --backend cpu --out D, set tool_version
// to 0.0.0-test and git_revision to "" in D/run.json, capplan plot D).
TEST_F(Plots, WithoutBreakdownsOrMilestonesTheChartsAndSummaryAreAsBefore) {
  REQUIRE_GNUPLOT();
  const fs::path out = run("configs/minimal.yaml", 2000);
  auto record = nlohmann::json::parse(read_file(out / "run.json"));
  record["tool_version"] = "0.0.0-test";
  record["git_revision"] = "";
  std::ofstream(out / "run.json") << record.dump();
  EXPECT_EQ(sorted(capplan::write_plots(out.string())), chart_files(kCharts));
  EXPECT_EQ(capplan::summary_markdown(out.string()), read_file(source("tests/golden/summary-minimal.md")));
}

TEST_F(Plots, RunWithPlotsTwiceIntoOneFolderReplacesTheSet) {
  REQUIRE_GNUPLOT();
  const fs::path out = dir_ / "twice";
  for (int i = 0; i < 2; ++i) {
    std::string output;
    EXPECT_EQ(capplan("run " + source("tests/specs/every-feature.yaml") +
                          " --trials 500 --backend cpu --quiet --plots --out " + out.string(),
                      output),
              0)
        << output;
  }
  expect_charts(out, joined(kBreakdownCharts, {"fan-site-site-b-facility-power"}));
  EXPECT_TRUE(fs::exists(out / "summary.md"));
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

// Two sites out of spec name order, two report dates: the stacked data keeps the table's scope order and scales
// by the divisor; without p50 the mean is stacked.
TEST(PlotBreakdown, StackedDataChartNamesAndScopeFanCharts) {
  using namespace capplan::plots;
  const std::string rows =
      "2026-01-31,site:b,available_accelerators,1,0,2000,3\n"
      "2026-01-31,site:a,available_accelerators,1,0,500,3\n"
      "2026-01-31,largest-site,available_accelerators,1,0,2000,3\n"
      "2026-02-28,site:b,available_accelerators,7,0,4000,9\n"
      "2026-02-28,site:a,available_accelerators,5,0,1500,9\n"
      "2026-02-28,largest-site,available_accelerators,7,0,4000,9\n";
  const CsvTable by("forecast_by.csv", "date,scope,metric,mean,p10,p50,p90\n" + rows);
  const Breakdown b = breakdown_of(by, quantile_columns(by), "site", "available_accelerators");
  EXPECT_EQ(stacked_area_data(b, {2600, 5200}, Scale{1000, ""}),
            "# date site:b site:a total (p50)\n2026-01-31 2 0.5 2.6\n2026-02-28 4 1.5 5.2\n");
  EXPECT_THROW(breakdown_of(by, quantile_columns(by), "system", "available_accelerators"), capplan::UsageError);

  const CsvTable no_median("forecast_by.csv", "date,scope,metric,mean,p10,p50x,p90\n" + rows);
  const Breakdown means = breakdown_of(no_median, quantile_columns(no_median), "site", "available_accelerators");
  EXPECT_EQ(means.statistic, "mean");
  EXPECT_EQ(means.values, (std::vector<std::vector<double>>{{1, 7}, {1, 5}}));

  const std::vector<std::string> scopes = scopes_of(by);
  EXPECT_EQ(scopes, (std::vector<std::string>{"site:b", "site:a", "largest-site"}));
  std::vector<std::string> names;
  for (const auto& chart : breakdown_charts(scopes)) names.push_back(chart.file);
  EXPECT_EQ(names, (std::vector<std::string>{"by-site-available-accelerators", "by-site-effective-pflops",
                                             "by-site-delivered-compute"}));
  // Scoped targets get their scope's chart where forecast_by.csv has the scope; the total's stay off them.
  std::vector<TargetRow> targets(4);
  targets[0] = {"a-power", "facility_power_mw", "site:a"};
  targets[1] = {"big", "available_accelerators", "largest-site"};
  targets[2] = {"elsewhere", "online_systems", "system:x"};
  targets[3] = {"total", "peak_pflops", "total"};
  names.clear();
  for (const auto& chart : scope_fan_charts(scopes, targets)) names.push_back(chart.file + " | " + chart.title);
  EXPECT_EQ(names,
            (std::vector<std::string>{"fan-largest-site-available-accelerators | available accelerators, largest site",
                                      "fan-largest-site-effective-pflops | effective compute, largest site",
                                      "fan-largest-site-delivered-compute | cumulative delivered compute, largest site",
                                      "fan-site-a-facility-power | facility power, site a"}));
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
