// capplan history: the YAML diff of two specs, history rows (deltas, the
// significance rule, changes, filters) over scripted ledger runs, the four
// formats, --runs, --plot, the refusals, and that reading leaves the ledger
// byte for byte as it was.
#include <gtest/gtest.h>

#include "tests/test_failure.h"
#include "tests/test_support.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "planner/analysis/regression.h"
#include "planner/app/commands.h"
#include "planner/base/errors.h"
#include "planner/base/failure.h"
#include "planner/ledger/history.h"
#include "planner/ledger/history_plot.h"
#include "planner/ledger/ledger.h"
#include "planner/output/output_files.h"
#include "planner/spec/spec_diff.h"

namespace capplan {
namespace {

namespace fs = std::filesystem;
using testing::capplan;
using testing::failure_of;
using testing::Outcome;
using testing::read_file;

// ---- spec_diff ---------------------------------------------------------------------

std::string changes(const std::string& a, const std::string& b) { return describe_changes(spec_diff(a, b)); }

TEST(SpecDiff, IdenticalSpecsHaveNoChanges) {
  EXPECT_TRUE(spec_diff("a: 1\nb: {c: [1, 2]}\n", "a: 1\nb:\n  c: [1, 2]\n").empty());
}

TEST(SpecDiff, ScalarsInMapsArePathsAsSetSpellsThem) {
  EXPECT_EQ(changes("tranches: {t1: {units: 100, site: a}}\n", "tranches: {t1: {units: 60, site: a}}\n"),
            "tranches.t1.units: 100 -> 60");
  const auto list = spec_diff("a: 1\nb: 2\nc: 3\n", "a: 9\nb: 2\nc: 8\n");
  ASSERT_EQ(list.size(), 2u);  // document order
  EXPECT_EQ(list[0].path, "a");
  EXPECT_EQ(list[1].path, "c");
  EXPECT_EQ(list[1].old_value, "3");
  EXPECT_EQ(list[1].new_value, "8");
}

TEST(SpecDiff, AddedAndRemovedKeysAreAbsentOnOneSide) {
  EXPECT_EQ(changes("a: 1\nb: 2\n", "a: 1\n"), "b: 2 -> (absent)");
  EXPECT_EQ(changes("a: 1\n", "a: 1\nc: 4\n"), "c: (absent) -> 4");
  // A whole map added is reported where it was added, in flow form.
  EXPECT_EQ(changes("name: x\n", "name: x\nsimulation:\n  seed: 7\n"), "simulation: (absent) -> {seed: 7}");
}

TEST(SpecDiff, SequencesOfMapsAreComparedItemByItem) {
  const std::string a = "s: {power_mw: [{planned: 2026-01-01, add: 80}, {planned: 2026-03-01, add: 120}]}\n";
  EXPECT_EQ(changes(a, "s: {power_mw: [{planned: 2026-01-01, add: 80}, {planned: 2026-03-01, add: 100}]}\n"),
            "s.power_mw[1].add: 120 -> 100");
  EXPECT_EQ(changes(a, "s: {power_mw: [{planned: 2026-01-01, add: 80}]}\n"),
            "s.power_mw[1]: {planned: 2026-03-01, add: 120} -> (absent)");
}

TEST(SpecDiff, SequencesOfScalarsAreOneValue) {
  EXPECT_EQ(changes("r: {applies_to: [a, b]}\n", "r: {applies_to: [a, c]}\n"), "r.applies_to: [a, b] -> [a, c]");
  EXPECT_EQ(changes("d: {triangular: [0, 14, 42]}\n", "d: {triangular: [0, 14, 60]}\n"),
            "d.triangular: [0, 14, 42] -> [0, 14, 60]");
}

TEST(SpecDiff, ANodeThatChangesKindIsReportedWhole) {
  EXPECT_EQ(changes("slip_days: 0\n", "slip_days: {triangular: [0, 7, 30]}\n"),
            "slip_days: 0 -> {triangular: [0, 7, 30]}");
  EXPECT_EQ(changes("after: [t1]\n", "after: t1\n"), "after: [t1] -> t1");
}

TEST(SpecDiff, ValuesThatWouldReadAsSeparatorsAreQuoted) {
  EXPECT_EQ(changes("d: a\n", "d: a;b\n"), "d: a -> \"a;b\"");
  EXPECT_EQ(changes("d: a\n", "d: x -> y\n"), "d: a -> \"x -> y\"");
  EXPECT_EQ(changes("d: a\n", "d: (absent)\n"), "d: a -> \"(absent)\"");
  EXPECT_EQ(changes("d: a\n", "d: 'say \"hi\"; bye'\n"), "d: a -> \"say \\\"hi\\\"; bye\"");
  EXPECT_EQ(changes("d: a\n", "d: {k: 'x;y'}\n"), "d: a -> \"{k: x;y}\"");
}

TEST(SpecDiff, TextThatIsNotOneYamlDocumentIsASpecError) {
  EXPECT_THROW(spec_diff("a: [1, 2\n", "a: 1\n"), SpecError);
  EXPECT_THROW(spec_diff("a: 1\n", "a: 1\n---\nb: 2\n"), SpecError);
}

// ---- history rows over made-up runs ---------------------------------------------------

TargetResult target(const std::string& id, std::uint64_t hits, std::uint64_t trials) {
  TargetResult t;
  t.target = id;
  t.metric = "available_accelerators";
  t.scope = "total";
  t.date = "2026-06-30";
  t.hits = hits;
  t.probability = static_cast<double>(hits) / static_cast<double>(trials);
  t.ci_lo = t.probability - 0.01;
  t.ci_hi = t.probability + 0.01;
  return t;
}

LedgerRun made_up_run(std::int64_t id, const std::string& spec, const std::string& day, const std::string& text,
                      std::vector<std::pair<std::string, std::uint64_t>> hits, const std::string& command = "run") {
  LedgerRun run;
  run.run_id = run.group_id = id;
  run.started_utc = day + "T02:00:00Z";
  run.command = command;
  run.spec_name = spec;
  run.spec_text = text;
  run.spec_sha256 = sha256_hex(text);
  run.trials = 10000;
  run.git_revision = "abc";
  for (const auto& [name, count] : hits) run.targets.push_back(target(name, count, run.trials));
  return run;
}

std::vector<std::int64_t> run_ids(const std::vector<HistoryRow>& rows) {
  std::vector<std::int64_t> ids;
  for (const HistoryRow& row : rows) ids.push_back(row.run_id);
  return ids;
}

// Runs of specs "a" and "b" interleaved, a sweep among them, over five days.
std::vector<LedgerRun> made_up_ledger() {
  return {made_up_run(1, "a", "2026-03-01", "units: 100\n", {{"t", 5000}, {"u", 9000}}),
          made_up_run(2, "b", "2026-03-01", "units: 7\n", {{"t", 100}}),
          made_up_run(3, "a", "2026-03-02", "units: 90\n", {{"t", 4000}, {"u", 9010}}),
          made_up_run(4, "a", "2026-03-03", "units: 10\n", {{"t", 0}, {"u", 0}}, "sweep"),
          made_up_run(5, "a", "2026-03-04", "units: 90\n", {{"t", 4020}, {"v", 10}}),
          made_up_run(6, "b", "2026-03-05", "units: 8\n", {{"t", 150}})};
}

TEST(HistoryRows, DeltasAreAgainstThePreviousRunOfTheSameSpec) {
  const std::vector<HistoryRow> rows = history_rows(made_up_ledger(), {});
  EXPECT_EQ(run_ids(rows), (std::vector<std::int64_t>{1, 1, 2, 3, 3, 5, 5, 6}));
  // A spec's first run: nothing to compare with.
  EXPECT_FALSE(rows[0].delta || rows[0].significant || rows[0].changes);
  EXPECT_FALSE(rows[2].delta || rows[2].changes);
  // Run 3 against run 1 (run 2 is another spec).
  EXPECT_EQ(*rows[3].delta, 0.4 - 0.5);
  EXPECT_TRUE(*rows[3].significant);  // 1,000 fewer hits in 10,000: about 14 sigmas
  EXPECT_EQ(*rows[3].changes, "units: 100 -> 90");
  EXPECT_FALSE(*rows[4].significant);  // 10 more hits: noise
  // Run 5 against run 3: the sweep (run 4) does not count without --all.
  EXPECT_EQ(*rows[5].delta, 0.402 - 0.4);
  EXPECT_EQ(*rows[5].changes, "");
  // A target the previous run did not have: no delta, but the changes are known.
  EXPECT_EQ(rows[6].target, "v");
  EXPECT_FALSE(rows[6].delta || rows[6].significant);
  EXPECT_EQ(*rows[6].changes, "");
  EXPECT_EQ(*rows[7].changes, "units: 7 -> 8");
}

TEST(HistoryRows, AllAddsTheOtherCommandsToTheTrajectory) {
  HistoryFilter filter;
  filter.all = true;
  filter.spec = "a";
  const std::vector<HistoryRow> rows = history_rows(made_up_ledger(), filter);
  EXPECT_EQ(run_ids(rows), (std::vector<std::int64_t>{1, 1, 3, 3, 4, 4, 5, 5}));
  EXPECT_EQ(*rows[6].changes, "units: 10 -> 90");  // run 5 now follows the sweep
  EXPECT_EQ(*rows[6].delta, 0.402);
}

TEST(HistoryRows, FiltersKeepTheDeltasOfTheWholeTrajectory) {
  HistoryFilter filter;
  filter.spec = "a";
  filter.target = "t";
  EXPECT_EQ(run_ids(history_rows(made_up_ledger(), filter)), (std::vector<std::int64_t>{1, 3, 5}));
  filter.since = "2026-03-02";
  const std::vector<HistoryRow> since = history_rows(made_up_ledger(), filter);
  EXPECT_EQ(run_ids(since), (std::vector<std::int64_t>{3, 5}));
  EXPECT_EQ(*since[0].delta, 0.4 - 0.5);  // against run 1, before the window
  HistoryFilter last;
  last.last = 2;  // the last two runs, with all their targets
  EXPECT_EQ(run_ids(history_rows(made_up_ledger(), last)), (std::vector<std::int64_t>{5, 5, 6}));
  last.spec = "b";
  last.last = 1;
  EXPECT_EQ(*history_rows(made_up_ledger(), last).front().changes, "units: 7 -> 8");
}

// The level is shared among the targets compared, as check shares it among cells.
TEST(HistoryRows, SignificanceIsCorrectedForTheNumberOfTargetsCompared) {
  // 5,000 -> 5,297 hits of 10,000: z = 4.20, beyond 4 but within the limit for three targets.
  const double z = proportion_sigmas(5000, 10000, 5297, 10000);
  ASSERT_GT(z, kHistorySigmas);
  ASSERT_LT(z, cell_sigmas_limit(kHistorySigmas, 3));
  const std::vector<HistoryRow> one = history_rows({made_up_run(1, "a", "2026-03-01", "x: 1\n", {{"t", 5000}}),
                                                    made_up_run(2, "a", "2026-03-02", "x: 1\n", {{"t", 5297}})},
                                                   {});
  EXPECT_TRUE(*one[1].significant);
  const std::vector<HistoryRow> three =
      history_rows({made_up_run(1, "a", "2026-03-01", "x: 1\n", {{"t", 5000}, {"u", 1}, {"v", 2}}),
                    made_up_run(2, "a", "2026-03-02", "x: 1\n", {{"t", 5297}, {"u", 1}, {"v", 2}})},
                   {});
  EXPECT_FALSE(*three[3].significant);
}

TEST(HistoryRows, NamesNeverRecordedAreRefusedWithWhatIsRecorded) {
  HistoryFilter filter;
  filter.spec = "c";
  try {
    check_history_names(made_up_ledger(), filter, "l.db");
    FAIL() << "no refusal";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("spec name 'c'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("recorded: a, b"), std::string::npos) << e.what();
  }
  filter.spec = "b";
  filter.target = "u";  // spec a has it, b does not
  EXPECT_THROW(check_history_names(made_up_ledger(), filter, "l.db"), UsageError);
  filter.target = "t";
  EXPECT_NO_THROW(check_history_names(made_up_ledger(), filter, "l.db"));
}

TEST(HistoryRows, ChartsAreNamedByTargetAndBySpecWhenThereAreSeveral) {
  const std::vector<HistoryRow> rows = history_rows(made_up_ledger(), {});
  EXPECT_EQ(history_chart_name(rows, rows[0]), "history-a-t");
  const std::vector<HistoryRow> one(rows.begin(), rows.begin() + 2);
  EXPECT_EQ(history_chart_name(one, one[1]), "history-u");
  HistoryRow odd = rows[0];
  odd.target = "x/../y z";
  EXPECT_EQ(history_chart_name({odd}, odd), "history-x_.._y_z");
}

// ---- formats -------------------------------------------------------------------------

TEST(HistoryFormats, CsvJsonMarkdownAndTable) {
  const TextTable table = history_table(history_rows(made_up_ledger(), {}));
  const std::string csv = format_table(table, TableFormat::kCsv);
  const std::string sha1 = sha256_hex("units: 100\n"), sha3 = sha256_hex("units: 90\n");
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "run_id,started_utc,spec_name,spec_sha256,git_revision,target,probability,ci_lo,ci_hi,delta,significant,"
            "changes");
  EXPECT_NE(csv.find("\n1,2026-03-01T02:00:00Z,a," + sha1 + ",abc,t,0.500000,0.490000,0.510000,,,\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\n3,2026-03-02T02:00:00Z,a," + sha3 +
                     ",abc,t,0.400000,0.390000,0.410000,-0.100000,true,"
                     "units: 100 -> 90\n"),
            std::string::npos)
      << csv;
  const nlohmann::json json = nlohmann::json::parse(format_table(table, TableFormat::kJson));
  ASSERT_EQ(json.size(), 8u);
  EXPECT_TRUE(json[0]["delta"].is_null() && json[0]["significant"].is_null() && json[0]["changes"].is_null());
  EXPECT_EQ(json[3]["delta"], 0.4 - 0.5);
  EXPECT_EQ(json[3]["significant"], true);
  EXPECT_EQ(json[3]["changes"], "units: 100 -> 90");
  EXPECT_EQ(json[3]["run_id"], 3);
  const std::string md = format_table(table, TableFormat::kMarkdown);
  EXPECT_EQ(md.substr(0, md.find('\n')),
            "| run\\_id | started\\_utc | spec\\_name | spec\\_sha256 | git\\_revision | target | probability | "
            "ci\\_lo | ci\\_hi | delta | significant | changes |");
  EXPECT_NE(md.find("|---:|---|"), std::string::npos);
  EXPECT_NE(md.find("| units: 100 -\\> 90 |"), std::string::npos) << md;
  const std::string terminal = format_table(table, TableFormat::kTable);
  EXPECT_EQ(terminal.rfind("run_id  started_utc ", 0), 0u) << terminal;
  EXPECT_NE(terminal.find(sha1.substr(0, 12) + "  abc"), std::string::npos) << terminal;  // hashes shortened
  EXPECT_EQ(terminal.find(sha1), std::string::npos);
}

TEST(HistoryFormats, FormatNames) {
  EXPECT_EQ(parse_table_format("md"), TableFormat::kMarkdown);
  EXPECT_EQ(parse_table_format("csv"), TableFormat::kCsv);
  EXPECT_FALSE(parse_table_format("xml"));
}

// ---- two runs -------------------------------------------------------------------------

MilestoneResult milestone(const std::string& p50) {
  return {"m", "available_accelerators", "total", 100.0, 0.9, {{"p50", std::nullopt, p50}, {"p50_lo", 3.0, ""}}};
}

TEST(RunDifferences, SettingsSpecTargetsMilestonesAndChangedCells) {
  LedgerRun a = made_up_run(1, "a", "2026-03-01", "units: 100\n", {{"t", 5000}});
  LedgerRun b = made_up_run(2, "a", "2026-03-02", "units: 90\n", {{"t", 4000}});
  b.seed = 9;
  a.milestones = {milestone("2026-05-01")};
  b.milestones = {milestone("2026-05-15")};
  a.forecast = {{"2026-06-30", "total", "available_accelerators", {{"mean", 10.0, ""}, {"p50", 7.0, ""}}}};
  b.forecast = {{"2026-06-30", "total", "available_accelerators", {{"mean", 12.5, ""}, {"p50", 7.0, ""}}}};
  const std::string csv = format_table(run_differences(a, b), TableFormat::kCsv);
  EXPECT_EQ(csv,
            "section,name,date,scope,metric,statistic,a,b,difference,significant\n"
            "run,spec_sha256,,,,," +
                sha256_hex("units: 100\n") + "," + sha256_hex("units: 90\n") +
                ",,\n"
                "run,seed,,,,,0,9,,\n"
                "spec,units,,,,,100,90,,\n"
                "target,t,2026-06-30,total,available_accelerators,probability,0.500000,0.400000,-0.100000,true\n"
                "milestone,m,,total,available_accelerators,probability_reached,0.900000,0.900000,+0.000000,\n"
                "milestone,m,,total,available_accelerators,p50,2026-05-01,2026-05-15,+14,\n"
                "milestone,m,,total,available_accelerators,p50_lo,3,3,0,\n"
                "forecast,,2026-06-30,total,available_accelerators,mean,10,12.5,+2.5,\n");
  const nlohmann::json json = nlohmann::json::parse(format_table(run_differences(a, b), TableFormat::kJson));
  EXPECT_EQ(json[2]["name"], "units");
  EXPECT_TRUE(json[2]["date"].is_null());  // what does not apply is null
  EXPECT_EQ(json[3]["difference"], 0.4 - 0.5);
  EXPECT_EQ(json[5]["difference"], 14.0);  // days
}

// ---- real runs recorded by capplan run -------------------------------------------------

std::string file_sha256(const fs::path& path) { return sha256_hex(read_file(path)); }

// Four runs of configs/minimal.yaml (P(half-by-mid-march) about 0.87) recorded
// through run_command: unchanged; a new seed only; a slightly faster install;
// then 40 racks instead of 100 (2,880 GPUs can never reach 3,600: P = 0).
// And a sweep run written straight into the ledger, for --all.
class HistoryOfRuns : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("capplan-history-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ledger_ = (dir_ / "ledger.db").string();
    const std::string faster = "sites.site-a.install_per_day={triangular: [2, 4, 7]}";
    record({}, std::nullopt);
    record({}, 2);
    record({faster}, std::nullopt);
    record({faster, "tranches.t1.units=40"}, std::nullopt);
    std::vector<LedgerRun> sweep = {Ledger(ledger_).run(1).value()};
    sweep[0].command = "sweep";
    sweep[0].started_utc.clear();
    Ledger(ledger_).record(sweep);
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static void record(const std::vector<std::string>& overrides, std::optional<std::uint64_t> seed) {
    RunRequest request;
    request.spec_path = testing::source_path("configs/minimal.yaml");
    request.out_dir = (dir_ / ("out-" + std::to_string(++runs_))).string();
    request.simulation.trials = 2000;
    request.simulation.seed = seed;
    request.simulation.threads = 2;
    request.simulation.overrides = overrides;
    request.simulation.ledger = ledger_;
    request.backend = {Backend::kCpu, {}};
    request.drivers_sample = 0;
    run_command(request);
  }

  static HistoryRequest request(TableFormat format = TableFormat::kCsv) {
    HistoryRequest request;
    request.ledger = ledger_;
    request.format = format;
    return request;
  }

  static std::vector<HistoryRow> rows() { return history_rows(Ledger(ledger_).runs_with_targets(), {}); }

  static fs::path dir_;
  static std::string ledger_;
  static int runs_;
};

fs::path HistoryOfRuns::dir_;
std::string HistoryOfRuns::ledger_;
int HistoryOfRuns::runs_ = 0;

TEST_F(HistoryOfRuns, DeltasSignificanceAndChangesOfAScriptedSequence) {
  const std::vector<LedgerRun> runs = Ledger(ledger_).runs_with_targets();
  ASSERT_EQ(runs.size(), 5u);
  const std::vector<HistoryRow> history = rows();
  ASSERT_EQ(history.size(), 4u);  // the sweep does not count
  auto p = [&](int i) { return runs[static_cast<std::size_t>(i)].targets.at(0).probability; };
  auto hits = [&](int i) { return runs[static_cast<std::size_t>(i)].targets.at(0).hits; };
  EXPECT_GT(p(0), 0.8);
  EXPECT_EQ(p(3), 0.0);
  EXPECT_FALSE(history[0].delta.has_value());
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(*history[static_cast<std::size_t>(i)].delta, p(i) - p(i - 1)) << i;
    // One target: the limit is the nightly check's 4 sigmas itself.
    const bool beyond = proportion_sigmas(hits(i - 1), 2000, hits(i), 2000) > 4.0;
    EXPECT_EQ(*history[static_cast<std::size_t>(i)].significant, beyond) << i;
  }
  EXPECT_FALSE(*history[1].significant);  // a new seed: noise
  EXPECT_FALSE(*history[2].significant);  // one more rack a day at best: within noise at 2,000 trials
  EXPECT_TRUE(*history[3].significant);
  EXPECT_EQ(*history[1].changes, "");
  EXPECT_EQ(*history[2].changes, "sites.site-a.install_per_day.triangular: [2, 4, 6] -> [2, 4, 7]");
  EXPECT_EQ(*history[3].changes, "tranches.t1.units: 100 -> 40");
  EXPECT_EQ(history[1].spec_sha256, history[0].spec_sha256);
  EXPECT_NE(history[2].spec_sha256, history[1].spec_sha256);
}

TEST_F(HistoryOfRuns, TheCommandPrintsEachFormat) {
  const std::string csv = history_command(request()).report;
  EXPECT_EQ(csv.rfind("run_id,started_utc,spec_name,spec_sha256,git_revision,target,probability,ci_lo,ci_hi,delta,"
                      "significant,changes\n1,",
                      0),
            0u)
      << csv;
  EXPECT_NE(csv.find(",true,tranches.t1.units: 100 -> 40\n"), std::string::npos) << csv;
  const nlohmann::json json = nlohmann::json::parse(history_command(request(TableFormat::kJson)).report);
  ASSERT_EQ(json.size(), 4u);
  EXPECT_EQ(json[3]["probability"], 0.0);
  EXPECT_EQ(json[3]["target"], "half-by-mid-march");
  HistoryRequest all = request(TableFormat::kJson);
  all.filter.all = true;
  all.filter.last = 1;
  const nlohmann::json sweep = nlohmann::json::parse(history_command(all).report);
  ASSERT_EQ(sweep.size(), 1u);
  EXPECT_EQ(sweep[0]["run_id"], 5);
  EXPECT_EQ(sweep[0]["changes"],
            "sites.site-a.install_per_day.triangular: [2, 4, 7] -> [2, 4, 6]; "
            "tranches.t1.units: 40 -> 100");
  const std::string md = history_command(request(TableFormat::kMarkdown)).report;
  EXPECT_EQ(md.rfind("| run\\_id |", 0), 0u) << md;
  EXPECT_EQ(std::count(md.begin(), md.end(), '\n'), 6);
}

TEST_F(HistoryOfRuns, LastAndSinceLimitTheRows) {
  HistoryRequest last = request(TableFormat::kJson);
  last.filter.last = 2;
  const nlohmann::json two = nlohmann::json::parse(history_command(last).report);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0]["run_id"], 3);
  EXPECT_FALSE(two[0]["delta"].is_null());  // against run 2, outside the window
  HistoryRequest future = request(TableFormat::kTable);
  future.filter.since = "2999-01-01";
  EXPECT_NE(history_command(future).report.find("No runs to show"), std::string::npos);
  future.format = TableFormat::kJson;
  EXPECT_EQ(history_command(future).report, "[]\n");
}

