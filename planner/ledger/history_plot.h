// `capplan history --plot DIR`: a trend chart per spec and target, the rows as
// history.csv, and history.md summing them up, written as one result set.
#pragma once

#include <string>
#include <vector>

#include "planner/ledger/history.h"

namespace capplan {

// The chart's name for each row's (spec, target): history-<target>, or
// history-<spec>-<target> when the rows hold more than one spec; characters
// outside letters, digits, '-', '_' and '.' become '_'.
std::string history_chart_name(const std::vector<HistoryRow>& rows, const HistoryRow& row);

// history.md: where the rows come from, then per spec and target its chart,
// its latest probability and every significant move with its changes, then
// every row as a Markdown table.
std::string history_markdown(const std::vector<HistoryRow>& rows, const std::string& ledger);

// Writes history.csv, history.md and the charts (history-*.svg/.png) into
// `dir` as one result set (write_result_set). Throws RuntimeFailure when
// gnuplot cannot draw (history.csv and history.md are written first).
void write_history_plots(const std::string& dir, const std::vector<HistoryRow>& rows, const std::string& ledger);

}  // namespace capplan
