#include "planner/output/plot_fan_chart.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "planner/base/date.h"
#include "planner/output/plot_labels.h"
#include "planner/output/plot_script.h"

namespace capplan::plots {

namespace {

// Where a target's label sits.
struct Placed {
  double x, y;  // fractions of the plot area
  bool right;   // label to the left of its marker
};

// The plot's data file: date, then mean, low, mid and high in the chart's scale.
std::string series_data(const Series& s, const Scale& scale) {
  std::string data = "# date mean low mid high\n";
  for (std::size_t i = 0; i < s.dates.size(); ++i) {
    data += format_date(s.dates[i]) + " " + num(s.mean[i] / scale.divisor) + " " + num(s.low[i] / scale.divisor) + " " +
            num(s.mid[i] / scale.divisor) + " " + num(s.high[i] / scale.divisor) + "\n";
  }
  return data;
}

// Target labels: beside their marker, on the side with room, nudged apart when
// they would overlap. Appends the label commands to `plot` and returns the
// markers' data (date, threshold in the chart's scale).
std::string target_labels(const std::vector<TargetRow>& targets, DayNumber first, DayNumber last, double top,
                          const Scale& scale, std::string& plot) {
  const double span = static_cast<double>(std::max<DayNumber>(1, last - first));
  const double y_top = top * 1.1 > 0 ? top * 1.1 : 1.0;
  std::vector<Placed> placed;
  std::string target_data;
  int label_id = 100;
  for (const auto& t : targets) {
    Placed p{static_cast<double>(t.date - first) / span, t.threshold / y_top, false};
    p.right = p.x > 0.55;
    double nudge = 0.0;  // in character heights
    for (const auto& other : placed) {
      if (other.right == p.right && std::fabs(other.x - p.x) < 0.35 && std::fabs(other.y - p.y) < 0.05) {
        nudge = (p.y >= other.y ? 1.0 : -1.0) * 1.4;
      }
    }
    placed.push_back(p);
    const std::string label = t.name + ": P = " + percent(t.probability);
    plot += fmt::format("set label {} {} at {}, {} {} offset {}, {} boxed front tc rgb '#8b1a1a'\n", label_id++,
                        gp(label), gp_date(t.date), num(t.threshold / scale.divisor), p.right ? "right" : "left",
                        p.right ? -2.5 : 2.5, nudge);
    target_data += format_date(t.date) + " " + num(t.threshold / scale.divisor) + "\n";
  }
  return target_data;
}

// The plot command: the band, the median if there is one, the mean and the targets.
std::string plot_command(const FanChart& chart, const QuantileColumns& q, bool has_targets) {
  const std::string band = fmt::format("{}–{} range ({:g}% of trials)", q.low_label(), q.high_label(), q.coverage());
  std::string plot = "plot '" + chart.file +
                     ".dat' using 1:3:5 with filledcurves fc rgb '#9ecae1' fs solid 0.6 noborder title " + gp(band);
  if (!q.mid.empty()) {
    plot += ", \\\n  '' using 1:4 with linespoints lw 3 pt 7 ps 0.5*POINT lc rgb '#08519c' title 'Median (P50)'";
  }
  plot += ", \\\n  '' using 1:2 with lines lw 2 dt 2 lc rgb '#333333' title 'Mean'";
  if (has_targets) {
    plot += ", \\\n  '" + chart.file +
            "-targets.dat' using 1:2 with points pt 13 ps POINT lc rgb '#c0392b' title 'Target (P = probability of "
            "meeting it)'";
  }
  return plot + "\n";
}

}  // namespace

const std::vector<FanChart>& fan_charts() {
  static const std::vector<FanChart> kCharts = {
      {"fan-available-accelerators", "available_accelerators", "available accelerators", "Available accelerators",
       "GPUs/chips"},
      {"fan-effective-pflops", "effective_pflops", "effective compute", "Effective compute", "PFLOPS"},
      {"delivered-compute", "delivered_flop_e24", "cumulative delivered compute", "Cumulative delivered compute",
       "10²⁴ FLOP"},
  };
  return kCharts;
}

void fan_chart(const WorkDir& work, const std::string& gnuplot, const std::string& scenario, const CsvTable& forecast,
               const QuantileColumns& q, const std::vector<TargetRow>& all_targets, const FanChart& chart) {
  const Series s = metric_series(forecast, q, chart.metric);
  std::vector<TargetRow> targets;
  for (const auto& t : all_targets) {
    if (t.metric == chart.metric) targets.push_back(t);
  }
  double top = 0.0;
  for (double v : s.high) top = std::max(top, v);
  for (double v : s.mean) top = std::max(top, v);
  for (const auto& t : targets) top = std::max(top, t.threshold);
  const Scale scale = scale_for(top, chart.quantity, chart.unit);
  work.write(chart.file + ".dat", series_data(s, scale));

  DayNumber first = s.dates.front(), last = s.dates.back();
  for (const auto& t : targets) {
    first = std::min(first, t.date);
    last = std::max(last, t.date);
  }
  std::string plot = preamble(scenario + ": " + chart.title);
  plot += date_axis(first, last);
  plot += "set ylabel " + gp(scale.axis) + "\n";
  plot += "set yrange [0:*]\nset offsets 0, 0, graph 0.08, 0\n";
  plot += "set format y '%.10g'\nset key maxrows 2\n";
  const std::string target_data = target_labels(targets, first, last, top, scale, plot);
  if (!targets.empty()) work.write(chart.file + "-targets.dat", target_data);
  plot += plot_command(chart, q, !targets.empty());
  draw_chart(work, gnuplot, chart.file, plot);
}

}  // namespace capplan::plots
