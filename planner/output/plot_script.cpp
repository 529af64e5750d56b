#include "planner/output/plot_script.h"

#include <vector>

#include <fmt/format.h>

namespace capplan::plots {

namespace {

constexpr int kWidth = 1200, kHeight = 700;  // [pixels]
constexpr const char* kFont = "DejaVu Sans,12";
const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

// The whole script: `plot` drawn into NAME.png (pngcairo), then NAME.svg.
std::string render(const std::string& plot, const std::string& name) {
  std::string s;
  s += fmt::format("set terminal pngcairo size {},{} font '{}' noenhanced background rgb 'white'\n", kWidth, kHeight,
                   kFont);
  s += "set output '" + name + ".png'\nPOINT = 1.8\n";
  s += plot;
  s += "unset output\n";
  // The svg terminal's font and point sizes come out smaller and larger than pngcairo's: match them.
  s += fmt::format("set terminal svg size {},{} dynamic font '{}' fontscale 1.25 noenhanced background rgb 'white'\n",
                   kWidth, kHeight, kFont);
  s += "POINT = 1.0\n";
  s += "set output '" + name + ".svg'\n";
  s += plot;
  s += "unset output\n";
  return s;
}

// Tick labels on the first of every `step`th month in [first, last]; the year
// shows on the first tick and every January (alone when step is a year or more).
std::vector<std::string> month_ticks(DayNumber first, DayNumber last, int step) {
  const CivilDate a = civil_from_days(first);
  std::vector<std::string> ticks;
  bool first_tick = true;
  for (CivilDate d{a.year, a.month, 1};; d.month == 12 ? (d.year++, d.month = 1) : d.month++) {
    const DayNumber day = days_from_civil(d);
    if (day > last) break;
    if (day < first || (d.month - 1) % step != 0) continue;
    std::string label = step >= 12 ? std::to_string(d.year)
                                   : std::string(kMonths[d.month - 1]) +
                                         (first_tick || d.month == 1 ? "\\n" + std::to_string(d.year) : "");
    ticks.push_back("\"" + label + "\" " + gp_date(day));
    first_tick = false;
  }
  return ticks;
}

}  // namespace

std::string gp(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "''";
    } else if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
      out += c;
    }
  }
  return out + "'";
}

std::string gp_date(DayNumber day) { return "'" + format_date(day) + "'"; }

std::string num(double value) { return fmt::format("{:.10g}", value); }

std::string preamble(const std::string& title) {
  std::string s;
  s += "set encoding utf8\n";
  s += "set termoption noenhanced\n";
  s += "set title " + gp(title) + " font ',15'\n";
  s += "set border 3 lw 1.2 lc rgb '#444444'\n";
  s += "set tics nomirror out\n";
  s += "set grid back lt 1 lc rgb '#e4e4e4' lw 1\n";
  s += "set key below center horizontal Left reverse samplen 3 spacing 1.2 width 2 height 0.8 noautotitle\n";
  s += "set style textbox opaque fc rgb '#60ffffff' noborder margins 2,2\n";
  return s;
}

std::string date_axis(DayNumber first, DayNumber last) {
  if (last <= first) last = first + 1;
  std::string s = "set xdata time\nset timefmt '%Y-%m-%d'\n";
  s += "set xrange [" + gp_date(first) + ":" + gp_date(last) + "]\n";
  const CivilDate a = civil_from_days(first), b = civil_from_days(last);
  const int months = (b.year - a.year) * 12 + (b.month - a.month);
  int step = 1;
  for (int candidate : {1, 2, 3, 6, 12, 24, 60}) {
    step = candidate;
    if (months / candidate <= 14) break;
  }
  const std::vector<std::string> ticks = month_ticks(first, last, step);
  if (ticks.size() < 2) {
    s += "set format x \"%d %b\\n%Y\"\nset xtics autofreq\n";  // double quotes: gnuplot reads \\n there
  } else {
    s += "set xtics (";
    for (std::size_t i = 0; i < ticks.size(); ++i) s += (i ? ", " : "") + ticks[i];
    s += ")\n";
  }
  s += "set xlabel 'Date'\n";
  return s;
}

std::string probability_axis(const char* which) {
  return fmt::format("set {0}range [-0.02:1.02]\nset {0}tics 0, 0.1, 1\nset format {0} '%.1f'\n", which);
}

Scale scale_for(double max_value, const std::string& quantity, const std::string& unit) {
  Scale s;
  if (max_value >= 1e7) {
    s.divisor = 1e6;
    s.axis = quantity + " (millions" + (unit.empty() ? "" : " of " + unit) + ")";
  } else if (max_value >= 1e4) {
    s.divisor = 1e3;
    s.axis = quantity + " (thousands" + (unit.empty() ? "" : " of " + unit) + ")";
  } else {
    s.axis = quantity + (unit.empty() ? "" : " (" + unit + ")");
  }
  return s;
}

std::string key_rows(std::size_t entries) {
  std::string s = "set key width 0\n";
  if (entries > 3) s += fmt::format("set key maxrows {}\n", (entries + 2) / 3);
  return s;
}

const char* series_colour(std::size_t index) { return kPalette[index % (sizeof kPalette / sizeof kPalette[0])]; }

void draw_chart(const WorkDir& work, const std::string& gnuplot, const std::string& name, const std::string& plot) {
  work.write(name + ".gp", render(plot, name));
  run_gnuplot(gnuplot, work.path(), name + ".gp", name);
}

}  // namespace capplan::plots
