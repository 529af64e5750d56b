// The CUDA backend (interface and contract: backends/cuda_backend.h).
//
// Design
// ------
// * One GPU thread simulates one trial at a time with the shared per-trial
//   code, simulate_trial() of kernels/trial.h, unchanged. Each resident warp
//   owns one fixed scratch group of device memory, reused for every trial its
//   lanes run: [ workspace | record rows x kMetricCount doubles | completion
//   day per tranche ], each part holding its 32 lanes interleaved element by
//   element (BasicWorkspace<kWarpLanes>, kernels/workspace.h), so that the
//   lanes' accesses to the same element of their own trials coalesce. Device
//   memory therefore depends on the number of threads in flight, never on the
//   trial count.
// * Trials in flight: by default every resident thread of the GPU (SMs x the
//   blocks per SM the occupancy calculator allows), capped so that the scratch
//   stays within min(half the free memory, 32 GiB). CudaOptions overrides it.
// * Work distribution: a persistent grid; each warp takes the next 32 trial
//   numbers from a global counter (one atomic per 32 trials), so slow trials
//   (many installs, many binomial draws) do not leave SMs idle. A launch runs
//   many trials per thread (launch_trials, default 32 x trials in flight), and
//   consecutive launches are queued on one stream with no host round trip;
//   run() synchronises once at the end.
// * Aggregation: right after its warp's trials, every lane aggregates its own
//   trial with the code the CPU runs, aggregate_trial() of kernels/aggregate.h
//   (bins, fixed-point sums, minima and maxima per cell; completion-day
//   histograms; criticality; target hits), through a WarpSink
//   (kernels/warp_sink.h) that merges the warp's updates before they reach
//   memory: one update of n x a value when all active lanes hold it, else one
//   atomic per distinct bin (match_any) and shuffle-reduced sums, minima and
//   maxima, ballots for criticality and target hits. Every update is an
//   integer atomic (add, min, max), associative and commutative, so the
//   counters do not depend on thread or warp order and equal the CPU's bit for
//   bit. This file only supplies the warp primitives (DeviceWarp: CUDA's
//   intrinsics and atomics), the device memory and the launches.
//   Minima and maxima are held as order keys (order_key(), warp_sink.h),
//   starting at key(+inf) and key(-inf), so a cell with no trials downloads
//   as +inf / -inf like empty_counters(); download() turns them back into
//   doubles.
// * Floating point: built with -fmad=false (no contraction) and IEEE div/sqrt,
//   like the host build's -ffp-contract=off (cmake/cuda.cmake). The
//   aggregation's only floating-point work is cell_quantize() and
//   cell_fixed_point() from kernels/histogram.h, shared with the CPU.
//
// Performance notes (see docs/performance.md for measurements)
// * The workspace and the record are interleaved across a warp's lanes, so a
//   warp reads or writes one element of its 32 trials in 2 (8-byte values)
//   or 1 (4-byte) cache lines; the aggregation reads cell c of the 32 records
//   in one 256-byte access.
// * The record of a daily report is large (rows x 64 bytes; 2,557 rows for
//   configs/bench-large.yaml = 160 KiB per trial), which is what caps the
//   trials in flight there; aggregation then dominates (20k cells per trial).
// * Kernel variants (CudaOptions): a register cap of 128 (the default: the
//   fastest on an H200) or none, and the day's install and burn-in steps
//   inlined (the default) or called out of line; `capplan bench --cuda-sweep`
//   measures them all.
// * Measured (docs/performance.md): bound by instruction issue; lanes diverge
//   in the binomial failure draws (about 10 of 32 active per instruction) and
//   warps wait for instruction fetch.
// * Possible next steps: aggregate per row straight after each record day
//   (needs a hook in simulate_trial), or keep hot counters of small layouts
//   in shared memory.
#include "backends/cuda_backend.h"

#include <cuda_runtime.h>
#include <thrust/fill.h>
#include <thrust/system/cuda/execution_policy.h>
#include <thrust/system_error.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/aggregate.h"
#include "kernels/metrics.h"
#include "kernels/model.h"
#include "kernels/trial.h"
#include "kernels/warp_sink.h"
#include "kernels/workspace.h"
#include "planner/base/errors.h"

// Checks a CUDA runtime call: on failure clears the (non-sticky) error state
// and throws RuntimeFailure naming the call, the place and CUDA's message.
#define CAPPLAN_CUDA_CHECK(call) ::capplan::cuda_detail::check_cuda((call), #call, __FILE__, __LINE__)

