#include "backends/cpu_backend.h"

#include <memory>

#if defined(CAPPLAN_HAVE_OPENMP)
#include <omp.h>
#endif

#include "kernels/metrics.h"
#include "kernels/trial.h"
#include "kernels/workspace.h"

namespace capplan {

int default_cpu_threads() {
#if defined(CAPPLAN_HAVE_OPENMP)
  return omp_get_max_threads();
#else
  return 1;
#endif
}

void run_trials_cpu(const ModelView& model, std::uint64_t first_trial, std::int64_t count, double* records,
                    int* completion_days, double* sampled, int threads) {
  const std::size_t record_stride = static_cast<std::size_t>(record_values(model));
  const std::size_t completion_stride = static_cast<std::size_t>(outcome_count(model));
  const std::size_t scratch_bytes = workspace_bytes(model);
  (void)threads;
#if defined(CAPPLAN_HAVE_OPENMP)
#pragma omp parallel num_threads(threads)
#endif
  {
    // One workspace per thread, reused for each of its trials (8-byte aligned storage;
    // the layout only needs the alignment of its widest element).
    std::unique_ptr<double[]> scratch(new double[scratch_bytes / sizeof(double) + 1]);
    TrialWorkspace workspace = carve_workspace(model, reinterpret_cast<char*>(scratch.get()));
#if defined(CAPPLAN_HAVE_OPENMP)
#pragma omp for schedule(dynamic, 16)
#endif
    for (std::int64_t i = 0; i < count; ++i) {
      TrialOutput out;
      out.record = records + static_cast<std::size_t>(i) * record_stride;
      out.completion_day = completion_days + static_cast<std::size_t>(i) * completion_stride;
      out.sampled =
          sampled ? sampled + static_cast<std::size_t>(i) * static_cast<std::size_t>(model.slot_count) : nullptr;
      simulate_trial(model, static_cast<std::uint32_t>(first_trial + static_cast<std::uint64_t>(i)), workspace, out);
    }
  }
}

}  // namespace capplan
