#include "planner/plots.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "planner/date.h"
#include "planner/errors.h"
#include "planner/plot_csv.h"
#include "planner/plot_gnuplot.h"
#include "planner/plot_inputs.h"
#include "planner/plot_labels.h"
#include "planner/plot_script.h"

namespace capplan {

using namespace plots;

namespace {

namespace fs = std::filesystem;

struct FanChart {
  std::string file;  // base name
  std::string metric;
  std::string title;     // after the scenario name
  std::string quantity;  // axis words
  std::string unit;
};

struct Placed {
  double x, y;  // fractions of the plot area
  bool right;   // label to the left of its marker
};

// Fan chart of one metric, with the targets on that metric marked.
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

  std::string data = "# date mean low mid high\n";
  for (std::size_t i = 0; i < s.dates.size(); ++i) {
    data += format_date(s.dates[i]) + " " + num(s.mean[i] / scale.divisor) + " " + num(s.low[i] / scale.divisor) + " " +
            num(s.mid[i] / scale.divisor) + " " + num(s.high[i] / scale.divisor) + "\n";
  }
  work.write(chart.file + ".dat", data);

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

  // Target labels: beside their marker, on the side with room, nudged apart when they would overlap.
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
  if (!targets.empty()) work.write(chart.file + "-targets.dat", target_data);

