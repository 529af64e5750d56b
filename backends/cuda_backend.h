// The CUDA backend: runs the shared per-trial simulation (kernels/trial.h)
// unchanged on an NVIDIA GPU, one thread per trial, and aggregates the
// forecast statistics on the device with the shared aggregation
// (kernels/aggregate.h, merged per warp by kernels/warp_sink.h) into the
// counter layout it is given (ForecastStatistics::counter_layout()), so the
// counters -- and so the report files -- equal the CPU backend's bit for bit.
//
// A host-only interface of plain data (kernels/model.h, kernels/aggregate.h):
// using it needs no CUDA header and no planner type. The implementation is
// backends/cuda_backend.cu when CMake enables CUDA (CAPPLAN_ENABLE_CUDA,
// cmake/cuda.cmake, which then defines CAPPLAN_HAVE_CUDA=1), and otherwise
// backends/cuda_unavailable.cpp: cuda_compiled() is false,
// probe_cuda_device() reports "not built with CUDA", and constructing a
// CudaSimulator throws RuntimeFailure. Errors are capplan's typed exceptions
// (planner/base/errors.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "kernels/aggregate.h"
#include "kernels/model.h"

namespace capplan {

// True when this binary contains the CUDA backend (it may still find no GPU).
bool cuda_compiled();

struct CudaDeviceInfo {
  bool available = false;  // a GPU this build can run on
  int device = -1;
  std::string name;
  int multiprocessors = 0;
  double memory_gib = 0;
  int compute_major = 0, compute_minor = 0;
  std::string reason;  // why unavailable (empty when available)
};

// Looks at CUDA device `device` without throwing: no driver, no GPU, an index
// out of range or a GPU this build has no code for give available = false and
// a reason. Leaves the calling thread's current device as it was.
CudaDeviceInfo probe_cuda_device(int device);

// Tuning knobs; 0 means "choose automatically". Results never depend on them.
struct CudaOptions {
  int block_size = 0;                 // threads per block (multiple of 32); 0 = 128
  std::int64_t trials_in_flight = 0;  // resident threads, each with its own scratch; 0 = fill the GPU within the budget
  std::int64_t launch_trials = 0;     // trials per kernel launch; 0 = automatic
  std::size_t memory_budget_bytes = 0;  // per-thread scratch budget; 0 = min(half the free memory, 32 GiB)
  int registers = 128;                  // register cap per thread: 128 (the default: fastest in the sweep of
                                        // docs/performance.md) or 0 = none (about 240, half the resident warps)
  bool out_of_line_steps = false;       // call the day's install and burn-in steps out of line (fewer
                                        // registers, more resident warps) instead of inlining them
};

// The largest block the kernels are compiled for (their __launch_bounds__).
constexpr int kCudaMaxBlockSize = 256;

// Throws UsageError unless `options` names a block size and kernel variant
// that exist: block 0 (automatic) or a multiple of 32 up to kCudaMaxBlockSize,
// register cap 0 (none) or 128. Needs no GPU, so the CLI checks with it too.
void check_cuda_options(const CudaOptions& options);

// A compiled model in host memory, as the simulator uploads it: the view
// (pointers and counts) and the lengths of the arrays that the view's counts
// do not give [elements].
struct HostModel {
  ModelView view;
  std::size_t dists = 0;
  std::size_t tables = 0;
  std::size_t after = 0;
  std::size_t site_tranches = 0;
  std::size_t risk_targets = 0;
  std::size_t correlated_slots = 0;
  std::size_t cholesky = 0;
};

// Simulates trials on one GPU and keeps their statistics counters there.
// Device memory is fixed at construction (model, counters, and the scratch of
// trials_in_flight() threads) and does not grow with the trial count.
class CudaSimulator {
 public:
  // Uploads `model` and sets up device counters in the layout `counters`
  // (e.g. ForecastStatistics::counter_layout(); its arrays are copied). Throws
  // RuntimeFailure when the device is unavailable, the layout does not fit
  // the model, or a CUDA call fails (out of memory, ...).
  CudaSimulator(const HostModel& model, const CounterLayout& counters, int device, const CudaOptions& options = {});
  ~CudaSimulator();
  CudaSimulator(CudaSimulator&&) noexcept;
  CudaSimulator& operator=(CudaSimulator&&) noexcept;
  CudaSimulator(const CudaSimulator&) = delete;
  CudaSimulator& operator=(const CudaSimulator&) = delete;

  // Simulates trials first_trial .. first_trial + count - 1 (trial numbers
  // are taken modulo 2^32, as on the CPU) with `seed` and adds them to the
  // device counters. Returns when the GPU has finished.
  void run(std::uint64_t seed, std::uint64_t first_trial, std::uint64_t count);
  // Adds the device counters into `into` (host counters with the sizes of the
  // layout given at construction), zeroes the device counters and returns the
  // number of trials they held (those run since the last download).
  std::uint64_t download(const CounterView& into);

  const CudaDeviceInfo& device_info() const;
  int block_size() const;
  std::int64_t trials_in_flight() const;
  std::size_t scratch_bytes_per_trial() const;  // workspace + record + completion days of one thread
  std::size_t device_bytes() const;             // all device memory held
  // One line for logs and run.json: device, SMs, memory, trials in flight, block size.
  std::string describe() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace capplan