TEST_F(HistoryOfRuns, PlotWritesAChartPerTargetAndASummary) {
  HistoryRequest plot = request(TableFormat::kTable);
  plot.plot_dir = (dir_ / "trend").string();
  const std::string report = history_command(plot).report;
  EXPECT_NE(report.find("Wrote the charts, history.md and history.csv in"), std::string::npos) << report;
  for (const char* chart : {"history-half-by-mid-march.svg", "history-half-by-mid-march.png"}) {
    ASSERT_TRUE(fs::exists(dir_ / "trend" / chart)) << chart;
    EXPECT_GT(fs::file_size(dir_ / "trend" / chart), 1000u) << chart;
  }
  EXPECT_NE(read_file(dir_ / "trend" / "history-half-by-mid-march.svg").find("<svg"), std::string::npos);
  EXPECT_EQ(read_file(dir_ / "trend" / "history-half-by-mid-march.png").substr(1, 3), "PNG");
  const std::string md = read_file(dir_ / "trend" / "history.md");
  EXPECT_NE(md.find("](history-half-by-mid-march.png)"), std::string::npos) << md;
  EXPECT_NE(md.find("Significant moves:"), std::string::npos) << md;
  EXPECT_NE(md.find("`tranches.t1.units: 100 -> 40`"), std::string::npos) << md;
  EXPECT_EQ(read_file(dir_ / "trend" / "history.csv"), history_command(request()).report);
  history_command(plot);  // a second --plot replaces the set
}