  const std::string band = fmt::format("{}–{} range ({:g}% of trials)", q.low_label(), q.high_label(), q.coverage());
  plot += "plot '" + chart.file + ".dat' using 1:3:5 with filledcurves fc rgb '#9ecae1' fs solid 0.6 noborder title " +
          gp(band);
  if (!q.mid.empty()) {
    plot += ", \\\n  '' using 1:4 with linespoints lw 3 pt 7 ps 0.5*POINT lc rgb '#08519c' title 'Median (P50)'";
  }
  plot += ", \\\n  '' using 1:2 with lines lw 2 dt 2 lc rgb '#333333' title 'Mean'";
  if (!targets.empty()) {
    plot += ", \\\n  '" + chart.file +
            "-targets.dat' using 1:2 with points pt 13 ps POINT lc rgb '#c0392b' title 'Target (P = probability of "
            "meeting it)'";
  }
  plot += "\n";
  draw_chart(work, gnuplot, chart.file, plot);
}

const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

void completion_chart(const WorkDir& work, const std::string& gnuplot, const std::string& scenario, const CsvTable& cdf,
                      const std::vector<TrancheRow>& tranches) {
  const std::size_t c_tranche = cdf.column("tranche"), c_date = cdf.column("date"),
                    c_p = cdf.column("probability_complete");
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::pair<DayNumber, double>>> curves;
  for (const auto& t : tranches) order.push_back(t.name);
  for (std::size_t r = 0; r < cdf.rows().size(); ++r) {
    const std::string& name = cdf.rows()[r][c_tranche];
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
    curves[name].emplace_back(cdf.date(r, c_date), cdf.number(r, c_p));
  }
  DayNumber first = 0, last = 0;
  bool any = false;
  std::string data;
  std::vector<std::string> drawn;
  for (const auto& name : order) {
    auto it = curves.find(name);
    if (it == curves.end()) continue;
    auto& points = it->second;
    std::stable_sort(points.begin(), points.end());
    for (const auto& [day, p] : points) {
      data += format_date(day) + " " + num(p) + "\n";
      first = any ? std::min(first, day) : day;
      last = any ? std::max(last, day) : day;
      any = true;
    }
    data += "\n\n";
    drawn.push_back(name);
  }
  if (!any) throw UsageError(cdf.file() + ": no rows");
  work.write("tranche-completion.dat", data);

  std::string plot = preamble(scenario + ": tranche completion (probability complete by date)");
  plot += date_axis(first, last);
  plot += "set ylabel 'Probability complete (0 to 1)'\n";
  plot += "set yrange [-0.02:1.02]\nset ytics 0, 0.1, 1\nset format y '%.1f'\n";
  plot += "set arrow 1 from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 3 lw 1.2 lc rgb '#888888' back\n";
  plot += "set label 1 'median' at graph 0.005, first 0.5 left offset 0, 0.6 tc rgb '#666666'\n";
  plot += "set key width 0\n";
  if (drawn.size() > 3) plot += fmt::format("set key maxrows {}\n", (drawn.size() + 2) / 3);
  plot += "plot ";
  for (std::size_t i = 0; i < drawn.size(); ++i) {
    std::string title = drawn[i];
    for (const auto& t : tranches) {
      if (t.name != drawn[i]) continue;
      title += ": " + percent(t.probability) + " by " + format_date(last);
      if (!t.mid.empty() && t.mid != "after-horizon") title += ", median " + t.mid;
    }
    plot += fmt::format("{}'tranche-completion.dat' index {} using 1:2 with lines lw 2.5 lc rgb '{}' dt {} title {}",
                        i ? ", \\\n  " : "", i, kPalette[i % 10], 1 + static_cast<int>(i / 10) % 4, gp(title));
  }
  plot += "\n";
  draw_chart(work, gnuplot, "tranche-completion", plot);
}

void tornado_chart(const WorkDir& work, const std::string& gnuplot, const std::string& scenario,
                   const Drivers& drivers) {
  const std::size_t n = std::min<std::size_t>(12, drivers.rows.size());
  std::string positive, negative, ticks;
  double largest = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& row = drivers.rows[i];
    const double y = static_cast<double>(n - i);
    const std::string line =
        fmt::format("0 {} {} {} {} {} {}\n", num(y), num(std::min(0.0, row.spearman)), num(std::max(0.0, row.spearman)),
                    num(y - 0.36), num(y + 0.36), num(row.spearman));
    (row.spearman >= 0 ? positive : negative) += line;
    ticks += (i ? ", " : "") + gp(row.input) + " " + num(y);
    largest = std::max(largest, std::fabs(row.spearman));
  }
  // Room beyond the longest bar for its value label; ticks only inside [-1, 1].
  const double limit = std::max(0.1, std::ceil(largest * 1.3 * 10.0) / 10.0);
  const bool accelerators = drivers.output == "available_accelerators";
  const std::string output = accelerators ? "available accelerators" : "cumulative delivered compute";
  const std::string more = accelerators ? "more accelerators" : "more compute";
  const std::string fewer = accelerators ? "fewer accelerators" : "less compute";
  std::string plot = preamble(scenario + ": top drivers of " + output + " on " + drivers.date);
  plot += "set xlabel " + gp("Spearman rank correlation with " + output + " on " + drivers.date) + "\n";
  // Bars keep a sensible thickness when there are only a few drivers.
  const double pad = n < 6 ? (6.0 - static_cast<double>(n)) / 2.0 : 0.0;
  plot += fmt::format("set xrange [{}:{}]\nset yrange [{}:{}]\n", num(-limit), num(limit), num(0.4 - pad),
                      num(static_cast<double>(n) + 0.6 + pad));
  const double step = limit > 0.5 ? 0.2 : 0.1;
  std::string xticks;
  const double tick_limit = std::min(1.0, limit);
  for (int k = -static_cast<int>(std::floor(tick_limit / step + 1e-9)); k * step <= tick_limit + 1e-9; ++k) {
    const double x = k * step;
    xticks += std::string(xticks.empty() ? "" : ", ") + "'" + (k == 0 ? std::string("0") : fmt::format("{:+.1f}", x)) +
              "' " + num(x);
  }
  plot += "set xtics (" + xticks + ")\n";
  plot += "set ytics (" + ticks + ") scale 0\n";
  plot += "set grid noytics xtics\n";
  plot += "set border 1\n";
  plot += "set arrow 1 from 0, graph 0 to 0, graph 1 nohead lw 1.5 lc rgb '#444444' front\n";
  plot += "set style fill solid 0.85 noborder\n";
  std::vector<std::string> parts;
  if (!positive.empty()) {
    work.write("tornado-positive.dat", positive);
    parts.push_back("'tornado-positive.dat' using 1:2:3:4:5:6 with boxxyerror lc rgb '#2b6cb0' title " +
                    gp("Higher input, " + more));
    parts.push_back(
        "'tornado-positive.dat' using 7:2:(sprintf('%+.2f', $7)) with labels left offset 0.6, 0 tc rgb '#333333'");
  }
  if (!negative.empty()) {
    work.write("tornado-negative.dat", negative);
    parts.push_back("'tornado-negative.dat' using 1:2:3:4:5:6 with boxxyerror lc rgb '#c0392b' title " +
                    gp("Higher input, " + fewer));
    parts.push_back(
        "'tornado-negative.dat' using 7:2:(sprintf('%+.2f', $7)) with labels right offset -0.6, 0 tc rgb "
        "'#333333'");
  }
  plot += "plot ";
  for (std::size_t i = 0; i < parts.size(); ++i) plot += (i ? ", \\\n  " : "") + parts[i];
  plot += "\n";
  draw_chart(work, gnuplot, "tornado", plot);
}

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

}  // namespace

