// Specs built in code for kernel tests, and a runner for single trials.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/metrics.h"
#include "kernels/trial.h"
#include "kernels/workspace.h"
#include "planner/engine/model_builder.h"
#include "planner/spec/spec.h"

namespace capplan::testing {

// A horizon of `days` days from 2026-01-01, daily reports, one accelerator
// (gpu: 1000 dense bf16 TFLOPS), one system (rack: 72 gpu, 100 kW) and one
// site (s1) with no limits; no tranches yet.
inline Spec base_spec(int days) {
  Spec spec;
  spec.name = "test";
  spec.source_file = "test.yaml";
  spec.horizon.start = days_from_civil({2026, 1, 1});
  spec.horizon.end = spec.horizon.start + days - 1;
  spec.report.every = Report::Every::day;
  Accelerator gpu;
  gpu.id = "gpu";
  gpu.dense_tflops = {{"bf16", 1000.0}};
  spec.accelerators.push_back(gpu);
  System rack;
  rack.id = "rack";
  rack.accelerator = "gpu";
  rack.accelerators = 72;
  rack.power_kw = 100.0;
  spec.systems.push_back(rack);
  Site site;
  site.id = "s1";
  site.ready.planned = spec.horizon.start;
  spec.sites.push_back(site);
  return spec;
}

inline Tranche tranche(const Spec& spec, const std::string& id, std::int64_t units, int planned_day,
                       const std::string& site = "s1") {
  Tranche t;
  t.id = id;
  t.system = "rack";
  t.site = site;
  t.units = units;
  t.delivery_planned = spec.horizon.start + planned_day;
  return t;
}

inline Distribution uniform(double a, double b) {
  Distribution d;
  d.kind = Distribution::Kind::uniform;
  d.a = a;
  d.b = b;
  return d;
}

inline Distribution triangular(double a, double m, double b) {
  Distribution d;
  d.kind = Distribution::Kind::triangular;
  d.a = a;
  d.b = m;
  d.c = b;
  return d;
}

// One trial's output.
struct TrialResult {
  std::vector<double> records;  // [scope blocks][record rows][kMetricCount]
  std::vector<int> completion;  // [tranches, then milestones]
  int rows = 0;                 // record rows per scope block
  double at(int row, int metric) const { return records[static_cast<std::size_t>(row) * kMetricCount + metric]; }
  // Row `row` of scope block `block` (0: the total; then CompiledModel::scope_names).
  double at(int block, int row, int metric) const { return at(block * rows + row, metric); }
};

inline TrialResult run_trial(const CompiledModel& model, std::uint64_t seed, std::uint32_t trial) {
  const ModelView view = model.view(seed);
  std::vector<double> scratch(workspace_bytes(view) / sizeof(double) + 1);
  TrialWorkspace workspace = carve_workspace(view, reinterpret_cast<char*>(scratch.data()));
  TrialResult result;
  result.records.assign(model.record_values(), -1.0);
  result.rows = static_cast<int>(model.record_days.size());
  result.completion.assign(model.outcome_count(), -2);
  simulate_trial(view, trial, workspace, TrialOutput{result.records.data(), result.completion.data()});
  return result;
}

}  // namespace capplan::testing
