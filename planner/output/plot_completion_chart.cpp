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

const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

// The curves as gnuplot data: one block per tranche (blocks apart by two blank lines).
struct Curves {
  std::string data;
  std::vector<std::string> drawn;  // tranche names, one per block
  DayNumber first = 0, last = 0;
};

Curves completion_curves(const CsvTable& cdf, const std::vector<TrancheRow>& tranches) {
  const std::size_t c_tranche = cdf.column("tranche"), c_date = cdf.column("date"),
                    c_p = cdf.column("probability_complete");
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::pair<DayNumber, double>>> points_of;
  for (const auto& t : tranches) order.push_back(t.name);
  for (std::size_t r = 0; r < cdf.rows().size(); ++r) {
    const std::string& name = cdf.rows()[r][c_tranche];
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

// A curve's key entry: the tranche, its probability by `last` and its median completion.
std::string curve_title(const std::string& name, const std::vector<TrancheRow>& tranches, DayNumber last) {
  std::string title = name;
  for (const auto& t : tranches) {
    if (t.name != name) continue;
    title += ": " + percent(t.probability) + " by " + format_date(last);
    if (!t.mid.empty() && t.mid != "after-horizon") title += ", median " + t.mid;
  }
  return title;
}

}  // namespace

void completion_chart(const WorkDir& work, const std::string& gnuplot, const std::string& scenario, const CsvTable& cdf,
                      const std::vector<TrancheRow>& tranches) {
  const Curves curves = completion_curves(cdf, tranches);
  work.write("tranche-completion.dat", curves.data);

  const std::vector<std::string>& drawn = curves.drawn;
  std::string plot = preamble(scenario + ": tranche completion (probability complete by date)");
  plot += date_axis(curves.first, curves.last);
  plot += "set ylabel 'Probability complete (0 to 1)'\n";
  plot += "set yrange [-0.02:1.02]\nset ytics 0, 0.1, 1\nset format y '%.1f'\n";
  plot += "set arrow 1 from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 3 lw 1.2 lc rgb '#888888' back\n";
  plot += "set label 1 'median' at graph 0.005, first 0.5 left offset 0, 0.6 tc rgb '#666666'\n";
  plot += "set key width 0\n";
  if (drawn.size() > 3) plot += fmt::format("set key maxrows {}\n", (drawn.size() + 2) / 3);
  plot += "plot ";
  for (std::size_t i = 0; i < drawn.size(); ++i) {
    plot += fmt::format("{}'tranche-completion.dat' index {} using 1:2 with lines lw 2.5 lc rgb '{}' dt {} title {}",
                        i ? ", \\\n  " : "", i, kPalette[i % 10], 1 + static_cast<int>(i / 10) % 4,
                        gp(curve_title(drawn[i], tranches, curves.last)));
  }
  plot += "\n";
  draw_chart(work, gnuplot, "tranche-completion", plot);
}

}  // namespace capplan::plots
