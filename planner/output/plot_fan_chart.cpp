#include "planner/output/plot_fan_chart.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

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

// How a metric is named on charts and in their file names.
struct MetricWords {
  std::string file_part, title, quantity, unit;
};

// The words of `metric`; a metric this version does not know is named as it is.
MetricWords words_of(const std::string& metric) {
  static const std::map<std::string, MetricWords> kWords = {
      {"delivered_systems", {"delivered-systems", "delivered systems", "Delivered systems", "systems"}},
      {"installed_systems", {"installed-systems", "installed systems", "Installed systems", "systems"}},
      {"online_systems", {"online-systems", "online systems", "Online systems", "systems"}},
      {"available_accelerators",
       {"available-accelerators", "available accelerators", "Available accelerators", "GPUs/chips"}},
      {"facility_power_mw", {"facility-power", "facility power", "Facility power", "MW"}},
      {"peak_pflops", {"peak-pflops", "peak compute", "Peak compute", "PFLOPS"}},
      {"effective_pflops", {"effective-pflops", "effective compute", "Effective compute", "PFLOPS"}},
      {"delivered_flop_e24",
       {"delivered-compute", "cumulative delivered compute", "Cumulative delivered compute", "10²⁴ FLOP"}},
  };
  const auto it = kWords.find(metric);
  return it == kWords.end() ? MetricWords{file_part(metric), metric, metric, ""} : it->second;
}

// The fan chart FILE of `metric` in `scope`, titled with the metric's words (and the scope's).
FanChart chart_of(const std::string& file, const std::string& metric, const std::string& scope) {
  const MetricWords words = words_of(metric);
  const std::string title = scope == kTotalScope ? words.title : words.title + ", " + scope_words(scope);
  return {file, metric, scope, title, words.quantity, words.unit};
}

}  // namespace

std::string file_part(const std::string& text) {
  std::string part = text;
  for (char& c : part) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '-';
  }
  return part;
}

std::string metric_file_part(const std::string& metric) { return words_of(metric).file_part; }

const std::vector<FanChart>& fan_charts() {
  static const std::vector<FanChart> kCharts = {
      chart_of("fan-available-accelerators", "available_accelerators", kTotalScope),
      chart_of("fan-effective-pflops", "effective_pflops", kTotalScope),
      chart_of("delivered-compute", "delivered_flop_e24", kTotalScope),
  };
  return kCharts;
}

std::vector<FanChart> scope_fan_charts(const std::vector<std::string>& scopes, const std::vector<TargetRow>& targets) {
  std::vector<FanChart> charts;
  auto add = [&](const std::string& scope, const std::string& metric) {
    const std::string file = "fan-" + file_part(scope) + "-" + metric_file_part(metric);
    const bool drawn = std::any_of(charts.begin(), charts.end(), [&](const FanChart& c) { return c.file == file; });
    if (!drawn && std::find(scopes.begin(), scopes.end(), scope) != scopes.end()) {
      charts.push_back(chart_of(file, metric, scope));
    }
  };
  for (const auto& total : fan_charts()) add(kLargestSiteScope, total.metric);
  for (const auto& t : targets) {
    if (t.scope != kTotalScope) add(t.scope, t.metric);
  }
  return charts;
}

void fan_chart(const WorkDir& work, const std::string& gnuplot, const std::string& scenario, const CsvTable& forecast,
               const QuantileColumns& q, const std::vector<TargetRow>& all_targets, const FanChart& chart) {
  const Series s = metric_series(forecast, q, chart.metric, chart.scope);
  std::vector<TargetRow> targets;
  for (const auto& t : all_targets) {
    if (t.metric == chart.metric && t.scope == chart.scope) targets.push_back(t);
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
