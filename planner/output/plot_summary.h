// summary.md: a run's results in Markdown, section by section (targets, the
// forecast at each report date, tranches, top drivers), with the charts that
// exist in the folder linked by relative path.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "planner/output/plot_csv.h"
#include "planner/output/plot_inputs.h"

namespace capplan::plots {

// What summary.md is written from, read from the output folder `dir`.
struct SummaryInputs {
  std::filesystem::path dir;  // where the charts are looked for
  RunFacts run;
  CsvTable forecast;
  QuantileColumns forecast_quantiles;
  std::vector<TargetRow> targets;
  QuantileColumns tranche_quantiles;
  std::vector<TrancheRow> tranches;
  std::optional<Drivers> drivers;  // none without sensitivity.csv
};

// The whole of summary.md. Throws UsageError if forecast.csv lacks a charted metric.
std::string summary_document(const SummaryInputs& in);

}  // namespace capplan::plots