namespace capplan {
namespace cuda_detail {

[[noreturn]] void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line) {
  // Reset the last-error state: a non-sticky error (bad argument, out of
  // memory) leaves the context usable. A sticky one (a fault in a kernel)
  // does not; later calls then fail with it too, and are reported the same way.
  cudaGetLastError();
  std::ostringstream message;
  message << "CUDA error: " << call << " failed at " << file << ":" << line << ": " << cudaGetErrorName(status) << ": "
          << cudaGetErrorString(status);
  throw RuntimeFailure(message.str());
}

inline void check_cuda(cudaError_t status, const char* call, const char* file, int line) {
  if (status != cudaSuccess) throw_cuda_error(status, call, file, line);
}

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kDefaultBlockSize = 128;
constexpr std::size_t kSliceAlignment = 128;                      // scratch pieces of a warp: whole cache lines
constexpr std::size_t kDefaultBudgetCap = std::size_t(32) << 30;  // bench-large, 128 registers: ~17 GiB in flight
constexpr std::int64_t kDefaultTrialsPerThreadPerLaunch = 32;

struct KernelParams {
  ModelView view;                            // pointers into device memory
  CounterLayout layout;                      // cell layouts and targets in device memory
  BasicCounterView<std::uint64_t> counters;  // device counters; minima and maxima as order keys
  char* scratch;                             // [warps][warp_bytes]
  std::size_t warp_bytes;                    // one warp's interleaved group: workspace | record | completion days
  std::size_t record_offset;                 // within a warp's group
  std::size_t completion_offset;
  std::uint64_t first_trial;
  unsigned long long count;        // trials in this launch
  unsigned long long* next_trial;  // work counter (zeroed before each launch)
};

// A warp's 32 trials share one interleaved scratch group (kernels/workspace.h).
using WarpWorkspace = BasicWorkspace<kWarpLanes>;
using WarpOutput = BasicTrialOutput<kWarpLanes>;

// ---- device helpers ---------------------------------------------------------

// The Warp interface of kernels/warp_sink.h: CUDA's warp intrinsics over the
// full warp, and atomics on global memory.
struct DeviceWarp {
  static_assert(sizeof(unsigned long long) == sizeof(std::uint64_t), "64-bit counters");