std::vector<std::string> write_plots(const std::string& out_dir) {
  const fs::path dir(out_dir);
  require_folder(dir);
  // Read and check every input before drawing anything.
  const RunFacts run = load_run(dir);
  const CsvTable forecast = load_table(dir, "forecast.csv");
  const QuantileColumns q = quantile_columns(forecast);
  const std::vector<TargetRow> targets = load_targets(load_table(dir, "targets.csv"));
  const std::vector<TrancheRow> tranches = load_tranches(load_table(dir, "tranches.csv"));
  const CsvTable cdf = load_table(dir, "completion_cdf.csv");
  const std::optional<Drivers> drivers = load_drivers(dir);
  const std::string gnuplot = find_gnuplot();

  const WorkDir work(dir);
  std::vector<std::string> names;
  for (const auto& chart : fan_charts()) {
    fan_chart(work, gnuplot, run.name, forecast, q, targets, chart);
    names.push_back(chart.file);
  }
  completion_chart(work, gnuplot, run.name, cdf, tranches);
  names.push_back("tranche-completion");
  if (drivers) {
    tornado_chart(work, gnuplot, run.name, *drivers);
    names.push_back("tornado");
  }

  // Every chart is drawn: move them into place (rename is atomic per file).
  std::vector<std::string> written;
  for (const auto& name : names) {
    for (const char* extension : {".svg", ".png"}) {
      const std::string file = name + extension;
      std::error_code ec;
      if (fs::file_size(work.path() / file, ec) == 0 || ec) {
        throw RuntimeFailure("gnuplot wrote no " + file + " (is its " +
                             std::string(extension == std::string(".png") ? "pngcairo" : "svg") +
                             " terminal available? " + kGnuplotInstallHint + ")");
      }
    }
  }
  for (const auto& name : names) {
    for (const char* extension : {".svg", ".png"}) {
      const std::string file = name + extension;
      std::error_code ec;
      fs::rename(work.path() / file, dir / file, ec);
      if (ec) throw RuntimeFailure("cannot move " + file + " into " + dir.string() + ": " + ec.message());
      written.push_back(file);
    }
  }
  return written;
}

namespace {

// Text for a Markdown table cell or paragraph: escapes what Markdown would interpret.
std::string md(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (std::strchr("\\`*_{}[]<>#|!~", c)) out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out;
}

// An identifier as inline code (backticks and pipes cannot be escaped inside code spans).
std::string code(const std::string& text) {
  std::string clean;
  for (const char c : text) {
    if (c != '`' && c != '|' && static_cast<unsigned char>(c) >= 0x20) clean += c;
  }
  return "`" + clean + "`";
}

std::string interval(double lo, double hi) { return percent(lo) + " – " + percent(hi); }

std::string completion_date(const std::string& text) { return text == "after-horizon" ? "after horizon" : text; }

}  // namespace

