#include "planner/output/plot_history_chart.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "planner/base/date.h"
#include "planner/output/plot_gnuplot.h"
#include "planner/output/plot_script.h"

namespace capplan::plots {

namespace {

constexpr std::size_t kMaxListedMoves = 6;
constexpr std::size_t kMaxLineBytes = 150;  // a listed move's line: about the chart's width
constexpr std::int64_t kSecondsPerDay = 86400;
constexpr std::int64_t kMinMarginSeconds = 60;  // around runs that all fall on one day
constexpr double kLineHeight = 0.028;           // a listed move's line [fraction of the chart's height]
constexpr double kKeyHeight = 0.075;            // the key at the bottom, which the list sits on [the same]

// Seconds since 1970-01-01 of "YYYY-MM-DDTHH:MM:SSZ" (midnight when the time is unreadable).
std::int64_t epoch_seconds(const std::string& started_utc) {
  const std::optional<DayNumber> day = parse_date(started_utc.substr(0, 10));
  if (!day) return 0;
  int hours = 0, minutes = 0, seconds = 0;
  if (std::sscanf(started_utc.c_str() + std::min<std::size_t>(10, started_utc.size()), "T%2d:%2d:%2d", &hours, &minutes,
                  &seconds) != 3) {
    hours = minutes = seconds = 0;
  }
  return *day * kSecondsPerDay + hours * 3600 + minutes * 60 + seconds;
}

// `text` cut to `bytes` (at a character boundary) with "..." when longer.
std::string shortened(const std::string& text, std::size_t bytes) {
  if (text.size() <= bytes) return text;
  std::size_t end = bytes - 3;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end) + "...";
}

// The time axis: dates when the runs span days, else hours of their one day.
// Data and label positions are then read as seconds since 1970 (timefmt '%s').
std::string time_axis(std::int64_t first, std::int64_t last) {
  const DayNumber first_day = first / kSecondsPerDay, last_day = last / kSecondsPerDay;
  std::string s;
  if (last_day > first_day) {
    s = date_axis(first_day, last_day + 1);
  } else {
    s = "set xdata time\nset timefmt '%s'\n";
    const std::int64_t margin = std::max(kMinMarginSeconds, (last - first) / 20);
    s += fmt::format("set xrange ['{}':'{}']\n", first - margin, last + margin);
    s += "set format x '%H:%M'\nset xtics autofreq\n";
    s += "set xlabel " + gp("Run time on " + format_date(first_day) + " (UTC)") + "\n";
  }
  return s + "set timefmt '%s'\n";
}

// Each significant move is tagged "#<run id>" at its point, and the last
// kMaxListedMoves are listed with their labels under the chart, in a bottom
// margin made tall enough for them.
std::string move_labels(const std::vector<HistoryPoint>& points) {
  std::vector<const HistoryPoint*> moves;
  for (const HistoryPoint& point : points) {
    if (point.significant) moves.push_back(&point);
  }
  std::string s;
  const std::size_t listed = std::min(moves.size(), kMaxListedMoves), first_listed = moves.size() - listed;
  for (std::size_t i = 0; i < moves.size(); ++i) {
    const HistoryPoint& move = *moves[i];
    const std::string tag = "#" + std::to_string(move.run_id);
    s += fmt::format("set label {} at '{}', {} center offset 0,{} front textcolor rgb '#b2182b'\n", gp(tag),
                     epoch_seconds(move.started_utc), num(move.probability), move.probability > 0.9 ? -1.6 : 1.6);
    if (i < first_listed) continue;
    const double y = kKeyHeight + kLineHeight * static_cast<double>(moves.size() - 1 - i);
    s += fmt::format("set label {} at screen 0.02, {} left textcolor rgb '#b2182b'\n",
                     gp(shortened(tag + "  " + move.label, kMaxLineBytes)), num(y));
  }
  if (listed > 0) s += fmt::format("set bmargin {}\n", num(6.0 + 1.3 * static_cast<double>(listed)));
  return s;
}

}  // namespace

std::vector<std::string> write_history_chart(const std::string& dir, const std::string& name, const std::string& title,
                                             const std::vector<HistoryPoint>& points) {
  if (points.empty()) return {};
  const WorkDir work(dir);
  std::string data;
  bool any_significant = false;
  std::int64_t first = epoch_seconds(points.front().started_utc), last = first;
  for (const HistoryPoint& point : points) {
    const std::int64_t x = epoch_seconds(point.started_utc);
    first = std::min(first, x);
    last = std::max(last, x);
    any_significant = any_significant || point.significant;
    data += fmt::format("{} {} {} {} {}\n", x, num(point.probability), num(point.ci_lo), num(point.ci_hi),
                        point.significant ? 1 : 0);
  }
  work.write(name + ".dat", data);
  std::string plot = preamble(title) + time_axis(first, last) + probability_axis("y");
  plot += "set ylabel 'P(met)'\n" + move_labels(points);
  plot += fmt::format(
      "plot '{0}.dat' using 1:3:4 with filledcurves lc rgb '#9ecae1' fs solid 0.5 noborder title '95% interval', \\\n"
      "  '{0}.dat' using 1:2 with linespoints lw 2.5 pt 7 ps POINT lc rgb '#08519c' title 'P(met) per run'",
      name);
  if (any_significant) {
    plot += fmt::format(
        ", \\\n  '{}.dat' using 1:($5 > 0 ? $2 : NaN) with points pt 6 ps 2.5*POINT lw 2 lc rgb '#b2182b' "
        "title 'significant move'",
        name);
  }
  draw_chart(work, find_gnuplot(), name, plot + "\n");
  return move_into_place(work, dir, {name});
}

}  // namespace capplan::plots
