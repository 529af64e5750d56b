#include "planner/engine/model_budget.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "backends/cpu_backend.h"
#include "kernels/metrics.h"
#include "kernels/workspace.h"
#include "planner/base/errors.h"
#include "planner/base/limits.h"
#include "planner/engine/statistics.h"

namespace capplan {

namespace {

std::size_t histogram_bytes(const CompiledModel& model, int first_block, int end_block) {
  const HistogramResolution coarsest = coarsest_resolution(HistogramResolution{});
  return histogram_bins(model, first_block, end_block, coarsest) * sizeof(std::uint64_t);
}

// A model-size error: `key` names what to change, `message` the sizes and the budget.
[[noreturn]] void refuse_model(const std::string& spec_file, const std::string& key, const std::string& message) {
  throw SpecError({{spec_file, 0, 0, key, message}});
}

std::string over_budget(std::size_t need, std::size_t budget) {
  return fmt::format("need {}, over the {} budget", format_bytes(need), format_bytes(budget));
}

void check_completion_counters(const CompiledModel& model, std::size_t need, const std::string& spec_file) {
  if (need <= kCompletionCounterBudgetBytes) return;
  refuse_model(spec_file, "horizon",
               fmt::format("{} tranches + {} milestones x {} days (the horizon's {} and 'after it') of completion "
                           "counters {}; shorten the horizon or split the spec into specs of fewer tranches",
                           grouped_count(model.tranches.size()), grouped_count(model.milestones.size()),
                           grouped_count(static_cast<std::uint64_t>(model.days) + 1), grouped_count(model.days),
                           over_budget(need, kCompletionCounterBudgetBytes)));
}

void check_histograms(const CompiledModel& model, const ModelFootprint& need, const std::string& spec_file) {
  const std::string rows = grouped_count(model.record_days.size());
  if (need.total_histograms > kHistogramBudgetBytes) {
    refuse_model(
        spec_file, "report",
        fmt::format("the totals' {} record rows x {} metrics need {} of histograms even at the coarsest "
                    "resolution, over the {} budget; report less often (report.every: week or month), set "
                    "fewer target dates, or shorten the horizon",
                    rows, kMetricCount, format_bytes(need.total_histograms), format_bytes(kHistogramBudgetBytes)));
  }
  if (need.breakdown_histograms > kHistogramBudgetBytes) {
    refuse_model(spec_file, "report.by",
                 fmt::format("the breakdowns' {} scopes x {} record rows x {} metrics need {} of histograms even "
                             "at the coarsest resolution, over the {} budget; break down by fewer scopes (report.by), "
                             "report less often or shorten the horizon",
                             grouped_count(model.scopes.size() - 1), rows, kMetricCount,
                             format_bytes(need.breakdown_histograms), format_bytes(kHistogramBudgetBytes)));
  }
}

void check_batch_records(const CompiledModel& model, std::size_t trial_record, const std::string& spec_file) {
  const std::size_t need = trial_record * static_cast<std::size_t>(kMinBatchTrials);
  if (need <= kBatchRecordBudgetBytes) return;
  refuse_model(spec_file, "report",
               fmt::format("one trial's record ({} record rows x {} scope blocks x {} metrics) and completion days "
                           "take {}, so the smallest batch of {} trials would {}; report less often, break down by "
                           "fewer scopes (report.by) or shorten the horizon",
                           grouped_count(model.record_days.size()), grouped_count(model.scopes.size()), kMetricCount,
                           format_bytes(trial_record), kMinBatchTrials, over_budget(need, kBatchRecordBudgetBytes)));
}

void check_workspace(const CompiledModel& model, std::size_t trial_workspace, const std::string& spec_file) {
  if (trial_workspace <= kWorkspaceBudgetBytes) return;
  refuse_model(spec_file, "horizon",
               fmt::format("one trial's working memory ({} (site, system type) fleets x {} days of online counts, "
                           "plus the state of {} tranches) would {}; shorten the horizon, use fewer system types "
                           "per site or split the spec",
                           grouped_count(model.fleets.size()), grouped_count(model.days),
                           grouped_count(model.tranches.size()), over_budget(trial_workspace, kWorkspaceBudgetBytes)));
}

}  // namespace

ModelFootprint model_footprint(const CompiledModel& model) {
  ModelFootprint f;
  const int blocks = std::max<int>(1, static_cast<int>(model.scopes.size()));
  f.completion_counters = model.outcome_count() * (static_cast<std::size_t>(model.days) + 1) * sizeof(std::uint64_t);
  f.total_histograms = histogram_bytes(model, 0, 1);
  f.breakdown_histograms = blocks > 1 ? histogram_bytes(model, 1, blocks) : 0;
  f.trial_record = trial_record_bytes(model);
  f.trial_workspace = workspace_bytes(model.view(0));
  return f;
}

std::size_t trial_record_bytes(const CompiledModel& model) {
  return model.record_values() * sizeof(double) + model.outcome_count() * sizeof(int);
}

void check_model_budgets(const CompiledModel& model, const std::string& spec_file) {
  const ModelFootprint need = model_footprint(model);
  check_completion_counters(model, need.completion_counters, spec_file);
  check_histograms(model, need, spec_file);
  check_batch_records(model, need.trial_record, spec_file);
  check_workspace(model, need.trial_workspace, spec_file);
}

int cpu_threads_within_budget(const CompiledModel& model, int requested) {
  const std::size_t per_thread = std::max<std::size_t>(1, workspace_bytes(model.view(0)));
  const int fit = static_cast<int>(std::min<std::size_t>(kMaxThreads, kWorkspaceBudgetBytes / per_thread));
  if (requested == 0) return std::max(1, std::min(default_cpu_threads(), fit));
  if (requested > fit) {
    throw UsageError(fmt::format(
        "--threads {}: {} threads x {} of working memory (one trial's workspace each) {}; "
        "use --threads {} or fewer",
        requested, requested, format_bytes(per_thread),
        over_budget(per_thread * static_cast<std::size_t>(requested), kWorkspaceBudgetBytes), std::max(1, fit)));
  }
  return requested;
}

void check_driver_sample_budget(const CompiledModel& model, std::uint64_t sample_trials) {
  const std::uint64_t per_trial = (model.slots.size() + 3) * sizeof(double);
  const std::uint64_t fit = kDriverSampleBudgetBytes / per_trial;
  if (sample_trials <= fit) return;
  throw UsageError(
      fmt::format("--drivers-sample {}: {} trials x {} sampled quantities {}; use --drivers-sample {} "
                  "or fewer (0 turns the driver analysis off)",
                  sample_trials, grouped_count(sample_trials), grouped_count(model.slots.size()),
                  over_budget(sample_trials * per_trial, kDriverSampleBudgetBytes), fit));
}

}  // namespace capplan