  __device__ __forceinline__ unsigned lane() const { return threadIdx.x & 31u; }
  __device__ __forceinline__ std::uint64_t broadcast(std::uint64_t v, unsigned from) const {
    return __shfl_sync(kFullMask, static_cast<unsigned long long>(v), static_cast<int>(from));
  }
  __device__ __forceinline__ std::uint64_t shfl_xor(std::uint64_t v, int offset) const {
    return __shfl_xor_sync(kFullMask, static_cast<unsigned long long>(v), offset);
  }
  __device__ __forceinline__ unsigned match_any(std::uint64_t key) const {
    return __match_any_sync(kFullMask, static_cast<unsigned long long>(key));
  }
  __device__ __forceinline__ unsigned ballot(bool p) const { return __ballot_sync(kFullMask, p); }
  __device__ __forceinline__ bool all(bool p) const { return __all_sync(kFullMask, p) != 0; }
  __device__ __forceinline__ void atomic_add(std::uint64_t* counter, std::uint64_t x) const {
    atomicAdd(reinterpret_cast<unsigned long long*>(counter), static_cast<unsigned long long>(x));
  }
  __device__ __forceinline__ void atomic_min(std::uint64_t* counter, std::uint64_t x) const {
    atomicMin(reinterpret_cast<unsigned long long*>(counter), static_cast<unsigned long long>(x));
  }
  __device__ __forceinline__ void atomic_max(std::uint64_t* counter, std::uint64_t x) const {
    atomicMax(reinterpret_cast<unsigned long long*>(counter), static_cast<unsigned long long>(x));
  }
};

// Out-of-line copies of the two large per-day steps of simulate_trial() (the
// OutOfLineSteps policy): the kernel then keeps only the day loop's state in
// registers (about 175 instead of about 240 with nvcc 13 for sm_90; with a
// 128-register cap, far fewer spills), at the cost of a call per site-day.
__device__ __noinline__ void install_at_site_call(const ModelView& m, int s, int d, WarpWorkspace& w) {
  detail::install_at_site(m, s, d, w);
}
__device__ __noinline__ void resolve_burn_in_call(const ModelView& m, std::uint32_t trial, int t, int d,
                                                  std::int64_t units, WarpWorkspace& w) {
  detail::resolve_burn_in(m, trial, t, d, units, w);
}
struct OutOfLineSteps {
  static __device__ __forceinline__ void install_at_site(const ModelView& m, int s, int d, WarpWorkspace& w) {
    install_at_site_call(m, s, d, w);
  }
  static __device__ __forceinline__ void resolve_burn_in(const ModelView& m, std::uint32_t trial, int t, int d,
                                                         std::int64_t units, WarpWorkspace& w) {
    resolve_burn_in_call(m, trial, t, d, units, w);
  }
};

// The trial loop: a persistent grid; each warp takes 32 trial numbers at a time.
// kMinBlocks = 1 lets the compiler use up to 255 registers per thread (about
// 240, no spills, with nvcc 13 for sm_90); 2 caps it at 128 (some spills to
// L1-cached local memory, twice the resident warps). CudaOptions::registers
// chooses, and CudaOptions::out_of_line_steps chooses Steps; all four variants
// give the same results.
template <int kMinBlocks, class Steps>
__global__ void __launch_bounds__(kCudaMaxBlockSize, kMinBlocks)
    simulate_and_aggregate(const __grid_constant__ KernelParams p) {
  const unsigned lane = threadIdx.x & 31u;
  // Block sizes are multiples of 32, so a warp's lanes are consecutive threads.
  const std::size_t warp = (static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarpLanes;
  char* group = p.scratch + warp * p.warp_bytes;
  WarpWorkspace workspace = carve_group_workspace<kWarpLanes>(p.view, group, static_cast<int>(lane));
  WarpOutput out;
  out.record = reinterpret_cast<double*>(group + p.record_offset) + lane;
  out.completion_day = reinterpret_cast<int*>(group + p.completion_offset) + lane;
  for (;;) {
    unsigned long long base = 0;
    if (lane == 0) base = atomicAdd(p.next_trial, 32ull);
    base = __shfl_sync(kFullMask, base, 0);
    if (base >= p.count) return;  // warp-uniform
    const unsigned long long i = base + lane;
    const bool active = i < p.count;
    if (active) simulate_trial<Steps>(p.view, static_cast<std::uint32_t>(p.first_trial + i), workspace, out);
    __syncwarp();
    const DeviceWarp warp;
    WarpSink<DeviceWarp> sink(warp, active, warp.ballot(active));
    aggregate_trial(sink, p.view, p.layout, p.counters, out.record, out.completion_day);
  }
}

// ---- host helpers -----------------------------------------------------------

using KernelFunction = void (*)(KernelParams);

// The kernel variant for a register cap and step policy (CudaOptions).
KernelFunction kernel_for(int registers, bool out_of_line_steps) {
  if (out_of_line_steps) {
    return registers == 0 ? simulate_and_aggregate<1, OutOfLineSteps> : simulate_and_aggregate<2, OutOfLineSteps>;
  }
  return registers == 0 ? simulate_and_aggregate<1, InlineSteps> : simulate_and_aggregate<2, InlineSteps>;
}

std::size_t align_to(std::size_t n, std::size_t alignment) { return (n + alignment - 1) / alignment * alignment; }

std::string mib(std::size_t bytes) {
  std::ostringstream s;
  s.precision(1);
  s << std::fixed << static_cast<double>(bytes) / (1024.0 * 1024.0) << " MiB";
  return s.str();
}

// Owns one cudaMalloc allocation; frees it without throwing.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(std::size_t bytes, const char* what) : bytes_(bytes) {
    if (bytes == 0) return;
    const cudaError_t status = cudaMalloc(&ptr_, bytes);
    if (status != cudaSuccess) {
      cudaGetLastError();
      ptr_ = nullptr;
      throw RuntimeFailure(std::string("CUDA error: cudaMalloc of ") + mib(bytes) + " for " + what +
                           " failed: " + cudaGetErrorName(status) + ": " + cudaGetErrorString(status));
    }
  }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(DeviceBuffer&& other) noexcept : ptr_(other.ptr_), bytes_(other.bytes_) {
    other.ptr_ = nullptr;
    other.bytes_ = 0;
  }
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      release();
      ptr_ = other.ptr_;
      bytes_ = other.bytes_;
      other.ptr_ = nullptr;
      other.bytes_ = 0;
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  template <class T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  std::size_t bytes() const { return bytes_; }