TEST_F(HistoryOfRuns, RunsShowsEverythingThatDiffers) {
  HistoryRequest pair = request();
  pair.runs = {{1, 4}};
  const std::string csv = history_command(pair).report;
  EXPECT_NE(csv.find("\nspec,sites.site-a.install_per_day.triangular,,,,,\"[2, 4, 6]\",\"[2, 4, 7]\",,\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\nspec,tranches.t1.units,,,,,100,40,,\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\ntarget,half-by-mid-march,2026-03-15,total,available_accelerators,probability,"),
            std::string::npos);
  EXPECT_NE(csv.find("\ntranche,t1,,,,units,100,40,-60,\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\nforecast,,2026-06-30,total,available_accelerators,p50,7200,2880,-4320,\n"), std::string::npos)
      << csv;
  EXPECT_EQ(csv.find("\nrun,seed,"), std::string::npos);
  pair.runs = {{1, 2}};
  EXPECT_NE(history_command(pair).report.find("\nrun,seed,,,,,1,2,,\n"), std::string::npos);
  pair.runs = {{1, 99}};
  const Failure missing = failure_of([&] { history_command(pair); });
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.message.find("no run 99"), std::string::npos) << missing.message;
}

TEST_F(HistoryOfRuns, ReadingLeavesTheLedgerByteForByte) {
  const std::string before = file_sha256(ledger_);
  history_command(request());
  HistoryRequest plot = request();
  plot.plot_dir = (dir_ / "trend-bytes").string();
  history_command(plot);
  HistoryRequest pair = request();
  pair.runs = {{2, 3}};
  history_command(pair);
  EXPECT_EQ(capplan("history --ledger " + ledger_ + " --format md > /dev/null").exit_code, 0);
  EXPECT_EQ(file_sha256(ledger_), before);
}

