// The pieces every chart's gnuplot script shares: quoting, numbers, the look
// (title, border, grid, key), the date axis, the value scale, and drawing one
// chart as PNG and SVG.
#pragma once

#include <cstddef>
#include <string>

#include "planner/base/date.h"
#include "planner/output/plot_gnuplot.h"

namespace capplan::plots {

// Text as a gnuplot single-quoted string: only '' is special. Control
// characters (which could end the command) are dropped.
std::string gp(const std::string& text);
// A date as gnuplot reads it with timefmt '%Y-%m-%d', quoted.
std::string gp_date(DayNumber day);
// A number in a script or data file: 10 significant digits.
std::string num(double value);

// Everything a chart script starts with, titled `title`.
std::string preamble(const std::string& title);

// A date x axis from `first` to `last` with month (or year) ticks at a
// readable spacing.
std::string date_axis(DayNumber first, DayNumber last);

// A probability axis ("x" or "y"): 0 to 1 with a little room, ticks every 0.1.
std::string probability_axis(const char* which);

// How a metric is drawn: values are divided by `divisor`; `axis` is the y label.
struct Scale {
  double divisor = 1.0;
  std::string axis;
};
// Millions from 1e7, thousands from 1e4, else as they are.
Scale scale_for(double max_value, const std::string& quantity, const std::string& unit);

// Key settings for `entries` entries below the plot: at most three rows.
std::string key_rows(std::size_t entries);

// The colour of the `index`th of several series (curves, stacked areas): ten
// distinct colours, then again from the first.
const char* series_colour(std::size_t index);

// Writes NAME.gp, drawing `plot` into NAME.png (pngcairo) and NAME.svg, to the
// work folder and runs gnuplot on it. The data files `plot` names must be there.
void draw_chart(const WorkDir& work, const std::string& gnuplot, const std::string& name, const std::string& plot);

}  // namespace capplan::plots