 private:
  void release() noexcept {
    if (ptr_) {
      cudaFree(ptr_);
      cudaGetLastError();  // a failed free (after a kernel fault) must not leak into later calls
    }
    ptr_ = nullptr;
    bytes_ = 0;
  }
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

// Packs host arrays into one blob (16-byte aligned pieces) for a single upload.
class Blob {
 public:
  template <class T>
  std::size_t add(const T* data, std::size_t count) {
    static_assert(std::is_trivially_copyable<T>::value, "uploaded model data must be trivially copyable");
    const std::size_t offset = align_to(bytes_.size(), 16);
    bytes_.resize(offset + sizeof(T) * count);
    if (count > 0) std::memcpy(bytes_.data() + offset, data, sizeof(T) * count);
    return offset;
  }
  template <class T>
  std::size_t add(const std::vector<T>& v) {
    return add(v.data(), v.size());
  }
  const std::vector<unsigned char>& bytes() const { return bytes_; }

 private:
  std::vector<unsigned char> bytes_;
};

// Runs a Thrust algorithm, turning its exceptions into RuntimeFailure.
template <class F>
void with_thrust(const char* what, F&& f) {
  try {
    f();
  } catch (const thrust::system_error& e) {
    cudaGetLastError();
    throw RuntimeFailure(std::string("CUDA error in ") + what + ": " + e.what());
  } catch (const std::bad_alloc&) {
    cudaGetLastError();
    throw RuntimeFailure(std::string("CUDA error in ") + what + ": out of memory");
  }
}

}  // namespace cuda_detail

using namespace cuda_detail;

bool cuda_compiled() { return true; }

CudaDeviceInfo probe_cuda_device(int device) {
  CudaDeviceInfo info;
  info.device = device;
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    int driver = 0, runtime = 0;
    cudaDriverGetVersion(&driver);
    cudaRuntimeGetVersion(&runtime);
    cudaGetLastError();
    auto version = [](int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); };
    if (status == cudaErrorNoDevice) {
      info.reason = "no CUDA GPU found";
    } else if (status == cudaErrorInsufficientDriver && driver == 0) {
      info.reason = "no NVIDIA GPU driver found (libcuda)";
    } else if (status == cudaErrorInsufficientDriver) {
      info.reason = "the NVIDIA driver supports CUDA " + version(driver) + ", older than this build's runtime " +
                    version(runtime);
    } else {
      info.reason = "no usable CUDA GPU";
    }
    info.reason +=
        std::string(" (cudaGetDeviceCount: ") + cudaGetErrorName(status) + ": " + cudaGetErrorString(status) + ")";
    return info;
  }
  if (count <= 0) {
    info.reason = "no CUDA GPU found";
    return info;
  }
  if (device < 0 || device >= count) {
    info.reason = "CUDA device " + std::to_string(device) + " does not exist (" + std::to_string(count) +
                  " device(s): 0 .. " + std::to_string(count - 1) + ")";
    return info;
  }
  cudaDeviceProp prop;
  status = cudaGetDeviceProperties(&prop, device);
  if (status != cudaSuccess) {
    cudaGetLastError();
    info.reason = std::string("cannot query CUDA device ") + std::to_string(device) + ": " + cudaGetErrorString(status);
    return info;
  }
  info.name = prop.name;
  info.multiprocessors = prop.multiProcessorCount;
  info.memory_gib = static_cast<double>(prop.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0);
  info.compute_major = prop.major;
  info.compute_minor = prop.minor;
  // Does this binary hold code the GPU can run? Asking for the kernel's
  // attributes loads it on the device (and creates the context there).
  int previous = -1;
  const bool had_previous = cudaGetDevice(&previous) == cudaSuccess;
  cudaGetLastError();
  status = cudaSetDevice(device);
  if (status == cudaSuccess) {
    cudaFuncAttributes attributes;
    status = cudaFuncGetAttributes(&attributes, simulate_and_aggregate<1, InlineSteps>);
  }
  const cudaError_t failure = status;
  cudaGetLastError();
  if (had_previous && previous != device) {
    cudaSetDevice(previous);
    cudaGetLastError();
  }
  if (failure != cudaSuccess) {
    info.reason = "CUDA device " + std::to_string(device) + " (" + info.name + ", compute capability " +
                  std::to_string(prop.major) + "." + std::to_string(prop.minor) +
                  ") cannot run this build's GPU code: " + cudaGetErrorName(failure) + ": " +
                  cudaGetErrorString(failure) + " (rebuild with CMAKE_CUDA_ARCHITECTURES including this GPU)";
    return info;
  }
  info.available = true;
  return info;
}