TEST_F(HistoryOfRuns, UnknownNamesAreRefusedListingWhatIsRecorded) {
  HistoryRequest spec = request();
  spec.filter.spec = "minimall";
  const Failure failure = failure_of([&] { history_command(spec); });
  EXPECT_EQ(failure.exit_code, 2);
  EXPECT_NE(failure.message.find("did you mean 'minimal'"), std::string::npos) << failure.message;
  EXPECT_NE(failure.message.find("recorded: minimal"), std::string::npos) << failure.message;
  HistoryRequest target = request();
  target.filter.target = "nope";
  EXPECT_NE(failure_of([&] { history_command(target); }).message.find("recorded: half-by-mid-march"),
            std::string::npos);
}

// ---- refusals on the command line -------------------------------------------------------

class HistoryRefusals : public testing::ScratchDirTest {};

TEST_F(HistoryRefusals, BadOptionsAndMissingLedgersExitTwo) {
  const std::string missing = (dir_ / "none.db").string();
  const Outcome unset = testing::shell("env -u CAPPLAN_LEDGER " + std::string(CAPPLAN_BINARY) + " history");
  EXPECT_EQ(unset.exit_code, 2);
  EXPECT_NE(unset.output.find("--ledger FILE or set CAPPLAN_LEDGER"), std::string::npos) << unset.output;
  const Outcome absent = capplan("history --ledger " + missing);
  EXPECT_EQ(absent.exit_code, 2);
  EXPECT_NE(absent.output.find("no ledger at " + missing), std::string::npos) << absent.output;
  EXPECT_FALSE(fs::exists(missing));  // history never creates a ledger
  for (const char* options : {"--last 0", "--since 2026-13-01", "--format xml", "--runs 1", "--runs 1,x",
                              "--runs 1,2 --spec minimal", "--plot ''"}) {
    const Outcome bad = capplan("history --ledger " + missing + " " + options);
    EXPECT_EQ(bad.exit_code, 2) << options << ": " << bad.output;
  }
  EXPECT_NE(capplan("history --ledger x --last 0").output.find("--last must be"), std::string::npos);
  EXPECT_NE(capplan("history --ledger x --since 2026-1-1").output.find("--since must be a date"), std::string::npos);
}

TEST_F(HistoryRefusals, AFileThatIsNotALedgerIsRefusedAndLeftUntouched) {
  const fs::path text = dir_ / "notes.db";
  std::ofstream(text) << "not a database\n";
  const std::string before = file_sha256(text);
  const Outcome outcome = capplan("history --ledger " + text.string());
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(outcome.output.find("not a SQLite database"), std::string::npos) << outcome.output;
  EXPECT_EQ(file_sha256(text), before);
}

}  // namespace
}  // namespace capplan
