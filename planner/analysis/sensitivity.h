// Driver analysis (tornado): how strongly each sampled input moves the outputs.
#pragma once

#include <string>
#include <vector>

#include "planner/engine/run_driver.h"

namespace capplan {

struct DriverRow {
  std::string output;  // available_accelerators or delivered_flop_e24
  std::string input;   // stable quantity name
  double spearman = 0.0;
  double variance_explained = 0.0;        // spearman^2: share of the output's (rank) variance this input alone explains
  double contribution_to_variance = 0.0;  // spearman^2 normalised over the inputs of that output (sums to 1)
};

// Spearman rank correlation of x and y (average ranks for ties); 0 if either is constant.
double spearman_correlation(const std::vector<double>& x, const std::vector<double>& y);

// Rows for both outputs, each sorted by |spearman| (largest first). Inputs that
// do not vary in the sample are left out; so is an output that does not vary.
std::vector<DriverRow> compute_drivers(const DriverSample& sample, const std::vector<std::string>& input_names);

// sensitivity.csv: output,date,rank,input,spearman,variance_explained,contribution_to_variance
std::string sensitivity_csv(const std::vector<DriverRow>& rows, const std::string& date, const std::string& scope);

}  // namespace capplan