namespace cuda_detail {

// Throws RuntimeFailure unless `layout` fits `model`: one cell per record value
// (every scope block), every histogram inside the bins, days + 1 completion
// bins per tranche and milestone, a criticality counter per tranche, every
// target inside the record.
void check_layout(const ModelView& model, const CounterLayout& layout) {
  const CounterSizes& n = layout.sizes;
  const std::uint64_t cells = static_cast<std::uint64_t>(record_values(model));
  if (n.cells != cells) {
    throw RuntimeFailure("CudaSimulator: cell layouts do not match the model (" + std::to_string(n.cells) +
                         " layouts, " + std::to_string(cells) + " cells)");
  }
  for (std::uint64_t i = 0; i < n.cells; ++i) {
    if (layout.cells[i].bin_offset + static_cast<std::uint64_t>(layout.cells[i].bin_count) > n.bins) {
      throw RuntimeFailure("CudaSimulator: a cell layout lies outside the statistics' bins");
    }
  }
  const std::uint64_t tranches = static_cast<std::uint64_t>(model.tranche_count);
  const std::uint64_t outcomes = static_cast<std::uint64_t>(outcome_count(model));
  if (n.completion != outcomes * (static_cast<std::uint64_t>(model.days) + 1) || n.tranches != tranches) {
    throw RuntimeFailure("CudaSimulator: the statistics' completion or criticality counters do not match the model");
  }
  for (std::uint64_t k = 0; k < n.targets; ++k) {
    if (layout.targets[k].cell >= cells) {
      throw RuntimeFailure("CudaSimulator: target " + std::to_string(k) + " is outside the record");
    }
  }
}

}  // namespace cuda_detail

