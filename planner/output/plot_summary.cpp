#include "planner/output/plot_summary.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "planner/base/date.h"
#include "planner/output/plot_breakdown_chart.h"
#include "planner/output/plot_completion_chart.h"
#include "planner/output/plot_fan_chart.h"
#include "planner/output/plot_labels.h"

namespace capplan::plots {

namespace {

namespace fs = std::filesystem;

// The metrics of the forecast and breakdown tables, with their column names.
const std::vector<std::pair<std::string, std::string>> kTableMetrics = {
    {"available_accelerators", "Accelerators"}, {"effective_pflops", "PFLOPS"}, {"delivered_flop_e24", "10²⁴ FLOP"}};

std::string interval(double lo, double hi) { return percent(lo) + " – " + percent(hi); }

std::string completion_date(const std::string& text) { return text == "after-horizon" ? "after horizon" : text; }

// The chart NAME.png as an image paragraph, or nothing if it was not drawn.
std::string chart(const fs::path& dir, const std::string& name, const std::string& alt) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / (name + ".png"), ec)) return "";
  return "![" + markdown_text(alt) + "](" + name + ".png)\n\n";
}

std::string heading(const RunFacts& run) {
  std::string s;
  s += "# Capacity forecast: " + markdown_text(run.name) + "\n\n";
  s += "Monte Carlo forecast from **" + grouped(static_cast<double>(run.trials)) + " trials** (seed " +
       std::to_string(run.seed) + ") by capplan " + markdown_text(run.tool_version);
  if (!run.git_revision.empty()) s += " (revision " + markdown_code(run.git_revision) + ")";
  s += ". Intervals are 95% confidence intervals of the Monte Carlo estimate (how precisely the trials pin a value "
       "down); the spread between quantiles is the forecast's uncertainty.\n\n";
  return s;
}

// Headline targets: the probability of meeting each; their scopes if any has one.
std::string targets_section(const std::vector<TargetRow>& targets) {
  std::string s = "## Targets\n\n";
  if (targets.empty()) return s + "The spec sets no targets.\n\n";
  const bool scoped =
      std::any_of(targets.begin(), targets.end(), [](const TargetRow& t) { return t.scope != kTotalScope; });
  s += std::string("| Target |") + (scoped ? " Scope |" : "") + " Goal | Probability of meeting it | 95% interval |\n";
  s += std::string("|:--|") + (scoped ? ":--|" : "") + ":--|--:|--:|\n";
  for (const auto& t : targets) {
    s += "| " + markdown_code(t.name) + " |" + (scoped ? " " + markdown_code(t.scope) + " |" : "") + " " +
         markdown_text(metric_words(t.metric)) + " ≥ " + metric_value(t.metric, t.threshold) + " on " +
         format_date(t.date) + " | **" + percent(t.probability) + "** | " + interval(t.ci_lo, t.ci_hi) + " |\n";
  }
  if (scoped) {
    s += "\nA target with a scope is marked on the fan chart of its scope (under Breakdown) when `report.by` "
         "reports that scope, and not on the total's.\n";
  }
  return s + "\n";
}

// Each milestone's goal, the probability of reaching it within the horizon and the quantiles of its date.
std::string milestones_section(const RunFolder& in) {
  if (!in.milestone_quantiles) return "";
  const QuantileColumns& mq = *in.milestone_quantiles;
  const bool has_mid = !mq.mid.empty();
  std::string s = "## Milestones\n\n";
  s += "The first day on which a metric, in its scope, is at least a level (every day is checked): the probability "
       "that this happens within the horizon, and quantiles of the day across trials (after horizon: later than the "
       "horizon end, or never, in that share of trials).\n\n";
  s += "| Milestone | Metric | Scope | At least | Reached within the horizon | 95% interval | " + mq.low_label() +
       " |" + (has_mid ? " P50 |" : "") + " " + mq.high_label() + " |\n";
  s += std::string("|:--|:--|:--|--:|--:|--:|--:|") + (has_mid ? "--:|" : "") + "--:|\n";
  for (const auto& m : in.milestones) {
    s += "| " + markdown_code(m.name) + " | " + markdown_text(metric_words(m.metric)) + " | " + markdown_code(m.scope) +
         " | " + metric_value(m.metric, m.threshold) + " | **" + percent(m.probability) + "** | " +
         interval(m.ci_lo, m.ci_hi) + " | " + completion_date(m.low) + " |" +
         (has_mid ? " " + completion_date(m.mid) + " |" : "") + " " + completion_date(m.high) + " |\n";
  }
  return s + "\n" + chart(in.dir, milestone_chart().file, "Milestone S-curves");
}

// The outer quantiles (and median) of accelerators, PFLOPS and delivered compute at each report date.
std::string forecast_table(const CsvTable& forecast, const QuantileColumns& q) {
  const std::string lo = q.low_label(), hi = q.high_label();
  const bool has_mid = !q.mid.empty();
  const auto& columns = kTableMetrics;
  std::vector<Series> series;
  for (const auto& [metric, short_name] : columns) series.push_back(metric_series(forecast, q, metric));
  std::string s = "| Date |";
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
  return s + "\n";
}

std::string forecast_section(const RunFolder& in) {
  const QuantileColumns& q = in.forecast_quantiles;
  std::string s = "## Forecast by report date\n\n";
  s += fmt::format(
      "Quantiles across trials: {} (pessimistic), {}{} (optimistic). Accelerators are GPUs/chips available for "
      "work; effective PFLOPS is sustained compute after utilisation; delivered compute is cumulative, in 10²⁴ "
      "FLOP.\n\n",
      q.low_label(), q.mid.empty() ? "" : "P50 (median), ", q.high_label());
  s += forecast_table(in.forecast, q);
  s += chart(in.dir, "fan-available-accelerators", "Fan chart of available accelerators");
  s += chart(in.dir, "fan-effective-pflops", "Fan chart of effective PFLOPS");
  s += chart(in.dir, "delivered-compute", "Cumulative delivered compute");
  return s;
}

