#include "planner/output/reports.h"

#include <cmath>
#include <ostream>
#include <sstream>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "kernels/metrics.h"
#include "planner/base/build_info.h"
#include "planner/engine/intervals.h"
#include "planner/output/number_format.h"
#include "planner/output/output_files.h"

namespace capplan {

namespace {

std::string completion_text(const CompiledModel& model, int day) {
  return day < 0 ? "after-horizon" : format_date(model.horizon_start + day);
}

// ",p10,p50,p90,p10_lo,p10_hi,..." for the spec's quantiles: values, then their intervals.
std::string quantile_header(const std::vector<double>& quantiles) {
  std::string header;
  for (double q : quantiles) header += "," + quantile_column(q);
  for (double q : quantiles) header += "," + quantile_column(q) + "_lo," + quantile_column(q) + "_hi";
  return header;
}

}  // namespace

namespace {

// One forecast row per metric of record row `row` (a row of any scope block):
// "<date>[,<scope>],<metric>,mean,<quantiles>,<intervals>,min,max".
void write_forecast_rows(std::ostream& out, const std::string& date_and_scope, const std::vector<double>& quantiles,
                         const ForecastStatistics& stats, int row) {
  const auto& names = metric_names();
  std::string line;
  for (int m = 0; m < kMetricCount; ++m) {
    line = date_and_scope + "," + names[static_cast<std::size_t>(m)] + "," + format_mean(stats.mean(row, m));
    for (double q : quantiles) line += "," + format_value(m, stats.quantile(row, m, q));
    for (double q : quantiles) {
      const ValueInterval interval = stats.quantile_interval(row, m, q, kZ95);
      line += "," + format_value(m, interval.low) + "," + format_value(m, interval.high);
    }
    line += "," + format_value(m, stats.minimum(row, m)) + "," + format_value(m, stats.maximum(row, m)) + "\n";
    out << line;
  }
}

// One CDF table's rows for an outcome: "<id>,<date>,<P(by the end of that day)>" per date of `days`.
void write_cdf_rows(std::ostream& out, const CompiledModel& model, const ForecastStatistics& stats,
                    const std::string& id, int outcome, const std::vector<int>& days) {
  const std::vector<double> cdf = stats.completion_cdf(outcome, days);
  for (std::size_t i = 0; i < days.size(); ++i) {
    out << id + "," + format_date(model.horizon_start + days[i]) + "," + format_probability(cdf[i]) + "\n";
  }
}

// A table written by `write`, as one string.
template <class Write>
std::string table_text(const Write& write) {
  std::ostringstream out;
  write(out);
  return out.str();
}

std::string report_date(const CompiledModel& model, int row) {
  return format_date(model.horizon_start + model.record_days[static_cast<std::size_t>(row)]);
}

// The columns of an outcome (a tranche's completion or a milestone's first
// passage) after its first columns: probability, the quantile dates and their
// intervals, and the probability's Wilson 95% interval.
void append_outcome_columns(std::string& out, const std::vector<double>& quantiles, const CompiledModel& model,
                            const ForecastStatistics& stats, int outcome) {
  const double probability = stats.completion_probability(outcome);
  out += format_probability(probability);
  for (double q : quantiles) out += "," + completion_text(model, stats.completion_quantile(outcome, q));
  for (double q : quantiles) {
    const auto [low, high] = stats.completion_interval(outcome, q, kZ95);
    out += "," + completion_text(model, low) + "," + completion_text(model, high);
  }
  const auto [ci_low, ci_high] = wilson_interval(stats.completion_count(outcome), stats.trials());
  out += "," + format_probability(ci_low) + "," + format_probability(ci_high);
}

// The medians of report.by's scopes on report row `row`, for the headline
// metrics (nothing without report.by).
std::string breakdown_summary(const CompiledModel& model, const ForecastStatistics& stats, int row) {
  if (model.breakdown_blocks == 0) return "";
  const int metrics[] = {kAvailableAccelerators, kEffectivePflops, kDeliveredFlopE24};
  std::string out = fmt::format("\nMedian by scope on {}:\n{:<26}", report_date(model, row), "");
  for (int m : metrics) out += fmt::format("{:>24}", metric_names()[static_cast<std::size_t>(m)]);
  out += "\n";
  for (int block = 1; block <= model.breakdown_blocks; ++block) {
    // At least one space after a long scope.
    out += fmt::format("  {:<23} ", model.scope_names[static_cast<std::size_t>(block)].text());
    for (int m : metrics) {
      out += fmt::format("{:>24}", format_value(m, stats.quantile(stats.block_row(block, row), m, 0.5)));
    }
    out += "\n";
  }
  return out;
}

// The weekly dates of the completion and milestone CDFs: every 7th day and the horizon end.
std::vector<int> cdf_days(const CompiledModel& model) {
  std::vector<int> days;
  for (int d = 6; d < model.days; d += 7) days.push_back(d);
  if (days.empty() || days.back() != model.days - 1) days.push_back(model.days - 1);
  return days;
}

}  // namespace

void write_forecast_csv(std::ostream& out, const Spec& spec, const CompiledModel& model,
                        const ForecastStatistics& stats) {
  out << "date,metric,mean" + quantile_header(spec.report.quantiles) + ",min,max\n";
  for (int row : model.report_rows)
    write_forecast_rows(out, report_date(model, row), spec.report.quantiles, stats, row);
}

void write_forecast_by_csv(std::ostream& out, const Spec& spec, const CompiledModel& model,
                           const ForecastStatistics& stats) {
  out << "date,scope,metric,mean" + quantile_header(spec.report.quantiles) + ",min,max\n";
  for (int row : model.report_rows) {
    for (int block = 1; block <= model.breakdown_blocks; ++block) {
      write_forecast_rows(out,
                          report_date(model, row) + "," + model.scope_names[static_cast<std::size_t>(block)].text(),
                          spec.report.quantiles, stats, stats.block_row(block, row));
    }
  }
}

std::string forecast_csv(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats) {
  return table_text([&](std::ostream& out) { write_forecast_csv(out, spec, model, stats); });
}

std::string forecast_by_csv(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats) {
  return table_text([&](std::ostream& out) { write_forecast_by_csv(out, spec, model, stats); });
}

std::string tranches_csv(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats) {
  const auto& quantiles = spec.report.quantiles;
  std::string out = "tranche,units,probability_complete" + quantile_header(quantiles) +
                    ",probability_ci_lo,probability_ci_hi,criticality\n";
  for (std::size_t t = 0; t < spec.tranches.size(); ++t) {
    const int index = static_cast<int>(t);
    out += spec.tranches[t].id + "," + std::to_string(spec.tranches[t].units) + ",";
    append_outcome_columns(out, quantiles, model, stats, index);
    out += "," + format_probability(stats.criticality(index)) + "\n";
  }
  return out;
}

std::string milestones_csv(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats) {
  const auto& quantiles = spec.report.quantiles;
  std::string out = "milestone,metric,scope,threshold,probability_reached" + quantile_header(quantiles) +
                    ",probability_ci_lo,probability_ci_hi\n";
  for (std::size_t k = 0; k < model.milestone_specs.size(); ++k) {
    const Milestone& milestone = model.milestone_specs[k];
    out += milestone.id + "," + milestone.metric + "," + milestone.scope.text() + "," +
           fmt::format("{:.10g}", milestone.at_least) + ",";
    append_outcome_columns(out, quantiles, model, stats, stats.milestone_outcome(static_cast<int>(k)));
    out += "\n";
  }
  return out;
}

std::string targets_csv(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats) {
  (void)spec;
  std::string out = "target,metric,scope,date,threshold,probability,ci_lo,ci_hi\n";
  for (std::size_t k = 0; k < model.targets.size(); ++k) {
    const CompiledTarget& target = model.targets[k];
    const auto [low, high] = wilson_interval(stats.target_hits(static_cast<int>(k)), stats.trials());
    out += target.id + "," + metric_names()[static_cast<std::size_t>(target.metric)] + "," +
           model.scope_names[static_cast<std::size_t>(target.scope_block)].text() + "," + format_date(target.date) +
           "," + fmt::format("{:.10g}", target.threshold) + "," +
           format_probability(stats.target_probability(static_cast<int>(k))) + "," + format_probability(low) + "," +
           format_probability(high) + "\n";
  }
  return out;
}

void write_completion_cdf_csv(std::ostream& out, const Spec& spec, const CompiledModel& model,
                              const ForecastStatistics& stats) {
  out << "tranche,date,probability_complete\n";
  const std::vector<int> days = cdf_days(model);
  for (std::size_t t = 0; t < spec.tranches.size(); ++t) {
    write_cdf_rows(out, model, stats, spec.tranches[t].id, static_cast<int>(t), days);
  }
}

void write_milestone_cdf_csv(std::ostream& out, const CompiledModel& model, const ForecastStatistics& stats) {
  out << "milestone,date,probability_reached\n";
  const std::vector<int> days = cdf_days(model);
  for (std::size_t k = 0; k < model.milestone_specs.size(); ++k) {
    write_cdf_rows(out, model, stats, model.milestone_specs[k].id, stats.milestone_outcome(static_cast<int>(k)), days);
  }
}

std::string completion_cdf_csv(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats) {
  return table_text([&](std::ostream& out) { write_completion_cdf_csv(out, spec, model, stats); });
}

RunRecord make_run_record(const Spec& spec, const Simulation& simulation, DayNumber driver_date) {
  RunRecord record;
  record.spec_sha256 = sha256_hex(spec.source_text);
  record.seed = spec.seed;
  record.trials = simulation.trials;
  record.backend = simulation.backend;
  record.device = simulation.device;
  record.threads = simulation.threads;
  record.batch_trials = simulation.batch_trials;
  record.simulate_seconds = simulation.simulate_seconds;
  record.overrides = spec.overrides;
  record.drivers = {{"date", format_date(driver_date)}, {"sample_trials", simulation.drivers.trials.size()}};
  if (const auto& precision = simulation.precision) {
    record.precision = {{"requested", precision->requested},
                        {"met", precision->assessment.met},
                        {"trials_used", precision->trials_used},
                        {"max_trials", precision->max_trials},
                        {"worst_cell", precision->assessment.worst_cell},
                        {"worst_half_width_over_tolerance", precision->assessment.worst_ratio}};
  }
  return record;
}

nlohmann::ordered_json provenance_json(const std::vector<std::string>& argv, const std::string& spec_path,
                                       const std::string& spec_name, const std::string& spec_sha256) {
  nlohmann::ordered_json json;
  json["format_version"] = 1;
  json["tool"] = "capplan";
  json["tool_version"] = tool_version();
  json["git_revision"] = git_revision();
  json["argv"] = argv;
  json["spec"] = {{"path", spec_path}, {"name", spec_name}, {"sha256", spec_sha256}};
  return json;
}

std::string run_json(const Spec& spec, const RunRecord& record) {
  nlohmann::ordered_json json = provenance_json(record.argv, spec.source_file, spec.name, record.spec_sha256);
  json["seed"] = record.seed;
  json["trials"] = record.trials;
  json["backend"] = backend_name(record.backend);
  json["device"] = record.device;
  json["threads"] = record.threads;
  json["batch_trials"] = record.batch_trials;
  json["ranks"] = record.ranks;
  json["processes"] = record.processes;
  json["wall_seconds"] = record.wall_seconds;
  json["simulate_seconds"] = record.simulate_seconds;
  json["trials_per_second"] =
      record.simulate_seconds > 0.0 ? static_cast<double>(record.trials) / record.simulate_seconds : 0.0;
  json["outputs"] = record.outputs;
  json["overrides"] = record.overrides;
  json["drivers"] = record.drivers;
  if (!record.precision.is_null()) json["precision"] = record.precision;
  return json.dump(2) + "\n";
}

std::string run_summary(const Spec& spec, const CompiledModel& model, const ForecastStatistics& stats,
                        const RunRecord& record, const std::string& out_dir) {
  std::string out =
      fmt::format("capplan {}: {} ({} trials, seed {}, {} backend, {} threads, {:.2f} s, {:.0f} trials/s)\n",
                  tool_version(), spec.name, record.trials, record.seed, backend_name(record.backend), record.threads,
                  record.simulate_seconds, record.simulate_seconds > 0 ? record.trials / record.simulate_seconds : 0.0);
  const int last = model.report_rows.back();
  const DayNumber end = model.horizon_start + model.record_days[static_cast<std::size_t>(last)];
  const double low = spec.report.quantiles.front(), mid = 0.5, high = spec.report.quantiles.back();
  out += fmt::format("\nAt {}:{:>16}{:>16}{:>16}{:>16}\n", format_date(end), "mean", quantile_column(low),
                     quantile_column(mid), quantile_column(high));
  for (int m : {int(kAvailableAccelerators), int(kOnlineSystems), int(kFacilityPowerMw), int(kEffectivePflops),
                int(kDeliveredFlopE24)}) {
    out += fmt::format("  {:<24}{:>16}{:>16}{:>16}{:>16}\n", metric_names()[static_cast<std::size_t>(m)],
                       format_mean(stats.mean(last, m)), format_value(m, stats.quantile(last, m, low)),
                       format_value(m, stats.quantile(last, m, mid)), format_value(m, stats.quantile(last, m, high)));
  }
  out += breakdown_summary(model, stats, last);
  if (!model.targets.empty()) {
    out += "\nTargets (probability of meeting):\n";
    for (std::size_t k = 0; k < model.targets.size(); ++k) {
      const CompiledTarget& target = model.targets[k];
      const Scope& scope = model.scope_names[static_cast<std::size_t>(target.scope_block)];
      out += fmt::format("  {:<24}{}{} >= {:.10g} on {}: {:.4f}\n", target.id,
                         metric_names()[static_cast<std::size_t>(target.metric)],
                         scope.kind == Scope::Kind::total ? "" : " (" + scope.text() + ")", target.threshold,
                         format_date(target.date), stats.target_probability(static_cast<int>(k)));
    }
  }
  if (!model.milestone_specs.empty()) {
    out += fmt::format("\nMilestones (probability reached within the horizon; {} / {} / {} dates):\n",
                       quantile_column(low), quantile_column(mid), quantile_column(high));
    for (std::size_t k = 0; k < model.milestone_specs.size(); ++k) {
      const Milestone& milestone = model.milestone_specs[k];
      const int outcome = stats.milestone_outcome(static_cast<int>(k));
      // At least one space after a long id.
      out += fmt::format("  {:<23} {}{} >= {:.10g}: {:.4f}  {} / {} / {}\n", milestone.id, milestone.metric,
                         milestone.scope.kind == Scope::Kind::total ? "" : " (" + milestone.scope.text() + ")",
                         milestone.at_least, stats.completion_probability(outcome),
                         completion_text(model, stats.completion_quantile(outcome, low)),
                         completion_text(model, stats.completion_quantile(outcome, mid)),
                         completion_text(model, stats.completion_quantile(outcome, high)));
    }
  }
  out += "\nTranches (probability complete by the horizon end; median completion):\n";
  for (std::size_t t = 0; t < spec.tranches.size(); ++t) {
    out += fmt::format("  {:<24}{:>8} units  {:.4f}  {}\n", spec.tranches[t].id, spec.tranches[t].units,
                       stats.completion_probability(static_cast<int>(t)),
                       completion_text(model, stats.completion_quantile(static_cast<int>(t), 0.5)));
  }
  std::string names;
  for (const auto& file : record.outputs) names += (names.empty() ? "" : ",") + file;
  out += "\nWrote " + out_dir + "/{" + names + "}\n";
  return out;
}

}  // namespace capplan
