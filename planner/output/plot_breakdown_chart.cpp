#include "planner/output/plot_breakdown_chart.h"

#include <algorithm>

#include <fmt/format.h>

#include "planner/base/errors.h"
#include "planner/output/plot_labels.h"

namespace capplan::plots {

namespace {

// The sum of the data's first `n` value columns as a gnuplot expression: (0), ($2), ($2+$3), ...
std::string column_sum(std::size_t n) {
  std::string sum;
  for (std::size_t i = 0; i < n; ++i) sum += fmt::format("{}${}", i ? "+" : "", i + 2);
  return "(" + (n ? sum : std::string("0")) + ")";
}

// The largest stacked height or total on any date [the metric's unit].
double stacked_top(const Breakdown& b, const std::vector<double>& total) {
  double top = 0.0;
  for (std::size_t d = 0; d < b.dates.size(); ++d) {
    double height = 0.0;
    for (const auto& values : b.values) height += values[d];
    top = std::max({top, height, d < total.size() ? total[d] : 0.0});
  }
  return top;
}

// One filled area per scope between the sums below and with it, then the total's line.
std::string plot_command(const BreakdownChart& chart, const Breakdown& b, const std::string& statistic_words) {
  std::string plot = "plot ";
  for (std::size_t i = 0; i < b.scopes.size(); ++i) {
    plot += fmt::format("{}'{}.dat' using 1:{}:{} with filledcurves fc rgb '{}' fs solid 0.75 noborder title {}",
                        i ? ", \\\n  " : "", chart.file, column_sum(i), column_sum(i + 1), series_colour(i),
                        gp(scope_id(b.scopes[i])));
  }
  plot += fmt::format(", \\\n  '' using 1:{} with lines lw 2.5 dt 2 lc rgb '#222222' title {}\n", b.scopes.size() + 2,
                      gp("Total (" + statistic_words + ")"));
  return plot;
}

}  // namespace

Breakdown breakdown_of(const CsvTable& forecast_by, const QuantileColumns& q, const std::string& kind,
                       const std::string& metric) {
  Breakdown b;
  b.statistic = central_column(q);
  for (const auto& scope : scopes_of(forecast_by)) {
    if (!is_scope_of(scope, kind)) continue;
    const Series s = metric_series(forecast_by, q, metric, scope);
    if (!b.scopes.empty() && s.dates != b.dates) {
      throw UsageError(forecast_by.file() + ": scope " + scope + " has other report dates than " + b.scopes.front());
    }
    b.scopes.push_back(scope);
    b.dates = s.dates;
    b.values.push_back(central_values(s, q));
  }
  if (b.scopes.empty()) throw UsageError(forecast_by.file() + ": no " + kind + " scopes");
  return b;
}

std::string stacked_area_data(const Breakdown& b, const std::vector<double>& total, const Scale& scale) {
  std::string data = "# date";
  for (const auto& scope : b.scopes) data += " " + scope;
  data += " total (" + b.statistic + ")\n";
  for (std::size_t d = 0; d < b.dates.size(); ++d) {
    data += format_date(b.dates[d]);
    for (const auto& values : b.values) data += " " + num(values[d] / scale.divisor);
    data += " " + (d < total.size() ? num(total[d] / scale.divisor) : std::string("NaN")) + "\n";
  }
  return data;
}

std::vector<BreakdownChart> breakdown_charts(const std::vector<std::string>& scopes) {
  std::vector<BreakdownChart> charts;
  for (const char* kind : {"site", "system"}) {
    if (std::none_of(scopes.begin(), scopes.end(), [&](const std::string& s) { return is_scope_of(s, kind); })) {
      continue;
    }
    for (const auto& total : fan_charts()) {
      charts.push_back({std::string("by-") + kind + "-" + metric_file_part(total.metric), kind, total});
    }
  }
  return charts;
}

void breakdown_chart(const WorkDir& work, const std::string& gnuplot, const std::string& scenario,
                     const CsvTable& forecast, const CsvTable& forecast_by, const QuantileColumns& q,
                     const BreakdownChart& chart) {
  const Breakdown b = breakdown_of(forecast_by, q, chart.kind, chart.total.metric);
  const std::vector<double> total = central_values(metric_series(forecast, q, chart.total.metric), q);
  const Scale scale = scale_for(stacked_top(b, total), chart.total.quantity, chart.total.unit);
  work.write(chart.file + ".dat", stacked_area_data(b, total, scale));

  const std::string statistic_words = q.mid.empty() ? "mean" : "median";
  std::string plot = preamble(fmt::format("{}: {} by {} ({}s, stacked)", scenario, chart.total.title,
                                          chart.kind == "site" ? "site" : "system type", statistic_words));
  plot += date_axis(b.dates.front(), b.dates.back());
  plot += "set ylabel " + gp(scale.axis) + "\n";
  plot += "set yrange [0:*]\nset offsets 0, 0, graph 0.05, 0\nset format y '%.10g'\n";
  plot += key_rows(b.scopes.size() + 1);
  plot += plot_command(chart, b, statistic_words);
  draw_chart(work, gnuplot, chart.file, plot);
}

}  // namespace capplan::plots