std::string summary_markdown(const std::string& out_dir) {
  const fs::path dir(out_dir);
  require_folder(dir);
  const RunFacts run = load_run(dir);
  const CsvTable forecast = load_table(dir, "forecast.csv");
  const QuantileColumns q = quantile_columns(forecast);
  const std::vector<TargetRow> targets = load_targets(load_table(dir, "targets.csv"));
  const CsvTable tranche_table = load_table(dir, "tranches.csv");
  const QuantileColumns tq = quantile_columns(tranche_table);
  const std::vector<TrancheRow> tranches = load_tranches(tranche_table);
  const std::optional<Drivers> drivers = load_drivers(dir);

  auto chart = [&](const std::string& name, const std::string& alt) -> std::string {
    std::error_code ec;
    if (!fs::is_regular_file(dir / (name + ".png"), ec)) return "";
    return "![" + md(alt) + "](" + name + ".png)\n\n";
  };

  std::string s;
  s += "# Capacity forecast: " + md(run.name) + "\n\n";
  s += "Monte Carlo forecast from **" + grouped(static_cast<double>(run.trials)) + " trials** (seed " +
       std::to_string(run.seed) + ") by capplan " + md(run.tool_version);
  if (!run.git_revision.empty()) s += " (revision " + code(run.git_revision) + ")";
  s += ". Intervals are 95% confidence intervals of the Monte Carlo estimate (how precisely the trials pin a value "
       "down); the spread between quantiles is the forecast's uncertainty.\n\n";

  // Headline targets.
  s += "## Targets\n\n";
  if (targets.empty()) {
    s += "The spec sets no targets.\n\n";
  } else {
    s += "| Target | Goal | Probability of meeting it | 95% interval |\n";
    s += "|:--|:--|--:|--:|\n";
    for (const auto& t : targets) {
      s += "| " + code(t.name) + " | " + md(metric_words(t.metric)) + " ≥ " + metric_value(t.metric, t.threshold) +
           " on " + format_date(t.date) + " | **" + percent(t.probability) + "** | " + interval(t.ci_lo, t.ci_hi) +
           " |\n";
    }
    s += "\n";
  }

  // Forecast table.
  const std::string lo = q.low_label(), hi = q.high_label();
  const bool has_mid = !q.mid.empty();
  s += "## Forecast by report date\n\n";
  s += fmt::format(
      "Quantiles across trials: {} (pessimistic), {}{} (optimistic). Accelerators are GPUs/chips available for "
      "work; effective PFLOPS is sustained compute after utilisation; delivered compute is cumulative, in 10²⁴ "
      "FLOP.\n\n",
      lo, has_mid ? "P50 (median), " : "", hi);
  const std::vector<std::pair<std::string, std::string>> columns = {
      {"available_accelerators", "Accelerators"}, {"effective_pflops", "PFLOPS"}, {"delivered_flop_e24", "10²⁴ FLOP"}};
  std::vector<Series> series;
  for (const auto& [metric, short_name] : columns) series.push_back(metric_series(forecast, q, metric));
  s += "| Date |";
  std::string align = "|:--|";
  for (const auto& [metric, short_name] : columns) {
    s += " " + short_name + " " + lo + " |";
    if (has_mid) s += " " + short_name + " P50 |";
    s += " " + short_name + " " + hi + " |";
    align += has_mid ? "--:|--:|--:|" : "--:|--:|";
  }
  s += "\n" + align + "\n";
  for (std::size_t i = 0; i < series[0].dates.size(); ++i) {
    s += "| " + format_date(series[0].dates[i]) + " |";
    for (std::size_t m = 0; m < columns.size(); ++m) {
      const Series& x = series[m];
      const std::string& metric = columns[m].first;
      if (i >= x.dates.size()) {
        s += has_mid ? " | | |" : " | |";
        continue;
      }
      s += " " + metric_value(metric, x.low[i]) + " |";
      if (has_mid) s += " **" + metric_value(metric, x.mid[i]) + "** |";
      s += " " + metric_value(metric, x.high[i]) + " |";
    }
    s += "\n";
  }
  s += "\n";
  s += chart("fan-available-accelerators", "Fan chart of available accelerators");
  s += chart("fan-effective-pflops", "Fan chart of effective PFLOPS");
  s += chart("delivered-compute", "Cumulative delivered compute");

  // Tranches.
  s += "## Tranches\n\n";
  if (tranches.empty()) {
    s += "The spec has no tranches.\n\n";
  } else {
    const std::string tlo = tq.low_label(), thi = tq.high_label();
    s += "| Tranche | Units | Complete by horizon end | 95% interval |" +
         std::string(tq.mid.empty() ? "" : " Median completion |") + " " + tlo + " – " + thi +
         " completion | Criticality |\n";
    s += "|:--|--:|--:|--:|" + std::string(tq.mid.empty() ? "" : "--:|") + ":--|--:|\n";
    for (const auto& t : tranches) {
      s += "| " + code(t.name) + " | " + md(t.units) + " | **" + percent(t.probability) + "** | " +
           interval(t.ci_lo, t.ci_hi) + " |";
      if (!tq.mid.empty()) s += " " + completion_date(t.mid) + " |";
      const std::string range =
          t.low == t.high ? completion_date(t.low) : completion_date(t.low) + " – " + completion_date(t.high);
      s += " " + range + " | " + percent(t.criticality) + " |\n";
    }
    s += "\nCriticality: share of trials in which the tranche is among the last of its site's tranches to complete "
         "(not completing by the horizon end counts as last), i.e. how often it sets the site's finish date.\n\n";
  }
  s += chart("tranche-completion", "Tranche completion S-curves");

  // Drivers.
  s += "## Top drivers\n\n";
  if (!drivers) {
    s += "No driver analysis in this folder (sensitivity.csv is absent).\n\n";
  } else {
    const bool accelerators = drivers->output == "available_accelerators";
    if (!accelerators) {
      s += "Available accelerators do not vary at the analysis date, so the drivers shown are those of cumulative "
           "delivered compute.\n\n";
    }
    s += std::string("What moves ") + (accelerators ? "available accelerators" : "delivered compute") + " on " +
         drivers->date +
         " the most: Spearman rank correlation between each sampled input and the output (positive: a higher input "
         "value gives " +
         (accelerators ? "more accelerators" : "more compute") +
         "), and the share of the output's rank variance that input alone explains.\n\n";
    s += "| Rank | Input | Spearman ρ | Variance explained |\n";
    s += "|--:|:--|--:|--:|\n";
    const std::size_t n = std::min<std::size_t>(10, drivers->rows.size());
    for (std::size_t i = 0; i < n; ++i) {
      const auto& row = drivers->rows[i];
      s += fmt::format("| {} | {} | {:+.3f} | {} |\n", i + 1, code(row.input), row.spearman,
                       percent(row.variance_explained));
    }
    s += accelerators ? "\nAll inputs, and the drivers of delivered compute, are in `sensitivity.csv`.\n\n"
                      : "\nAll inputs are in `sensitivity.csv`.\n\n";
    s += chart("tornado", "Tornado chart of the top drivers");
  }
  s += "---\n\nTables: `forecast.csv`, `targets.csv`, `tranches.csv`, `completion_cdf.csv`" +
       std::string(drivers ? ", `sensitivity.csv`" : "") + "; run record: `run.json`.\n";
  return s;
}

}  // namespace capplan
