#include "planner/output/plot_tornado_chart.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "planner/output/plot_script.h"

namespace capplan::plots {

namespace {

// Bars as gnuplot boxxyerror data, split by sign, and the inputs as y tick labels.
struct Bars {
  std::string positive, negative, ticks;
  double largest = 0.0;  // largest |spearman|
};

// The first `n` drivers, top to bottom: row i sits at y = n - i.
Bars driver_bars(const Drivers& drivers, std::size_t n) {
  Bars bars;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& row = drivers.rows[i];
    const double y = static_cast<double>(n - i);
    const std::string line =
        fmt::format("0 {} {} {} {} {} {}\n", num(y), num(std::min(0.0, row.spearman)), num(std::max(0.0, row.spearman)),
                    num(y - 0.36), num(y + 0.36), num(row.spearman));
    (row.spearman >= 0 ? bars.positive : bars.negative) += line;
    bars.ticks += (i ? ", " : "") + gp(row.input) + " " + num(y);
    bars.largest = std::max(bars.largest, std::fabs(row.spearman));
  }
  return bars;
}

// x ticks every 0.1 (0.2 when the axis reaches past ±0.5), only inside [-1, 1].
std::string correlation_ticks(double limit) {
  const double step = limit > 0.5 ? 0.2 : 0.1;
  std::string xticks;
  const double tick_limit = std::min(1.0, limit);
  for (int k = -static_cast<int>(std::floor(tick_limit / step + 1e-9)); k * step <= tick_limit + 1e-9; ++k) {
    const double x = k * step;
    xticks += std::string(xticks.empty() ? "" : ", ") + "'" + (k == 0 ? std::string("0") : fmt::format("{:+.1f}", x)) +
              "' " + num(x);
  }
  return "set xtics (" + xticks + ")\n";
}

// Writes the bars' data files and returns the plot command drawing them with their values.
std::string plot_bars(const WorkDir& work, const Bars& bars, bool accelerators) {
  const std::string more = accelerators ? "more accelerators" : "more compute";
  const std::string fewer = accelerators ? "fewer accelerators" : "less compute";
  std::vector<std::string> parts;
  if (!bars.positive.empty()) {
    work.write("tornado-positive.dat", bars.positive);
    parts.push_back("'tornado-positive.dat' using 1:2:3:4:5:6 with boxxyerror lc rgb '#2b6cb0' title " +
                    gp("Higher input, " + more));
    parts.push_back(
        "'tornado-positive.dat' using 7:2:(sprintf('%+.2f', $7)) with labels left offset 0.6, 0 tc rgb '#333333'");
  }
  if (!bars.negative.empty()) {
    work.write("tornado-negative.dat", bars.negative);
    parts.push_back("'tornado-negative.dat' using 1:2:3:4:5:6 with boxxyerror lc rgb '#c0392b' title " +
                    gp("Higher input, " + fewer));
    parts.push_back(
        "'tornado-negative.dat' using 7:2:(sprintf('%+.2f', $7)) with labels right offset -0.6, 0 tc rgb "
        "'#333333'");
  }
  std::string plot = "plot ";
  for (std::size_t i = 0; i < parts.size(); ++i) plot += (i ? ", \\\n  " : "") + parts[i];
  return plot + "\n";
}

}  // namespace

void tornado_chart(const WorkDir& work, const std::string& gnuplot, const std::string& scenario,
                   const Drivers& drivers) {
  const std::size_t n = std::min<std::size_t>(12, drivers.rows.size());
  const Bars bars = driver_bars(drivers, n);
  // Room beyond the longest bar for its value label; ticks only inside [-1, 1].
  const double limit = std::max(0.1, std::ceil(bars.largest * 1.3 * 10.0) / 10.0);
  const bool accelerators = drivers.output == "available_accelerators";
  const std::string output = accelerators ? "available accelerators" : "cumulative delivered compute";
  std::string plot = preamble(scenario + ": top drivers of " + output + " on " + drivers.date);
  plot += "set xlabel " + gp("Spearman rank correlation with " + output + " on " + drivers.date) + "\n";
  // Bars keep a sensible thickness when there are only a few drivers.
  const double pad = n < 6 ? (6.0 - static_cast<double>(n)) / 2.0 : 0.0;
  plot += fmt::format("set xrange [{}:{}]\nset yrange [{}:{}]\n", num(-limit), num(limit), num(0.4 - pad),
                      num(static_cast<double>(n) + 0.6 + pad));
  plot += correlation_ticks(limit);
  plot += "set ytics (" + bars.ticks + ") scale 0\n";
  plot += "set grid noytics xtics\n";
  plot += "set border 1\n";
  plot += "set arrow 1 from 0, graph 0 to 0, graph 1 nohead lw 1.5 lc rgb '#444444' front\n";
  plot += "set style fill solid 0.85 noborder\n";
  plot += plot_bars(work, bars, accelerators);
  draw_chart(work, gnuplot, "tornado", plot);
}

}  // namespace capplan::plots
