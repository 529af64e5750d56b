#include "planner/analysis/compare.h"

#include <algorithm>

#include <fmt/format.h>

#include "kernels/metrics.h"
#include "planner/base/errors.h"
#include "planner/output/number_format.h"
#include "planner/output/reports.h"

namespace capplan {

namespace {

// Each quantile's interval at 97.5% (z = Phi^-1(1 - 0.025 / 2)): by the union
// bound both hold together with probability >= 95%, so the difference interval
// [lo_b - hi_a, hi_b - lo_a] covers the true difference with at least 95%.
constexpr double kZ975 = 2.241402727604947;

}  // namespace

std::vector<ComparedScope> compared_scopes(const CompiledModel& a, const CompiledModel& b) {
  std::vector<ComparedScope> scopes = {{"total", 0, 0}};
  for (int block_a = 1; block_a <= a.breakdown_blocks; ++block_a) {
    const Scope& scope = a.scope_names[static_cast<std::size_t>(block_a)];
    for (int block_b = 1; block_b <= b.breakdown_blocks; ++block_b) {
      if (b.scope_names[static_cast<std::size_t>(block_b)] == scope) scopes.push_back({scope.text(), block_a, block_b});
    }
  }
  return scopes;
}

PairedCounts::PairedCounts(const CompiledModel& a, const CompiledModel& b)
    : a_(a), b_(b), scopes_(compared_scopes(a, b)) {
  greater_.assign(scopes_.size() * a.report_rows.size() * kMetricCount, 0);
  equal_.assign(greater_.size(), 0);
}

std::size_t PairedCounts::index(int scope, int report, int metric) const {
  return (static_cast<std::size_t>(scope) * a_.report_rows.size() + static_cast<std::size_t>(report)) * kMetricCount +
         static_cast<std::size_t>(metric);
}

void PairedCounts::add(const double* records_a, const double* records_b, std::int64_t n) {
  const std::size_t stride_a = a_.record_values(), rows_a = a_.record_days.size();
  const std::size_t stride_b = b_.record_values(), rows_b = b_.record_days.size();
  for (std::int64_t i = 0; i < n; ++i) {
    const double* ra = records_a + static_cast<std::size_t>(i) * stride_a;
    const double* rb = records_b + static_cast<std::size_t>(i) * stride_b;
    for (std::size_t s = 0; s < scopes_.size(); ++s) {
      for (std::size_t r = 0; r < a_.report_rows.size(); ++r) {
        const double* va =
            ra + (static_cast<std::size_t>(scopes_[s].block_a) * rows_a + static_cast<std::size_t>(a_.report_rows[r])) *
                     kMetricCount;
        const double* vb =
            rb + (static_cast<std::size_t>(scopes_[s].block_b) * rows_b + static_cast<std::size_t>(b_.report_rows[r])) *
                     kMetricCount;
        for (int m = 0; m < kMetricCount; ++m) {
          const std::size_t k = index(static_cast<int>(s), static_cast<int>(r), m);
          greater_[k] += vb[m] > va[m];
          equal_[k] += vb[m] == va[m];
        }
      }
    }
  }
  trials_ += static_cast<std::uint64_t>(n);
}

void PairedCounts::reduce_to_root(const Communicator& communicator) {
  std::vector<std::uint64_t> all(greater_);
  all.insert(all.end(), equal_.begin(), equal_.end());
  all.push_back(trials_);
  communicator.sum_to_root(all);
  if (!communicator.is_root()) return;
  std::copy(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(greater_.size()), greater_.begin());
  std::copy(all.begin() + static_cast<std::ptrdiff_t>(greater_.size()), all.end() - 1, equal_.begin());
  trials_ = all.back();
}

double PairedCounts::probability_b_greater(int scope, int report, int metric) const {
  return trials_ ? static_cast<double>(greater_[index(scope, report, metric)]) / static_cast<double>(trials_) : 0.0;
}

double PairedCounts::probability_equal(int scope, int report, int metric) const {
  return trials_ ? static_cast<double>(equal_[index(scope, report, metric)]) / static_cast<double>(trials_) : 0.0;
}

void PairedSimulation::reduce_to_root(const Communicator& communicator) {
  a->reduce_to_root(communicator);
  b->reduce_to_root(communicator);
  paired.reduce_to_root(communicator);
}

PairedSimulation simulate_paired(const CompiledModel& a, const CompiledModel& b, const RunOptions& options) {
  RunOptions cpu = options;
  cpu.backend = Backend::kCpu;
  TrialRunner runner_a(a, cpu), runner_b(b, cpu);
  PairedCounts paired(a, b);
  const auto [first, share] = trial_share(cpu.trials, cpu.rank, cpu.ranks);
  const std::uint64_t batch =
      static_cast<std::uint64_t>(std::min(runner_a.batch_capacity(), runner_b.batch_capacity()));
  for (std::uint64_t done = 0; done < share; done += batch) {
    const std::int64_t count = static_cast<std::int64_t>(std::min(batch, share - done));
    runner_a.run_batch(first + done, count);
    runner_b.run_batch(first + done, count);
    paired.add(runner_a.records(), runner_b.records(), count);
  }
  return {std::make_unique<ForecastStatistics>(std::move(runner_a.statistics())),
          std::make_unique<ForecastStatistics>(std::move(runner_b.statistics())), std::move(paired)};
}

void check_comparable(const Spec& a, const CompiledModel& model_a, const Spec& b, const CompiledModel& model_b) {
  auto report_dates = [](const CompiledModel& m) {
    std::vector<int> days;
    for (int row : m.report_rows) days.push_back(m.record_days[static_cast<std::size_t>(row)]);
    return days;
  };
  if (a.horizon.start != b.horizon.start || report_dates(model_a) != report_dates(model_b)) {
    throw UsageError("the two specs must have the same horizon start and report dates to be compared");
  }
  if (a.report.quantiles != b.report.quantiles) {
    throw UsageError("the two specs must report the same quantiles to be compared");
  }
}

std::string compare_csv(const Spec& spec_a, const CompiledModel& a, const ForecastStatistics& stats_a,
                        const CompiledModel& b, const ForecastStatistics& stats_b, const PairedCounts& paired) {
  std::string out =
      "date,scope,metric,quantile,a,b,difference,difference_lo,difference_hi,probability_b_greater,"
      "probability_equal\n";
  const std::vector<ComparedScope> scopes = compared_scopes(a, b);
  for (std::size_t r = 0; r < a.report_rows.size(); ++r) {
    const std::string date = format_date(a.horizon_start + a.record_days[static_cast<std::size_t>(a.report_rows[r])]);
    for (std::size_t s = 0; s < scopes.size(); ++s) {
      const int row_a = stats_a.block_row(scopes[s].block_a, a.report_rows[r]);
      const int row_b = stats_b.block_row(scopes[s].block_b, b.report_rows[r]);
      for (int m = 0; m < kMetricCount; ++m) {
        for (double q : spec_a.report.quantiles) {
          const double va = stats_a.quantile(row_a, m, q), vb = stats_b.quantile(row_b, m, q);
          const ValueInterval ia = stats_a.quantile_interval(row_a, m, q, kZ975);
          const ValueInterval ib = stats_b.quantile_interval(row_b, m, q, kZ975);
          out += fmt::format("{},{},{},{},{},{},{},{},{},{:.6f},{:.6f}\n", date, scopes[s].scope,
                             metric_names()[static_cast<std::size_t>(m)], quantile_column(q), format_value(m, va),
                             format_value(m, vb), format_value(m, vb - va), format_value(m, ib.low - ia.high),
                             format_value(m, ib.high - ia.low),
                             paired.probability_b_greater(static_cast<int>(s), static_cast<int>(r), m),
                             paired.probability_equal(static_cast<int>(s), static_cast<int>(r), m));
        }
      }
    }
  }
  return out;
}

std::string compare_targets_csv(const CompiledModel& a, const ForecastStatistics& stats_a, const CompiledModel& b,
                                const ForecastStatistics& stats_b) {
  std::string out = "target,metric,scope,probability_a,probability_b,difference\n";
  for (std::size_t i = 0; i < a.targets.size(); ++i) {
    for (std::size_t j = 0; j < b.targets.size(); ++j) {
      if (a.targets[i].id != b.targets[j].id) continue;
      const CompiledTarget& target = a.targets[i];
      const double pa = stats_a.target_probability(static_cast<int>(i));
      const double pb = stats_b.target_probability(static_cast<int>(j));
      out += fmt::format("{},{},{},{:.6f},{:.6f},{:.6f}\n", target.id,
                         metric_names()[static_cast<std::size_t>(target.metric)],
                         a.scope_names[static_cast<std::size_t>(target.scope_block)].text(), pa, pb, pb - pa);
    }
  }
  return out;
}

std::string compare_summary(const Spec& spec_a, const Spec& spec_b, const CompiledModel& a,
                            const ForecastStatistics& stats_a, const CompiledModel& b,
                            const ForecastStatistics& stats_b, const PairedCounts& paired) {
  const int last = static_cast<int>(a.report_rows.size()) - 1;
  const int row_a = a.report_rows.back(), row_b = b.report_rows.back();
  std::string label_b = spec_b.name;
  for (const auto& change : spec_b.overrides) label_b += " --set " + change;
  std::string out = fmt::format("A: {}\nB: {}\n({} trials each, seed {}, common random numbers)\n\n", spec_a.name,
                                label_b, stats_a.trials(), spec_b.seed);
  out += fmt::format("At {} (medians):{:>14}{:>14}{:>14}{:>26}{:>11}\n",
                     format_date(a.horizon_start + a.record_days[static_cast<std::size_t>(row_a)]), "A", "B", "B - A",
                     "95% interval", "P(B > A)");
  for (int m : {int(kAvailableAccelerators), int(kOnlineSystems), int(kEffectivePflops), int(kDeliveredFlopE24)}) {
    const double va = stats_a.quantile(row_a, m, 0.5), vb = stats_b.quantile(row_b, m, 0.5);
    const ValueInterval ia = stats_a.quantile_interval(row_a, m, 0.5, kZ975);
    const ValueInterval ib = stats_b.quantile_interval(row_b, m, 0.5, kZ975);
    out += fmt::format("  {:<26}{:>14}{:>14}{:>14}{:>26}{:>11.4f}\n", metric_names()[static_cast<std::size_t>(m)],
                       format_value(m, va), format_value(m, vb), format_value(m, vb - va),
                       "[" + format_value(m, ib.low - ia.high) + ", " + format_value(m, ib.high - ia.low) + "]",
                       paired.probability_b_greater(0, last, m));
  }
  bool header = false;
  for (std::size_t i = 0; i < a.targets.size(); ++i) {
    for (std::size_t j = 0; j < b.targets.size(); ++j) {
      if (a.targets[i].id != b.targets[j].id) continue;
      if (!header) out += "\nTargets (probability of meeting):\n";
      header = true;
      const double pa = stats_a.target_probability(static_cast<int>(i));
      const double pb = stats_b.target_probability(static_cast<int>(j));
      out += fmt::format("  {:<26}{:>14.4f}{:>14.4f}{:>+14.4f}\n", a.targets[i].id, pa, pb, pb - pa);
    }
  }
  return out;
}

}  // namespace capplan
