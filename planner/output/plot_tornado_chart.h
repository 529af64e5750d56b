// The tornado chart of drivers: each sampled input's Spearman rank correlation
// with the output, largest first, positive and negative bars in two colours.
#pragma once

#include <string>

#include "planner/output/plot_gnuplot.h"
#include "planner/output/plot_inputs.h"

namespace capplan::plots {

// Draws tornado.png and tornado.svg in the work folder: the top 12 drivers.
void tornado_chart(const WorkDir& work, const std::string& gnuplot, const std::string& scenario,
                   const Drivers& drivers);

}  // namespace capplan::plots
