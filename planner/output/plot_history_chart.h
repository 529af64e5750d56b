// The trend chart of `capplan history --plot`: one target's probability over
// the runs' start times with its 95% interval band, significant moves marked
// and labelled with the spec changes that came with them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace capplan::plots {

// One recorded run's result for the target.
struct HistoryPoint {
  std::int64_t run_id = 0;
  std::string started_utc;  // YYYY-MM-DDTHH:MM:SSZ
  double probability = 0.0, ci_lo = 0.0, ci_hi = 0.0;
  bool significant = false;  // a move beyond Monte Carlo noise since the previous run
  std::string label;         // what changed; listed under the chart for significant moves (cut to fit)
};

// Draws NAME.svg and NAME.png into `dir` (a result set being written) and
// returns their names. The x axis is a date axis when the runs span more than
// one day, else the time of that day. Significant moves are circled and
// tagged with their run id; the last six are listed with their labels under
// the chart.
std::vector<std::string> write_history_chart(const std::string& dir, const std::string& name, const std::string& title,
                                             const std::vector<HistoryPoint>& points);

}  // namespace capplan::plots
