#include "planner/ledger/history_plot.h"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <exception>
#include <iterator>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "planner/output/output_files.h"
#include "planner/output/plot_history_chart.h"
#include "planner/output/plot_labels.h"

namespace capplan {

namespace {

// One spec's target over the rows, oldest first.
struct Series {
  std::string spec, target, chart;
  std::vector<const HistoryRow*> rows;
};

std::vector<Series> series_of(const std::vector<HistoryRow>& rows) {
  std::vector<Series> out;
  for (const HistoryRow& row : rows) {
    auto found = std::find_if(out.begin(), out.end(),
                              [&](const Series& s) { return s.spec == row.spec_name && s.target == row.target; });
    if (found == out.end()) {
      out.push_back({row.spec_name, row.target, history_chart_name(rows, row), {}});
      found = std::prev(out.end());
    }
    found->rows.push_back(&row);
  }
  return out;
}

std::string safe_file_name(const std::string& text) {
  std::string out;
  for (const char c : text)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  return out;
}

std::string chart_title(const Series& series) { return series.spec + ": P(" + series.target + " met) by run"; }

const char* const kNoSpecChange = "no spec change";

// What a significant move's label says: its spec changes, or that there were none.
std::string move_label(const HistoryRow& row) {
  const std::string changes = row.changes.value_or("");
  return changes.empty() ? kNoSpecChange : changes;
}

void draw_charts(const std::string& dir, const std::vector<Series>& all_series) {
  for (const Series& series : all_series) {
    std::vector<plots::HistoryPoint> points;
    for (const HistoryRow* row : series.rows) {
      const bool significant = row->significant.value_or(false);
      points.push_back({row->run_id, row->started_utc, row->probability, row->ci_lo, row->ci_hi, significant,
                        significant ? move_label(*row) : ""});
    }
    plots::write_history_chart(dir, series.chart, chart_title(series), points);
  }
}

std::string series_markdown(const Series& series) {
  using plots::markdown_code;
  using plots::markdown_text;
  using plots::percent;
  const HistoryRow& first = *series.rows.front();
  const HistoryRow& latest = *series.rows.back();
  std::string s = "## " + markdown_code(series.spec) + ": " + markdown_code(series.target) + "\n\n";
  s += "![" + markdown_text(chart_title(series)) + "](" + series.chart + ".png)\n\n";
  s += fmt::format("Latest: **{}** (95% interval {} to {}) at run {} ({}); first shown: {} at run {}.\n\n",
                   percent(latest.probability), percent(latest.ci_lo), percent(latest.ci_hi), latest.run_id,
                   markdown_text(latest.started_utc), percent(first.probability), first.run_id);
  std::string moves;
  for (const HistoryRow* row : series.rows) {
    if (!row->significant.value_or(false)) continue;
    const std::string label = move_label(*row);
    moves += fmt::format("- run {} ({}): {} to {} ({:+.1f} points): {}\n", row->run_id, markdown_text(row->started_utc),
                         percent(row->probability - *row->delta), percent(row->probability), 100.0 * *row->delta,
                         label == kNoSpecChange ? label : markdown_code(label));
  }
  return s + (moves.empty() ? "No significant moves.\n\n" : "Significant moves:\n\n" + moves + "\n");
}

}  // namespace

std::string history_chart_name(const std::vector<HistoryRow>& rows, const HistoryRow& row) {
  const bool one_spec =
      std::all_of(rows.begin(), rows.end(), [&](const HistoryRow& other) { return other.spec_name == row.spec_name; });
  return "history-" + safe_file_name(one_spec ? row.target : row.spec_name + "-" + row.target);
}

std::string history_markdown(const std::vector<HistoryRow>& rows, const std::string& ledger) {
  std::string s = "# Forecast history\n\n";
  if (rows.empty()) return s + "No recorded runs match in the ledger " + plots::markdown_code(ledger) + ".\n";
  std::set<std::int64_t> runs;
  std::set<std::string> specs;
  for (const HistoryRow& row : rows) {
    runs.insert(row.run_id);
    specs.insert(row.spec_name);
  }
  s += fmt::format(
      "From the ledger {}: {} runs of {} spec(s), {} to {} (UTC). A move is significant when the two-proportion "
      "test puts it beyond a {:g}-sigma level shared among the targets compared (docs/ledger.md).\n\n",
      plots::markdown_code(ledger), runs.size(), specs.size(), plots::markdown_text(rows.front().started_utc),
      plots::markdown_text(rows.back().started_utc), kHistorySigmas);
  for (const Series& series : series_of(rows)) s += series_markdown(series);
  return s + "## All runs\n\n" + format_table(history_table(rows), TableFormat::kMarkdown);
}

void write_history_plots(const std::string& dir, const std::vector<HistoryRow>& rows, const std::string& ledger) {
  const OutputFiles files = {{"history.csv", format_table(history_table(rows), TableFormat::kCsv)},
                             {"history.md", history_markdown(rows, ledger)}};
  std::exception_ptr plot_failure;
  write_result_set(dir, files, [&](const std::string& staging) {
    try {
      draw_charts(staging, series_of(rows));
    } catch (...) {
      plot_failure = std::current_exception();
    }
  });
  if (plot_failure) std::rethrow_exception(plot_failure);
}

}  // namespace capplan
