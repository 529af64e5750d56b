// The CUDA backend: runs the shared per-trial simulation (kernels/trial.h)
// unchanged on an NVIDIA GPU, one thread per trial, and aggregates the
// forecast statistics on the device in exactly the integer layout of
// ForecastStatistics (planner/statistics.h), so the counters -- and so the
// report files -- equal the CPU backend's bit for bit.
//
// Host-only interface: no CUDA header is needed to use it. The implementation
// is backends/cuda_backend.cu, compiled only when CMake enables CUDA
// (CAPPLAN_ENABLE_CUDA, cmake/cuda.cmake), which defines CAPPLAN_HAVE_CUDA=1.
// Without it the small inline fallback at the end of this file stands in:
// cuda_compiled() is false, probe_cuda_device() reports "not built with
// CUDA", and constructing a CudaSimulator throws RuntimeFailure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/histogram.h"
#include "planner/errors.h"
#include "planner/model_builder.h"
#include "planner/statistics.h"

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
  int registers = 0;                    // register cap per thread: 0 = none (fewer resident warps), 128
  bool out_of_line_steps = false;       // call the day's install and burn-in steps out of line (fewer
                                        // registers, more resident warps) instead of inlining them
};

// The largest block the kernels are compiled for (their __launch_bounds__).
constexpr int kCudaMaxBlockSize = 256;

// Throws UsageError unless `options` names a block size and kernel variant
// that exist: block 0 (automatic) or a multiple of 32 up to kCudaMaxBlockSize,
// register cap 0 (none) or 128. Needs no GPU, so the CLI checks with it too.
inline void check_cuda_options(const CudaOptions& options) {
  if (options.block_size < 0 || options.block_size % 32 != 0 || options.block_size > kCudaMaxBlockSize) {
    throw UsageError("the CUDA block size (--cuda-block) must be a multiple of 32 between 32 and " +
                     std::to_string(kCudaMaxBlockSize) + ", got " + std::to_string(options.block_size));
  }
  if (options.registers != 0 && options.registers != 128) {
    throw UsageError("the CUDA register cap (--cuda-registers) must be 0 (none) or 128, got " +
                     std::to_string(options.registers));
  }
}

// Simulates trials on one GPU and keeps their statistics counters there.
// Device memory is fixed at construction (model, counters, and the scratch of
// trials_in_flight() threads) and does not grow with the trial count.
class CudaSimulator {
 public:
  // `layouts` and `shape` come from a ForecastStatistics built from `model`
  // (cell_layouts(), empty_counters()); the counters downloaded later have
  // shape's sizes. Throws RuntimeFailure when the device is unavailable or
  // a CUDA call fails (out of memory, ...).
  CudaSimulator(const CompiledModel& model, const std::vector<CellLayout>& layouts, const StatisticsCounters& shape,
                int device, const CudaOptions& options = {});
  ~CudaSimulator();
  CudaSimulator(CudaSimulator&&) noexcept;
  CudaSimulator& operator=(CudaSimulator&&) noexcept;
  CudaSimulator(const CudaSimulator&) = delete;
  CudaSimulator& operator=(const CudaSimulator&) = delete;

  // Simulates trials first_trial .. first_trial + count - 1 (trial numbers
  // are taken modulo 2^32, as on the CPU) with `seed` and adds them to the
  // device counters. Returns when the GPU has finished.
  void run(std::uint64_t seed, std::uint64_t first_trial, std::uint64_t count);
  // Adds the device counters (and the trial count since the last download)
  // into `into`, which must have the shape given at construction, then zeroes
  // the device counters.
  void download(StatisticsCounters& into);

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

#if !defined(CAPPLAN_HAVE_CUDA)
// ---- host-only fallback: this binary was built without the CUDA backend ----

inline bool cuda_compiled() { return false; }

inline CudaDeviceInfo probe_cuda_device(int device) {
  CudaDeviceInfo info;
  info.device = device;
  info.reason = "capplan was built without CUDA support (CAPPLAN_ENABLE_CUDA=OFF or no CUDA toolkit at build time)";
  return info;
}

struct CudaSimulator::Impl {
  CudaDeviceInfo info;
};

inline CudaSimulator::CudaSimulator(const CompiledModel&, const std::vector<CellLayout>&, const StatisticsCounters&,
                                    int device, const CudaOptions&) {
  throw RuntimeFailure("the CUDA backend is not available: " + probe_cuda_device(device).reason);
}
inline CudaSimulator::~CudaSimulator() = default;
inline CudaSimulator::CudaSimulator(CudaSimulator&&) noexcept = default;
inline CudaSimulator& CudaSimulator::operator=(CudaSimulator&&) noexcept = default;
inline void CudaSimulator::run(std::uint64_t, std::uint64_t, std::uint64_t) {
  throw RuntimeFailure("the CUDA backend is not available in this build");
}
inline void CudaSimulator::download(StatisticsCounters&) {
  throw RuntimeFailure("the CUDA backend is not available in this build");
}
inline const CudaDeviceInfo& CudaSimulator::device_info() const { return impl_->info; }
inline int CudaSimulator::block_size() const { return 0; }
inline std::int64_t CudaSimulator::trials_in_flight() const { return 0; }
inline std::size_t CudaSimulator::scratch_bytes_per_trial() const { return 0; }
inline std::size_t CudaSimulator::device_bytes() const { return 0; }
inline std::string CudaSimulator::describe() const { return "cuda (not built)"; }
#endif

}  // namespace capplan