// A row of the breakdown table: the median (or mean) of each table metric in `scope` on the last report date.
std::string breakdown_row(const CsvTable& forecast, const QuantileColumns& q, const std::string& scope,
                          const std::string& label) {
  std::string s = "| " + label + " |";
  for (const auto& [metric, short_name] : kTableMetrics) {
    s += " " + metric_value(metric, central_values(metric_series(forecast, q, metric, scope), q).back()) + " |";
  }
  return s + "\n";
}

// The breakdown charts and the fan charts of scopes, those drawn.
std::string breakdown_charts_markdown(const RunFolder& in) {
  std::string s;
  for (const auto& by : breakdown_charts(in.scopes)) {
    s += chart(in.dir, by.file, by.total.quantity + " by " + by.kind + " (stacked)");
  }
  for (const auto& fan : scope_fan_charts(in.scopes, in.targets)) {
    s += chart(in.dir, fan.file, "Fan chart of " + fan.title);
  }
  return s;
}

// forecast_by.csv's scopes and the total on the last report date, then their charts.
std::string breakdown_section(const RunFolder& in) {
  if (!in.forecast_by) return "";
  const QuantileColumns& q = in.forecast_quantiles;
  const bool median = !q.mid.empty();
  const Series totals = metric_series(in.forecast, q, kTableMetrics.front().first);
  std::string s = "## Breakdown\n\n";
  s += fmt::format(
      "{} on {} by scope (`forecast_by.csv`). Sites and system types add up to the total trial by trial, but their "
      "{}s need not add up to the total's; the largest site is, for each metric and day, the biggest value of any "
      "one site.\n\n",
      median ? "Median (P50)" : "Mean", format_date(totals.dates.back()), median ? "median" : "mean");
  std::string header = "| Scope |", align = "|:--|";
  for (const auto& [metric, short_name] : kTableMetrics) {
    header += " " + short_name + (median ? " P50 |" : " mean |");
    align += "--:|";
  }
  s += header + "\n" + align + "\n";
  for (const auto& scope : in.scopes) s += breakdown_row(*in.forecast_by, q, scope, markdown_code(scope));
  s += breakdown_row(in.forecast, q, kTotalScope, "**total**") + "\n";
  return s + breakdown_charts_markdown(in);
}

std::string tranches_section(const RunFolder& in) {
  const QuantileColumns& tq = in.tranche_quantiles;
  std::string s = "## Tranches\n\n";
  if (in.tranches.empty()) {
    s += "The spec has no tranches.\n\n";
  } else {
    s += "| Tranche | Units | Complete by horizon end | 95% interval |" +
         std::string(tq.mid.empty() ? "" : " Median completion |") + " " + tq.low_label() + " – " + tq.high_label() +
         " completion | Criticality |\n";
    s += "|:--|--:|--:|--:|" + std::string(tq.mid.empty() ? "" : "--:|") + ":--|--:|\n";
    for (const auto& t : in.tranches) {
      s += "| " + markdown_code(t.name) + " | " + markdown_text(t.units) + " | **" + percent(t.probability) + "** | " +
           interval(t.ci_lo, t.ci_hi) + " |";
      if (!tq.mid.empty()) s += " " + completion_date(t.mid) + " |";
      const std::string range =
          t.low == t.high ? completion_date(t.low) : completion_date(t.low) + " – " + completion_date(t.high);
      s += " " + range + " | " + percent(t.criticality) + " |\n";
    }
    s += "\nCriticality: share of trials in which the tranche is among the last of its site's tranches to complete "
         "(not completing by the horizon end counts as last), i.e. how often it sets the site's finish date.\n\n";
  }
  return s + chart(in.dir, tranche_completion_chart().file, "Tranche completion S-curves");
}

// The ten inputs that move the output most, and the tornado chart.
std::string drivers_section(const fs::path& dir, const std::optional<Drivers>& drivers) {
  std::string s = "## Top drivers\n\n";
  if (!drivers) return s + "No driver analysis in this folder (sensitivity.csv is absent).\n\n";
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
    s += fmt::format("| {} | {} | {:+.3f} | {} |\n", i + 1, markdown_code(row.input), row.spearman,
                     percent(row.variance_explained));
  }
  s += accelerators ? "\nAll inputs, and the drivers of delivered compute, are in `sensitivity.csv`.\n\n"
                    : "\nAll inputs are in `sensitivity.csv`.\n\n";
  return s + chart(dir, "tornado", "Tornado chart of the top drivers");
}

// The tables the folder holds.
std::string footer(const RunFolder& in) {
  std::string tables = "`forecast.csv`";
  if (in.forecast_by) tables += ", `forecast_by.csv`";
  tables += ", `targets.csv`, `tranches.csv`, `completion_cdf.csv`";
  if (in.milestone_quantiles) tables += ", `milestones.csv`, `milestone_cdf.csv`";
  if (in.drivers) tables += ", `sensitivity.csv`";
  return "---\n\nTables: " + tables + "; run record: `run.json`.\n";
}

}  // namespace

std::string summary_document(const RunFolder& in) {
  std::string s = heading(in.run);
  s += targets_section(in.targets);
  s += milestones_section(in);
  s += forecast_section(in);
  s += breakdown_section(in);
  s += tranches_section(in);
  s += drivers_section(in.dir, in.drivers);
  s += footer(in);
  return s;
}

}  // namespace capplan::plots