struct CudaSimulator::Impl {
  CudaDeviceInfo info;
  cudaStream_t stream = nullptr;
  DeviceBuffer constants;  // model arrays, cell layouts, targets
  DeviceBuffer counters;   // bins | sums | completion | target hits | critical | min keys | max keys
  DeviceBuffer work;       // the per-launch trial counter
  DeviceBuffer scratch;    // per-warp groups of per-trial scratch
  KernelParams params{};
  CounterSizes sizes;  // of the counters
  KernelFunction kernel = nullptr;
  int registers = 0;  // per thread, as compiled
  bool out_of_line_steps = false;
  int blocks_per_sm = 0;  // resident blocks per SM (occupancy calculator)
  int block = 0;
  std::int64_t grid = 0;
  std::int64_t launch_trials = 0;
  std::uint64_t pending_trials = 0;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (stream) {
      cudaSetDevice(info.device);
      cudaStreamSynchronize(stream);
      cudaStreamDestroy(stream);
      cudaGetLastError();
    }
    // Buffers are freed after this body (members destroyed in reverse order).
  }

  std::size_t integer_counters() const {
    return sizes.bins + sizes.cells + sizes.completion + sizes.targets + sizes.tranches;
  }
  std::size_t counter_total() const { return integer_counters() + 2 * sizes.cells; }

  // The model's arrays, the cell layouts and the targets in one upload;
  // params.view and params.layout then point into device memory.
  void upload_model(const HostModel& model, const CounterLayout& layout) {
    const ModelView& m = model.view;
    auto count = [](int n) { return static_cast<std::size_t>(n); };
    Blob blob;
    const std::size_t at_record_days = blob.add(m.record_days, count(m.record_day_count));
    const std::size_t at_slots = blob.add(m.slots, count(m.slot_count));
    const std::size_t at_dists = blob.add(m.dists, model.dists);
    const std::size_t at_tables = blob.add(m.tables, model.tables);
    const std::size_t at_tranches = blob.add(m.tranches, count(m.tranche_count));
    const std::size_t at_after = blob.add(m.after, model.after);
    const std::size_t at_sites = blob.add(m.sites, count(m.site_count));
    const std::size_t at_site_tranches = blob.add(m.site_tranches, model.site_tranches);
    const std::size_t at_power_steps = blob.add(m.power_steps, count(m.power_step_count));
    const std::size_t at_systems = blob.add(m.systems, count(m.system_count));
    const std::size_t at_fleets = blob.add(m.fleets, count(m.fleet_count));
    const std::size_t at_scopes = blob.add(m.scopes, count(m.scope_count));
    const std::size_t at_milestones = blob.add(m.milestones, count(m.milestone_count));
    const std::size_t at_risks = blob.add(m.risks, count(m.risk_count));
    const std::size_t at_risk_targets = blob.add(m.risk_targets, model.risk_targets);
    const std::size_t at_components = blob.add(m.components, count(m.component_count));
    const std::size_t at_correlated_slots = blob.add(m.correlated_slots, model.correlated_slots);
    const std::size_t at_cholesky = blob.add(m.cholesky, model.cholesky);
    const std::size_t at_cells = blob.add(layout.cells, layout.sizes.cells);
    const std::size_t at_targets = blob.add(layout.targets, layout.sizes.targets);
    constants = DeviceBuffer(std::max<std::size_t>(blob.bytes().size(), 16), "the model");
    CAPPLAN_CUDA_CHECK(cudaMemcpyAsync(constants.as<void>(), blob.bytes().data(), blob.bytes().size(),
                                       cudaMemcpyHostToDevice, stream));
    const char* base = constants.as<const char>();
    ModelView& view = params.view;
    view = m;
    view.record_days = reinterpret_cast<const int*>(base + at_record_days);
    view.slots = reinterpret_cast<const QuantitySlot*>(base + at_slots);
    view.dists = reinterpret_cast<const DistParams*>(base + at_dists);
    view.tables = reinterpret_cast<const double*>(base + at_tables);
    view.tranches = reinterpret_cast<const TrancheParams*>(base + at_tranches);
    view.after = reinterpret_cast<const int*>(base + at_after);
    view.sites = reinterpret_cast<const SiteParams*>(base + at_sites);
    view.site_tranches = reinterpret_cast<const int*>(base + at_site_tranches);
    view.power_steps = reinterpret_cast<const PowerStepParams*>(base + at_power_steps);
    view.systems = reinterpret_cast<const SystemParams*>(base + at_systems);
    view.fleets = reinterpret_cast<const FleetParams*>(base + at_fleets);
    view.scopes = reinterpret_cast<const ScopeParams*>(base + at_scopes);
    view.milestones = reinterpret_cast<const MilestoneParams*>(base + at_milestones);
    view.risks = reinterpret_cast<const RiskParams*>(base + at_risks);
    view.risk_targets = reinterpret_cast<const RiskTargetParams*>(base + at_risk_targets);
    view.components = reinterpret_cast<const CorrelationComponent*>(base + at_components);
    view.correlated_slots = reinterpret_cast<const int*>(base + at_correlated_slots);
    view.cholesky = reinterpret_cast<const double*>(base + at_cholesky);
    params.layout.sizes = layout.sizes;
    params.layout.cells = reinterpret_cast<const CellLayout*>(base + at_cells);
    params.layout.targets = reinterpret_cast<const TargetCell*>(base + at_targets);
  }

  // Device counters of the given sizes, in one buffer, zeroed; and the work counter.
  void set_up_counters(const CounterSizes& n) {
    sizes = n;
    counters = DeviceBuffer(counter_total() * sizeof(std::uint64_t), "the statistics counters");
    BasicCounterView<std::uint64_t>& c = params.counters;
    c.sizes = n;
    c.bins = counters.as<std::uint64_t>();
    c.sums = c.bins + n.bins;
    c.completion = c.sums + n.cells;
    c.target_hits = c.completion + n.completion;
    c.critical = c.target_hits + n.targets;
    c.minima = c.critical + n.tranches;
    c.maxima = c.minima + n.cells;
    work = DeviceBuffer(sizeof(unsigned long long), "the work counter");
    params.next_trial = work.as<unsigned long long>();
    reset_counters();
  }

  // Zeroes the counters: sums and histograms 0, minima key(+inf), maxima key(-inf).
  void reset_counters() {
    std::uint64_t* base = counters.as<std::uint64_t>();
    if (!base) return;
    CAPPLAN_CUDA_CHECK(cudaMemsetAsync(base, 0, integer_counters() * sizeof(std::uint64_t), stream));
    std::uint64_t* minima = params.counters.minima;
    std::uint64_t* maxima = params.counters.maxima;
    const std::size_t n = sizes.cells;
    cudaStream_t s = stream;
    with_thrust("initialising the minima and maxima", [&] {
      thrust::fill_n(thrust::cuda::par_nosync.on(s), minima, n, kKeyPosInf);
      thrust::fill_n(thrust::cuda::par_nosync.on(s), maxima, n, kKeyNegInf);
    });
    CAPPLAN_CUDA_CHECK(cudaGetLastError());
  }

  // The kernel variant, and the block size and resident blocks per SM it gets.
  void choose_kernel(const CudaOptions& options) {
    kernel = kernel_for(options.registers, options.out_of_line_steps);
    out_of_line_steps = options.out_of_line_steps;
    cudaFuncAttributes attributes;
    CAPPLAN_CUDA_CHECK(cudaFuncGetAttributes(&attributes, kernel));
    registers = attributes.numRegs;
    block = options.block_size > 0 ? options.block_size : kDefaultBlockSize;
    CAPPLAN_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks_per_sm, kernel, block, 0));
    blocks_per_sm = std::max(blocks_per_sm, 1);
  }

  // Per-warp scratch (lanes interleaved: workspace | record | completion
  // days) for a grid of every resident block, within the memory budget (or
  // CudaOptions::trials_in_flight), and the trials per launch.
  void size_scratch_and_grid(const CudaOptions& options) {
    KernelParams& p = params;
    p.record_offset = group_workspace_bytes<kWarpLanes>(p.view);
    const std::size_t record_bytes = static_cast<std::size_t>(record_values(p.view)) * sizeof(double) * kWarpLanes;
    p.completion_offset = p.record_offset + align_to(record_bytes, kSliceAlignment);
    p.warp_bytes =
        align_to(p.completion_offset + static_cast<std::size_t>(outcome_count(p.view)) * sizeof(int) * kWarpLanes,
                 kSliceAlignment);
    const std::size_t block_bytes = p.warp_bytes * static_cast<std::size_t>(block / kWarpLanes);
    if (options.trials_in_flight > 0) {
      grid = (options.trials_in_flight + block - 1) / block;
    } else {
      std::size_t free_bytes = 0, total_bytes = 0;
      CAPPLAN_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
      const std::size_t budget =
          options.memory_budget_bytes > 0 ? options.memory_budget_bytes : std::min(free_bytes / 2, kDefaultBudgetCap);
      const std::int64_t by_memory = static_cast<std::int64_t>(budget / block_bytes);
      if (by_memory < 1) {
        throw RuntimeFailure("the CUDA backend needs " + mib(block_bytes) + " of scratch for one block of " +
                             std::to_string(block) + " trials (" + mib(p.warp_bytes / kWarpLanes) +
                             " per trial), more than its " + mib(budget) + " budget on " + info.name);
      }
      grid = std::min<std::int64_t>(static_cast<std::int64_t>(info.multiprocessors) * blocks_per_sm, by_memory);
    }
    grid = std::max<std::int64_t>(1, std::min<std::int64_t>(grid, 0x7fffffff));
    scratch = DeviceBuffer(block_bytes * static_cast<std::size_t>(grid), "the per-trial scratch");
    p.scratch = scratch.as<char>();
    launch_trials = options.launch_trials > 0 ? options.launch_trials : grid * block * kDefaultTrialsPerThreadPerLaunch;
  }
};

