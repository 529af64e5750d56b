// The charts of `capplan sweep`: P(target met) against the varied value, with
// its 95% interval band (one --vary option), or as a heat map over two.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace capplan::plots {

// One varied input: its path and values in grid order.
struct SweepAxis {
  std::string path;
  std::vector<std::string> labels;             // the values as written
  std::vector<std::optional<double>> numbers;  // numbers (dates: day numbers); empty for other YAML
  bool dates = false;                          // every value is a date
};

// One target over the grid's points (grid order: the first axis varies slowest).
struct SweepCurve {
  std::string target;
  std::vector<double> probability, ci_lo, ci_hi;
};

// Draws sweep-<target>.svg and .png into `dir` (a result set being written)
// and returns their names. One axis: probability against the value (a number
// or date axis when every value is one, else the values as labels); two: a
// heat map of the probability, cells labelled when there are at most 400.
std::vector<std::string> write_sweep_chart(const std::string& dir, const std::string& scenario,
                                           const std::vector<SweepAxis>& axes, const SweepCurve& curve);

}  // namespace capplan::plots
