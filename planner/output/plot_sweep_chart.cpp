#include "planner/output/plot_sweep_chart.h"

#include <algorithm>
#include <cstddef>

#include <fmt/format.h>

#include "planner/base/date.h"
#include "planner/output/plot_gnuplot.h"
#include "planner/output/plot_script.h"

namespace capplan::plots {

namespace {

constexpr std::size_t kMaxTickLabels = 15;
constexpr std::size_t kMaxLabelledCells = 400;

bool all_numbers(const SweepAxis& axis) {
  return std::all_of(axis.numbers.begin(), axis.numbers.end(), [](const auto& n) { return n.has_value(); });
}

// Tick labels at the indices 0 .. n-1 (at most kMaxTickLabels of them), for an axis of values as labels.
std::string index_ticks(const char* which, const SweepAxis& axis) {
  const std::size_t n = axis.labels.size(), every = (n + kMaxTickLabels - 1) / kMaxTickLabels;
  std::string s = fmt::format("set {}tics (", which);
  for (std::size_t i = 0; i < n; i += every) s += (i ? ", " : "") + gp(axis.labels[i]) + " " + std::to_string(i);
  return s + ")\n";
}

// The x coordinate of value i in a data file: a date, a number or the index.
std::string x_of(const SweepAxis& axis, std::size_t i, bool numeric) {
  if (!numeric) return std::to_string(i);
  if (axis.dates) return format_date(static_cast<DayNumber>(*axis.numbers[i]));
  return num(*axis.numbers[i]);
}

void line_chart(const WorkDir& work, const std::string& gnuplot, const std::string& name, const std::string& scenario,
                const SweepAxis& axis, const SweepCurve& curve) {
  const bool numeric = all_numbers(axis);
  std::string data;
  for (std::size_t i = 0; i < axis.labels.size(); ++i) {
    data += x_of(axis, i, numeric) + " " + num(curve.probability[i]) + " " + num(curve.ci_lo[i]) + " " +
            num(curve.ci_hi[i]) + "\n";
  }
  work.write(name + ".dat", data);
  std::string plot = preamble(scenario + ": P(" + curve.target + " met) by " + axis.path);
  if (numeric && axis.dates) {
    const auto [low, high] = std::minmax_element(axis.numbers.begin(), axis.numbers.end());
    plot += date_axis(static_cast<DayNumber>(**low), static_cast<DayNumber>(**high));
  } else if (!numeric) {
    plot += fmt::format("set xrange [-0.5:{}]\n", axis.labels.size() - 0.5) + index_ticks("x", axis);
  }
  plot += "set xlabel " + gp(axis.path) + "\n";
  plot += "set ylabel " + gp("P(" + curve.target + " met)") + "\n" + probability_axis("y");
  plot += fmt::format(
      "plot '{0}.dat' using 1:3:4 with filledcurves lc rgb '#9ecae1' fs solid 0.5 noborder title '95% interval', \\\n"
      "  '{0}.dat' using 1:2 with linespoints lw 2.5 pt 7 ps POINT lc rgb '#08519c' title 'P(met)'\n",
      name);
  draw_chart(work, gnuplot, name, plot);
}

void heat_map(const WorkDir& work, const std::string& gnuplot, const std::string& name, const std::string& scenario,
              const SweepAxis& slow, const SweepAxis& fast, const SweepCurve& curve) {
  // Points run with the first (slow) axis outermost: point = i * fast + j; x is the fast axis.
  std::string data;
  const std::size_t rows = slow.labels.size(), columns = fast.labels.size();
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < columns; ++j) {
      data += fmt::format("{} {} {}\n", j, i, num(curve.probability[i * columns + j]));
    }
    data += "\n";
  }
  work.write(name + ".dat", data);
  std::string plot = preamble(scenario + ": P(" + curve.target + " met) by " + fast.path + " and " + slow.path);
  plot += fmt::format("set xrange [-0.5:{}]\nset yrange [-0.5:{}]\n", columns - 0.5, rows - 0.5);
  plot += index_ticks("x", fast) + index_ticks("y", slow);
  plot += "set xlabel " + gp(fast.path) + "\nset ylabel " + gp(slow.path) + "\n";
  plot += "set cbrange [0:1]\nset cblabel " + gp("P(" + curve.target + " met)") + "\n";
  plot += "set palette defined (0 '#b2182b', 0.5 '#f7f7f7', 1 '#2166ac')\nset grid noxtics noytics\n";
  plot += fmt::format("plot '{}.dat' using 1:2:3 with image notitle", name);
  if (rows * columns <= kMaxLabelledCells) {
    plot += fmt::format(", \\\n  '{}.dat' using 1:2:(sprintf('%.2f', $3)) with labels notitle", name);
  }
  draw_chart(work, gnuplot, name, plot + "\n");
}

}  // namespace

std::vector<std::string> write_sweep_chart(const std::string& dir, const std::string& scenario,
                                           const std::vector<SweepAxis>& axes, const SweepCurve& curve) {
  const std::string name = "sweep-" + curve.target;
  const WorkDir work(dir);
  const std::string gnuplot = find_gnuplot();
  if (axes.size() == 1) line_chart(work, gnuplot, name, scenario, axes[0], curve);
  if (axes.size() == 2) heat_map(work, gnuplot, name, scenario, axes[0], axes[1], curve);
  if (axes.empty() || axes.size() > 2) return {};
  return move_into_place(work, dir, {name});
}

}  // namespace capplan::plots