CudaSimulator::CudaSimulator(const HostModel& model, const CounterLayout& counters, int device,
                             const CudaOptions& options)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.info = probe_cuda_device(device);
  if (!s.info.available) throw RuntimeFailure("the CUDA backend cannot run: " + s.info.reason);
  check_cuda_options(options);
  CAPPLAN_CUDA_CHECK(cudaSetDevice(device));
  check_layout(model.view, counters);
  CAPPLAN_CUDA_CHECK(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking));
  s.upload_model(model, counters);
  s.set_up_counters(counters.sizes);
  s.choose_kernel(options);
  s.size_scratch_and_grid(options);
  CAPPLAN_CUDA_CHECK(cudaStreamSynchronize(s.stream));
}

CudaSimulator::~CudaSimulator() = default;
CudaSimulator::CudaSimulator(CudaSimulator&&) noexcept = default;
CudaSimulator& CudaSimulator::operator=(CudaSimulator&&) noexcept = default;

void CudaSimulator::run(std::uint64_t seed, std::uint64_t first_trial, std::uint64_t count) {
  Impl& s = *impl_;
  CAPPLAN_CUDA_CHECK(cudaSetDevice(s.info.device));
  KernelParams p = s.params;
  p.view.seed = seed;
  for (std::uint64_t done = 0; done < count;) {
    const std::uint64_t n = std::min<std::uint64_t>(static_cast<std::uint64_t>(s.launch_trials), count - done);
    p.first_trial = first_trial + done;
    p.count = n;
    const std::uint64_t blocks_needed =
        (n + static_cast<std::uint64_t>(s.block) - 1) / static_cast<std::uint64_t>(s.block);
    const unsigned grid =
        static_cast<unsigned>(std::min<std::uint64_t>(blocks_needed, static_cast<std::uint64_t>(s.grid)));
    CAPPLAN_CUDA_CHECK(cudaMemsetAsync(p.next_trial, 0, sizeof(unsigned long long), s.stream));
    s.kernel<<<grid, static_cast<unsigned>(s.block), 0, s.stream>>>(p);
    CAPPLAN_CUDA_CHECK(cudaGetLastError());
    done += n;
  }
  CAPPLAN_CUDA_CHECK(cudaStreamSynchronize(s.stream));
  s.pending_trials += count;
}

