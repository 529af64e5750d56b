#include "planner/plots.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "planner/date.h"
#include "planner/errors.h"
#include "planner/plot_completion_chart.h"
#include "planner/plot_csv.h"
#include "planner/plot_fan_chart.h"
#include "planner/plot_gnuplot.h"
#include "planner/plot_inputs.h"
#include "planner/plot_labels.h"
#include "planner/plot_script.h"
#include "planner/plot_tornado_chart.h"

namespace capplan {

using namespace plots;

namespace {

namespace fs = std::filesystem;

}  // namespace

std::vector<std::string> write_plots(const std::string& out_dir) {
  const fs::path dir(out_dir);
  require_folder(dir);
  // Read and check every input before drawing anything.
  const RunFacts run = load_run(dir);
  const CsvTable forecast = load_table(dir, "forecast.csv");
  const QuantileColumns q = quantile_columns(forecast);
  const std::vector<TargetRow> targets = load_targets(load_table(dir, "targets.csv"));
  const std::vector<TrancheRow> tranches = load_tranches(load_table(dir, "tranches.csv"));
  const CsvTable cdf = load_table(dir, "completion_cdf.csv");
  const std::optional<Drivers> drivers = load_drivers(dir);
  const std::string gnuplot = find_gnuplot();

  const WorkDir work(dir);
  std::vector<std::string> names;
  for (const auto& chart : fan_charts()) {
    fan_chart(work, gnuplot, run.name, forecast, q, targets, chart);
    names.push_back(chart.file);
  }
  completion_chart(work, gnuplot, run.name, cdf, tranches);
  names.push_back("tranche-completion");
  if (drivers) {
    tornado_chart(work, gnuplot, run.name, *drivers);
    names.push_back("tornado");
  }

  // Every chart is drawn: move them into place (rename is atomic per file).
  std::vector<std::string> written;
  for (const auto& name : names) {
    for (const char* extension : {".svg", ".png"}) {
      const std::string file = name + extension;
      std::error_code ec;
      if (fs::file_size(work.path() / file, ec) == 0 || ec) {
        throw RuntimeFailure("gnuplot wrote no " + file + " (is its " +
                             std::string(extension == std::string(".png") ? "pngcairo" : "svg") +
                             " terminal available? " + kGnuplotInstallHint + ")");
      }
    }
  }
  for (const auto& name : names) {
    for (const char* extension : {".svg", ".png"}) {
      const std::string file = name + extension;
      std::error_code ec;
      fs::rename(work.path() / file, dir / file, ec);
      if (ec) throw RuntimeFailure("cannot move " + file + " into " + dir.string() + ": " + ec.message());
      written.push_back(file);
    }
  }
  return written;
}

namespace {

// Text for a Markdown table cell or paragraph: escapes what Markdown would interpret.
std::string md(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (std::strchr("\\`*_{}[]<>#|!~", c)) out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out;
}

// An identifier as inline code (backticks and pipes cannot be escaped inside code spans).
std::string code(const std::string& text) {
  std::string clean;
  for (const char c : text) {
    if (c != '`' && c != '|' && static_cast<unsigned char>(c) >= 0x20) clean += c;
  }
  return "`" + clean + "`";
}

std::string interval(double lo, double hi) { return percent(lo) + " – " + percent(hi); }

std::string completion_date(const std::string& text) { return text == "after-horizon" ? "after horizon" : text; }

}  // namespace

std::string summary_markdown(const std::string& out_dir) {
  const fs::path dir(out_dir);
  require_folder(dir);
  const RunFacts run = load_run(dir);
  const CsvTable forecast = load_table(dir, "forecast.csv");
  const QuantileColumns q = quantile_columns(forecast);
  const std::vector<TargetRow> targets = load_targets(load_table(dir, "targets.csv"));
  const CsvTable tranche_table = load_table(dir, "tranches.csv");
  const QuantileColumns tq = quantile_columns(tranche_table);
  const std::vector<TrancheRow> tranches = load_tranches(tranche_table);
  const std::optional<Drivers> drivers = load_drivers(dir);

  auto chart = [&](const std::string& name, const std::string& alt) -> std::string {
    std::error_code ec;
    if (!fs::is_regular_file(dir / (name + ".png"), ec)) return "";
    return "![" + md(alt) + "](" + name + ".png)\n\n";
  };

  std::string s;
  s += "# Capacity forecast: " + md(run.name) + "\n\n";
  s += "Monte Carlo forecast from **" + grouped(static_cast<double>(run.trials)) + " trials** (seed " +
       std::to_string(run.seed) + ") by capplan " + md(run.tool_version);
  if (!run.git_revision.empty()) s += " (revision " + code(run.git_revision) + ")";
  s += ". Intervals are 95% confidence intervals of the Monte Carlo estimate (how precisely the trials pin a value "
       "down); the spread between quantiles is the forecast's uncertainty.\n\n";

  // Headline targets.
  s += "## Targets\n\n";
  if (targets.empty()) {
    s += "The spec sets no targets.\n\n";
  } else {
    s += "| Target | Goal | Probability of meeting it | 95% interval |\n";
    s += "|:--|:--|--:|--:|\n";
    for (const auto& t : targets) {
      s += "| " + code(t.name) + " | " + md(metric_words(t.metric)) + " ≥ " + metric_value(t.metric, t.threshold) +
           " on " + format_date(t.date) + " | **" + percent(t.probability) + "** | " + interval(t.ci_lo, t.ci_hi) +
           " |\n";
    }
    s += "\n";
  }

  // Forecast table.
  const std::string lo = q.low_label(), hi = q.high_label();
  const bool has_mid = !q.mid.empty();
  s += "## Forecast by report date\n\n";
  s += fmt::format(
      "Quantiles across trials: {} (pessimistic), {}{} (optimistic). Accelerators are GPUs/chips available for "
      "work; effective PFLOPS is sustained compute after utilisation; delivered compute is cumulative, in 10²⁴ "
      "FLOP.\n\n",
      lo, has_mid ? "P50 (median), " : "", hi);
  const std::vector<std::pair<std::string, std::string>> columns = {
      {"available_accelerators", "Accelerators"}, {"effective_pflops", "PFLOPS"}, {"delivered_flop_e24", "10²⁴ FLOP"}};
  std::vector<Series> series;
  for (const auto& [metric, short_name] : columns) series.push_back(metric_series(forecast, q, metric));
  s += "| Date |";
  std::string align = "|:--|";
  for (const auto& [metric, short_name] : columns) {
    s += " " + short_name + " " + lo + " |";
    if (has_mid) s += " " + short_name + " P50 |";
    s += " " + short_name + " " + hi + " |";
    align += has_mid ? "--:|--:|--:|" : "--:|--:|";
  }
  s += "\n" + align + "\n";
  for (std::size_t i = 0; i < series[0].dates.size(); ++i) {
    s += "| " + format_date(series[0].dates[i]) + " |";
    for (std::size_t m = 0; m < columns.size(); ++m) {
      const Series& x = series[m];
      const std::string& metric = columns[m].first;
      if (i >= x.dates.size()) {
        s += has_mid ? " | | |" : " | |";
        continue;
      }
      s += " " + metric_value(metric, x.low[i]) + " |";
      if (has_mid) s += " **" + metric_value(metric, x.mid[i]) + "** |";
      s += " " + metric_value(metric, x.high[i]) + " |";
    }
    s += "\n";
  }
  s += "\n";
  s += chart("fan-available-accelerators", "Fan chart of available accelerators");
  s += chart("fan-effective-pflops", "Fan chart of effective PFLOPS");
  s += chart("delivered-compute", "Cumulative delivered compute");

  // Tranches.
  s += "## Tranches\n\n";
  if (tranches.empty()) {
    s += "The spec has no tranches.\n\n";
  } else {
    const std::string tlo = tq.low_label(), thi = tq.high_label();
    s += "| Tranche | Units | Complete by horizon end | 95% interval |" +
         std::string(tq.mid.empty() ? "" : " Median completion |") + " " + tlo + " – " + thi +
         " completion | Criticality |\n";
    s += "|:--|--:|--:|--:|" + std::string(tq.mid.empty() ? "" : "--:|") + ":--|--:|\n";
    for (const auto& t : tranches) {
      s += "| " + code(t.name) + " | " + md(t.units) + " | **" + percent(t.probability) + "** | " +
           interval(t.ci_lo, t.ci_hi) + " |";
      if (!tq.mid.empty()) s += " " + completion_date(t.mid) + " |";
      const std::string range =
          t.low == t.high ? completion_date(t.low) : completion_date(t.low) + " – " + completion_date(t.high);
      s += " " + range + " | " + percent(t.criticality) + " |\n";
    }
    s += "\nCriticality: share of trials in which the tranche is among the last of its site's tranches to complete "
         "(not completing by the horizon end counts as last), i.e. how often it sets the site's finish date.\n\n";
  }
  s += chart("tranche-completion", "Tranche completion S-curves");

  // Drivers.
  s += "## Top drivers\n\n";
  if (!drivers) {
    s += "No driver analysis in this folder (sensitivity.csv is absent).\n\n";
  } else {
    const bool accelerators = drivers->output == "available_accelerators";
    if (!accelerators) {
      s += "Available accelerators do not vary at the analysis date, so the drivers shown are those of cumulative "
           "delivered compute.\n\n";
    }
    s += std::string("What moves ") + (accelerators ? "available accelerators" : "delivered compute") + " on " +
         drivers->date +
         " the most: Spearman rank correlation between each sampled input and the output (positive: a higher input "
         "value gives " +
         (accelerators ? "more accelerators" : "more compute") +
         "), and the share of the output's rank variance that input alone explains.\n\n";
    s += "| Rank | Input | Spearman ρ | Variance explained |\n";
    s += "|--:|:--|--:|--:|\n";
    const std::size_t n = std::min<std::size_t>(10, drivers->rows.size());
    for (std::size_t i = 0; i < n; ++i) {
      const auto& row = drivers->rows[i];
      s += fmt::format("| {} | {} | {:+.3f} | {} |\n", i + 1, code(row.input), row.spearman,
                       percent(row.variance_explained));
    }
    s += accelerators ? "\nAll inputs, and the drivers of delivered compute, are in `sensitivity.csv`.\n\n"
                      : "\nAll inputs are in `sensitivity.csv`.\n\n";
    s += chart("tornado", "Tornado chart of the top drivers");
  }
  s += "---\n\nTables: `forecast.csv`, `targets.csv`, `tranches.csv`, `completion_cdf.csv`" +
       std::string(drivers ? ", `sensitivity.csv`" : "") + "; run record: `run.json`.\n";
  return s;
}

}  // namespace capplan
