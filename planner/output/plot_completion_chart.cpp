#include "planner/output/plot_completion_chart.h"

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "planner/base/date.h"
#include "planner/base/errors.h"
#include "planner/output/plot_labels.h"
#include "planner/output/plot_script.h"

namespace capplan::plots {

namespace {

// The curves as gnuplot data: one block per outcome (blocks apart by two blank lines).
struct Curves {
  std::string data;
  std::vector<std::string> drawn;  // outcome names, one per block
  DayNumber first = 0, last = 0;
};

Curves completion_curves(const CsvTable& cdf, const std::vector<OutcomeDates>& outcomes, const CompletionChart& chart) {
  const std::size_t c_name = cdf.column(chart.item_column), c_date = cdf.column("date"),
                    c_p = cdf.column(chart.probability_column);
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::pair<DayNumber, double>>> points_of;
  for (const auto& t : outcomes) order.push_back(t.name);
  for (std::size_t r = 0; r < cdf.rows().size(); ++r) {
    const std::string& name = cdf.rows()[r][c_name];
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
    points_of[name].emplace_back(cdf.date(r, c_date), cdf.number(r, c_p));
  }
  Curves curves;
  bool any = false;
  for (const auto& name : order) {
    auto it = points_of.find(name);
    if (it == points_of.end()) continue;
    auto& points = it->second;
    std::stable_sort(points.begin(), points.end());
    for (const auto& [day, p] : points) {
      curves.data += format_date(day) + " " + num(p) + "\n";
      curves.first = any ? std::min(curves.first, day) : day;
      curves.last = any ? std::max(curves.last, day) : day;
      any = true;
    }
    curves.data += "\n\n";
    curves.drawn.push_back(name);
  }
  if (!any) throw UsageError(cdf.file() + ": no rows");
  return curves;
}

// A curve's key entry: the outcome, its probability by `last` and its median date.
std::string curve_title(const std::string& name, const std::vector<OutcomeDates>& outcomes, DayNumber last) {
  std::string title = name;
  for (const auto& t : outcomes) {
    if (t.name != name) continue;
    title += ": " + percent(t.probability) + " by " + format_date(last);
    if (!t.mid.empty() && t.mid != "after-horizon") title += ", median " + t.mid;
  }
  return title;
}

}  // namespace

const CompletionChart& tranche_completion_chart() {
  static const CompletionChart kChart{"tranche-completion", "tranche", "probability_complete",
                                      "tranche completion (probability complete by date)",
                                      "Probability complete (0 to 1)"};
  return kChart;
}

const CompletionChart& milestone_chart() {
  static const CompletionChart kChart{"milestones", "milestone", "probability_reached",
                                      "milestones (probability reached by date)", "Probability reached (0 to 1)"};
  return kChart;
}

void completion_chart(const WorkDir& work, const std::string& gnuplot, const std::string& scenario, const CsvTable& cdf,
                      const std::vector<OutcomeDates>& outcomes, const CompletionChart& chart) {
  const Curves curves = completion_curves(cdf, outcomes, chart);
  work.write(chart.file + ".dat", curves.data);

  const std::vector<std::string>& drawn = curves.drawn;
  std::string plot = preamble(scenario + ": " + chart.title);
  plot += date_axis(curves.first, curves.last);
  plot += "set ylabel " + gp(chart.axis) + "\n";
  plot += "set yrange [-0.02:1.02]\nset ytics 0, 0.1, 1\nset format y '%.1f'\n";
  plot += "set arrow 1 from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 3 lw 1.2 lc rgb '#888888' back\n";
  plot += "set label 1 'median' at graph 0.005, first 0.5 left offset 0, 0.6 tc rgb '#666666'\n";
  plot += key_rows(drawn.size());
  plot += "plot ";
  for (std::size_t i = 0; i < drawn.size(); ++i) {
    plot += fmt::format("{}'{}.dat' index {} using 1:2 with lines lw 2.5 lc rgb '{}' dt {} title {}",
                        i ? ", \\\n  " : "", chart.file, i, series_colour(i), 1 + static_cast<int>(i / 10) % 4,
                        gp(curve_title(drawn[i], outcomes, curves.last)));
  }
  plot += "\n";
  draw_chart(work, gnuplot, chart.file, plot);
}

}  // namespace capplan::plots