std::uint64_t CudaSimulator::download(const CounterView& into) {
  Impl& s = *impl_;
  if (!same_sizes(into.sizes, s.sizes)) {
    throw RuntimeFailure("CudaSimulator::download: the counters do not have the sizes given at construction");
  }
  CAPPLAN_CUDA_CHECK(cudaSetDevice(s.info.device));
  std::vector<std::uint64_t> host;
  try {
    host.resize(s.counter_total());
  } catch (const std::bad_alloc&) {
    throw RuntimeFailure("out of memory downloading the GPU statistics (" +
                         mib(s.counter_total() * sizeof(std::uint64_t)) + ")");
  }
  CAPPLAN_CUDA_CHECK(cudaMemcpyAsync(host.data(), s.counters.as<void>(), host.size() * sizeof(std::uint64_t),
                                     cudaMemcpyDeviceToHost, s.stream));
  CAPPLAN_CUDA_CHECK(cudaStreamSynchronize(s.stream));
  const std::uint64_t* next = host.data();
  auto add_all = [&next](std::uint64_t* part, std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i) part[i] += *next++;
  };
  add_all(into.bins, s.sizes.bins);
  add_all(into.sums, s.sizes.cells);
  add_all(into.completion, s.sizes.completion);
  add_all(into.target_hits, s.sizes.targets);
  add_all(into.critical, s.sizes.tranches);
  for (std::uint64_t i = 0; i < s.sizes.cells; ++i) into.minima[i] = std::min(into.minima[i], key_to_double(*next++));
  for (std::uint64_t i = 0; i < s.sizes.cells; ++i) into.maxima[i] = std::max(into.maxima[i], key_to_double(*next++));
  const std::uint64_t trials = s.pending_trials;
  s.pending_trials = 0;
  s.reset_counters();
  CAPPLAN_CUDA_CHECK(cudaStreamSynchronize(s.stream));
  return trials;
}

const CudaDeviceInfo& CudaSimulator::device_info() const { return impl_->info; }
int CudaSimulator::block_size() const { return impl_->block; }
std::int64_t CudaSimulator::trials_in_flight() const { return impl_->grid * impl_->block; }
std::size_t CudaSimulator::scratch_bytes_per_trial() const { return impl_->params.warp_bytes / kWarpLanes; }
std::size_t CudaSimulator::device_bytes() const {
  const Impl& s = *impl_;
  return s.constants.bytes() + s.counters.bytes() + s.work.bytes() + s.scratch.bytes();
}

std::string CudaSimulator::describe() const {
  const Impl& s = *impl_;
  std::ostringstream out;
  out.precision(1);
  out << std::fixed << s.info.name << " (CUDA device " << s.info.device << ", sm_" << s.info.compute_major
      << s.info.compute_minor << ", " << s.info.multiprocessors << " SMs, " << s.info.memory_gib << " GiB); "
      << trials_in_flight() << " trials in flight x " << static_cast<double>(s.params.warp_bytes / kWarpLanes) / 1024.0
      << " KiB, block " << s.block << " (" << s.registers << " registers, " << s.blocks_per_sm << " blocks/SM, "
      << (s.out_of_line_steps ? "steps called" : "steps inlined") << "), " << mib(device_bytes()) << " on the device";
  return out.str();
}

}  // namespace capplan
