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
//   record into the device counters, exactly like ForecastStatistics::add()
//   (planner/statistics.cpp) does on the CPU: for cell (row, metric) the bin
//   hdr_bin_index(cell_quantize()), the fixed-point sum cell_fixed_point(), the
//   minimum and maximum; completion-day histograms; criticality; target hits.
//   Every update is an integer atomic (add, min, max), which is associative and
//   commutative, so the counters do not depend on thread or warp order and
//   equal the CPU's bit for bit.
//   The warp first combines what it can, to cut atomic traffic:
//     - when all active lanes hold the same value (common: nothing delivered
//       yet, or everything delivered), lane 0 does one add of n x the bin and
//       n x the fixed-point value, and one min and one max;
//     - otherwise lanes that hit the same bin are grouped with
//       __match_any_sync (one atomic per distinct bin), and the sum, min and
//       max are reduced with shuffles (one atomic each per warp and cell).
//   Minimum and maximum are kept as order-preserving 64-bit keys of the
//   doubles (positive: bits | sign bit; negative: ~bits), so atomicMin/Max on
//   unsigned integers order them like doubles, -inf and negatives included.
//   -0.0 is stored as +0.0 and NaN is skipped, as ForecastStatistics::add()
//   does on the CPU (it maps -0.0 to +0.0 before std::min/std::max, which keep
//   their first argument when the second is NaN).
//   Device minima start at key(+inf) and maxima at key(-inf), so a cell with no
//   trials downloads as +inf / -inf, like empty_counters().
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
// * Kernel variants (CudaOptions): a register cap of 128 or none, and the
//   day's install and burn-in steps inlined or called out of line;
//   `capplan bench --cuda-sweep` measures them all.
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

#include "kernels/histogram.h"
#include "kernels/metrics.h"
#include "kernels/model.h"
#include "kernels/trial.h"
#include "kernels/workspace.h"
#include "planner/errors.h"

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
constexpr unsigned long long kSignBit = 0x8000000000000000ull;
constexpr unsigned long long kKeyPosInf = 0xfff0000000000000ull;  // order_key(+inf)
constexpr unsigned long long kKeyNegInf = 0x000fffffffffffffull;  // order_key(-inf)
constexpr int kDefaultBlockSize = 128;
constexpr std::size_t kSliceAlignment = 128;                      // scratch pieces of a warp: whole cache lines
constexpr std::size_t kDefaultBudgetCap = std::size_t(32) << 30;  // bench-large, 128 registers: ~17 GiB in flight
constexpr std::int64_t kDefaultTrialsPerThreadPerLaunch = 32;

// A device-side target: the record cell it reads and its threshold.
struct DeviceTarget {
  std::uint64_t cell = 0;  // record_index * kMetricCount + metric
  double threshold = 0.0;
};

struct KernelParams {
  ModelView view;             // pointers into device memory
  const CellLayout* layouts;  // [cells]
  std::uint64_t cells;        // record rows x kMetricCount
  int days;
  int tranches;
  int target_count;
  const DeviceTarget* targets;      // [target_count]
  unsigned long long* bins;         // CellLayout::bin_offset
  unsigned long long* sums;         // [cells]
  unsigned long long* min_keys;     // [cells]
  unsigned long long* max_keys;     // [cells]
  unsigned long long* completion;   // [tranches][days + 1]
  unsigned long long* target_hits;  // [target_count]
  unsigned long long* critical;     // [tranches]
  char* scratch;                    // [warps][warp_bytes]
  std::size_t warp_bytes;           // one warp's interleaved group: workspace | record | completion days
  std::size_t record_offset;        // within a warp's group
  std::size_t completion_offset;
  std::uint64_t first_trial;
  unsigned long long count;        // trials in this launch
  unsigned long long* next_trial;  // work counter (zeroed before each launch)
};

// A warp's 32 trials share one interleaved scratch group (kernels/workspace.h).
using WarpWorkspace = BasicWorkspace<kWarpLanes>;
using WarpOutput = BasicTrialOutput<kWarpLanes>;

// ---- device helpers ---------------------------------------------------------

// An unsigned key with the order of the doubles (NaN excluded by the caller).
__device__ __forceinline__ unsigned long long order_key(double v) {
  const unsigned long long b = static_cast<unsigned long long>(__double_as_longlong(v));
  return (b & kSignBit) ? ~b : (b | kSignBit);
}

__device__ __forceinline__ unsigned long long warp_sum(unsigned long long x) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) x += __shfl_xor_sync(kFullMask, x, offset);
  return x;
}

__device__ __forceinline__ unsigned long long warp_min(unsigned long long x) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) {
    const unsigned long long y = __shfl_xor_sync(kFullMask, x, offset);
    x = y < x ? y : x;
  }
  return x;
}

__device__ __forceinline__ unsigned long long warp_max(unsigned long long x) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) {
    const unsigned long long y = __shfl_xor_sync(kFullMask, x, offset);
    x = y > x ? y : x;
  }
  return x;
}

// table[index] += 1 for every active lane, one atomic per distinct index.
__device__ __forceinline__ void warp_histogram_add(unsigned long long* table, std::uint64_t index, bool active,
                                                   unsigned lane) {
  const unsigned long long key = active ? static_cast<unsigned long long>(index) : ~0ull;
  const unsigned peers = __match_any_sync(kFullMask, key);
  if (active && lane == static_cast<unsigned>(__ffs(peers) - 1)) {
    atomicAdd(table + index, static_cast<unsigned long long>(__popc(peers)));
  }
}

// Adds one value per active lane to cell `cell` (layout c). Every lane of the
// warp must call it (full-mask warp intrinsics); lane 0 is always active.
__device__ __forceinline__ void aggregate_cell(const KernelParams& p, std::uint64_t cell, const CellLayout& c,
                                               double value, bool active, unsigned active_count, unsigned lane) {
  if (value == 0.0) value = 0.0;  // -0.0 -> +0.0
  const unsigned long long bits = static_cast<unsigned long long>(__double_as_longlong(value));
  const unsigned long long first = __shfl_sync(kFullMask, bits, 0);
  if (__all_sync(kFullMask, !active || bits == first)) {
    // Every active lane holds the same value: one update per counter.
    if (lane == 0) {
      const int bin = hdr_bin_index(cell_quantize(c, value), c.bits);
      atomicAdd(p.bins + c.bin_offset + static_cast<std::uint64_t>(bin), static_cast<unsigned long long>(active_count));
      const unsigned long long fixed = cell_fixed_point(c, value);
      if (fixed != 0) atomicAdd(p.sums + cell, fixed * active_count);
      if (value == value) {  // not NaN
        const unsigned long long key = order_key(value);
        atomicMin(p.min_keys + cell, key);
        atomicMax(p.max_keys + cell, key);
      }
    }
    return;
  }
  int bin = 0;
  unsigned long long fixed = 0, low = kKeyPosInf, high = kKeyNegInf;
  if (active) {
    bin = hdr_bin_index(cell_quantize(c, value), c.bits);
    fixed = cell_fixed_point(c, value);
    if (value == value) low = high = order_key(value);
  }
  warp_histogram_add(p.bins + c.bin_offset, static_cast<std::uint64_t>(bin), active, lane);
  fixed = warp_sum(fixed);
  low = warp_min(low);
  high = warp_max(high);
  if (lane == 0) {
    if (fixed != 0) atomicAdd(p.sums + cell, fixed);
    if (low != kKeyPosInf) atomicMin(p.min_keys + cell, low);
    if (high != kKeyNegInf) atomicMax(p.max_keys + cell, high);
  }
}

// Aggregates each active lane's trial output (ForecastStatistics::add on one trial).
__device__ __forceinline__ void aggregate_trial(const KernelParams& p, const WarpOutput& out, bool active,
                                                unsigned active_count, unsigned lane) {
  for (std::uint64_t cell = 0; cell < p.cells; ++cell) {
    const CellLayout c = p.layouts[cell];
    const double value = active ? out.record[cell] : 0.0;
    aggregate_cell(p, cell, c, value, active, active_count, lane);
  }
  const std::uint64_t stride = static_cast<std::uint64_t>(p.days) + 1;
  for (int t = 0; t < p.tranches; ++t) {
    const int day = active ? out.completion_day[t] : 0;
    const int bin = day < 0 || day >= p.days ? p.days : day;
    warp_histogram_add(p.completion, static_cast<std::uint64_t>(t) * stride + static_cast<std::uint64_t>(bin), active,
                       lane);
  }
  // Criticality: per site, the tranches that complete last (not completing
  // counts as latest; a tranche that does not happen is never critical).
  for (int site = 0; site < p.view.site_count; ++site) {
    const SiteParams& sp = p.view.sites[site];
    const int* members = p.view.site_tranches + sp.tranche_offset;
    int latest = -1;
    if (active) {
      for (int k = 0; k < sp.tranche_count; ++k) {
        const int day = out.completion_day[members[k]];
        const int key = day == kNotCompleted ? p.days : day;
        if (day != kDoesNotHappen && key > latest) latest = key;
      }
    }
    for (int k = 0; k < sp.tranche_count; ++k) {
      const int t = members[k];
      bool critical = false;
      if (active) {
        const int day = out.completion_day[t];
        critical = day != kDoesNotHappen && (day == kNotCompleted ? p.days : day) == latest;
      }
      const unsigned lanes = __ballot_sync(kFullMask, critical);
      if (lane == 0 && lanes != 0) atomicAdd(p.critical + t, static_cast<unsigned long long>(__popc(lanes)));
    }
  }
  for (int k = 0; k < p.target_count; ++k) {
    const DeviceTarget target = p.targets[k];
    const bool hit = active && out.record[target.cell] >= target.threshold;
    const unsigned hits = __ballot_sync(kFullMask, hit);
    if (lane == 0 && hits != 0) atomicAdd(p.target_hits + k, static_cast<unsigned long long>(__popc(hits)));
  }
}

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
    const unsigned active_count = static_cast<unsigned>(__popc(__ballot_sync(kFullMask, active)));
    aggregate_trial(p, out, active, active_count, lane);
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

double key_to_double(unsigned long long key) {
  const unsigned long long bits = (key & kSignBit) ? (key ^ kSignBit) : ~key;
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
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

struct CudaSimulator::Impl {
  CudaDeviceInfo info;
  cudaStream_t stream = nullptr;
  DeviceBuffer constants;  // model arrays, cell layouts, targets
  DeviceBuffer counters;   // bins | sums | completion | target hits | critical | min keys | max keys
  DeviceBuffer work;       // the per-launch trial counter
  DeviceBuffer scratch;    // per-thread slices
  KernelParams params{};
  std::size_t bin_count = 0, cell_count = 0, completion_count = 0, target_count = 0, tranche_count = 0;
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
    return bin_count + cell_count + completion_count + target_count + tranche_count;
  }
  std::size_t counter_total() const { return integer_counters() + 2 * cell_count; }

  // Zeroes the counters: sums and histograms 0, minima key(+inf), maxima key(-inf).
  void reset_counters() {
    unsigned long long* base = counters.as<unsigned long long>();
    if (!base) return;
    CAPPLAN_CUDA_CHECK(cudaMemsetAsync(base, 0, integer_counters() * sizeof(unsigned long long), stream));
    unsigned long long* minima = params.min_keys;
    unsigned long long* maxima = params.max_keys;
    const std::size_t n = cell_count;
    cudaStream_t s = stream;
    with_thrust("initialising the minima and maxima", [&] {
      thrust::fill_n(thrust::cuda::par_nosync.on(s), minima, n, kKeyPosInf);
      thrust::fill_n(thrust::cuda::par_nosync.on(s), maxima, n, kKeyNegInf);
    });
    CAPPLAN_CUDA_CHECK(cudaGetLastError());
  }
};

CudaSimulator::CudaSimulator(const CompiledModel& model, const std::vector<CellLayout>& layouts,
                             const StatisticsCounters& shape, int device, const CudaOptions& options)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.info = probe_cuda_device(device);
  if (!s.info.available) throw RuntimeFailure("the CUDA backend cannot run: " + s.info.reason);
  check_cuda_options(options);
  CAPPLAN_CUDA_CHECK(cudaSetDevice(device));

  // The statistics layout this simulator fills.
  const std::size_t rows = model.record_days.size();
  s.cell_count = rows * kMetricCount;
  if (layouts.size() != s.cell_count || shape.sums.size() != s.cell_count || shape.minima.size() != s.cell_count ||
      shape.maxima.size() != s.cell_count) {
    throw RuntimeFailure("CudaSimulator: cell layouts do not match the model (" + std::to_string(layouts.size()) +
                         " layouts, " + std::to_string(s.cell_count) + " cells)");
  }
  for (const CellLayout& c : layouts) {
    if (c.bin_offset + static_cast<std::uint64_t>(c.bin_count) > shape.bins.size()) {
      throw RuntimeFailure("CudaSimulator: a cell layout lies outside the statistics' bins");
    }
  }
  s.bin_count = shape.bins.size();
  s.completion_count = model.tranches.size() * static_cast<std::size_t>(model.days + 1);
  s.target_count = model.targets.size();
  s.tranche_count = model.tranches.size();
  if (shape.completion.size() != s.completion_count || shape.target_hits.size() != s.target_count ||
      shape.critical.size() != s.tranche_count) {
    throw RuntimeFailure(
        "CudaSimulator: the statistics' completion, target or criticality counters do not match the model");
  }

  CAPPLAN_CUDA_CHECK(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking));

  // ---- constants: the model arrays, cell layouts and targets in one upload.
  ModelView view = model.view(0);
  Blob blob;
  const std::size_t at_record_days = blob.add(model.record_days);
  const std::size_t at_slots = blob.add(model.slots);
  const std::size_t at_dists = blob.add(model.dists);
  const std::size_t at_tables = blob.add(model.tables);
  const std::size_t at_tranches = blob.add(model.tranches);
  const std::size_t at_after = blob.add(model.after);
  const std::size_t at_sites = blob.add(model.sites);
  const std::size_t at_site_tranches = blob.add(model.site_tranches);
  const std::size_t at_power_steps = blob.add(model.power_steps);
  const std::size_t at_systems = blob.add(model.systems);
  const std::size_t at_risks = blob.add(model.risks);
  const std::size_t at_risk_targets = blob.add(model.risk_targets);
  const std::size_t at_components = blob.add(model.components);
  const std::size_t at_correlated_slots = blob.add(model.correlated_slots);
  const std::size_t at_cholesky = blob.add(model.cholesky);
  const std::size_t at_layouts = blob.add(layouts);
  std::vector<DeviceTarget> targets;
  for (const CompiledTarget& t : model.targets) {
    DeviceTarget d;
    d.cell = static_cast<std::uint64_t>(t.record_index) * kMetricCount + static_cast<std::uint64_t>(t.metric);
    d.threshold = t.threshold;
    if (d.cell >= s.cell_count) throw RuntimeFailure("CudaSimulator: target '" + t.id + "' is outside the record");
    targets.push_back(d);
  }
  const std::size_t at_targets = blob.add(targets);
  s.constants = DeviceBuffer(std::max<std::size_t>(blob.bytes().size(), 16), "the model");
  CAPPLAN_CUDA_CHECK(cudaMemcpyAsync(s.constants.as<void>(), blob.bytes().data(), blob.bytes().size(),
                                     cudaMemcpyHostToDevice, s.stream));
  const char* base = s.constants.as<const char>();
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
  view.risks = reinterpret_cast<const RiskParams*>(base + at_risks);
  view.risk_targets = reinterpret_cast<const RiskTargetParams*>(base + at_risk_targets);
  view.components = reinterpret_cast<const CorrelationComponent*>(base + at_components);
  view.correlated_slots = reinterpret_cast<const int*>(base + at_correlated_slots);
  view.cholesky = reinterpret_cast<const double*>(base + at_cholesky);

  // ---- counters.
  s.counters = DeviceBuffer(s.counter_total() * sizeof(unsigned long long), "the statistics counters");
  unsigned long long* counters = s.counters.as<unsigned long long>();
  KernelParams& p = s.params;
  p.view = view;
  p.layouts = reinterpret_cast<const CellLayout*>(base + at_layouts);
  p.cells = s.cell_count;
  p.days = model.days;
  p.tranches = static_cast<int>(model.tranches.size());
  p.target_count = static_cast<int>(model.targets.size());
  p.targets = reinterpret_cast<const DeviceTarget*>(base + at_targets);
  p.bins = counters;
  p.sums = p.bins + s.bin_count;
  p.completion = p.sums + s.cell_count;
  p.target_hits = p.completion + s.completion_count;
  p.critical = p.target_hits + s.target_count;
  p.min_keys = p.critical + s.tranche_count;
  p.max_keys = p.min_keys + s.cell_count;
  s.work = DeviceBuffer(sizeof(unsigned long long), "the work counter");
  p.next_trial = s.work.as<unsigned long long>();
  s.reset_counters();

  // ---- per-warp scratch, lanes interleaved: workspace | record | completion days.
  p.record_offset = group_workspace_bytes<kWarpLanes>(view);
  p.completion_offset = p.record_offset + align_to(rows * kMetricCount * sizeof(double) * kWarpLanes, kSliceAlignment);
  p.warp_bytes = align_to(p.completion_offset + model.tranches.size() * sizeof(int) * kWarpLanes, kSliceAlignment);

  s.kernel = kernel_for(options.registers, options.out_of_line_steps);
  s.out_of_line_steps = options.out_of_line_steps;
  cudaFuncAttributes attributes;
  CAPPLAN_CUDA_CHECK(cudaFuncGetAttributes(&attributes, s.kernel));
  s.registers = attributes.numRegs;
  s.block = options.block_size > 0 ? options.block_size : kDefaultBlockSize;
  int blocks_per_sm = 0;
  CAPPLAN_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks_per_sm, s.kernel, s.block, 0));
  blocks_per_sm = std::max(blocks_per_sm, 1);
  s.blocks_per_sm = blocks_per_sm;
  const std::size_t block_bytes = p.warp_bytes * static_cast<std::size_t>(s.block / kWarpLanes);
  if (options.trials_in_flight > 0) {
    s.grid = (options.trials_in_flight + s.block - 1) / s.block;
  } else {
    std::size_t free_bytes = 0, total_bytes = 0;
    CAPPLAN_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
    const std::size_t budget =
        options.memory_budget_bytes > 0 ? options.memory_budget_bytes : std::min(free_bytes / 2, kDefaultBudgetCap);
    const std::int64_t by_memory = static_cast<std::int64_t>(budget / block_bytes);
    if (by_memory < 1) {
      throw RuntimeFailure("the CUDA backend needs " + mib(block_bytes) + " of scratch for one block of " +
                           std::to_string(s.block) + " trials (" + mib(p.warp_bytes / kWarpLanes) +
                           " per trial), more than its " + mib(budget) + " budget on " + s.info.name);
    }
    s.grid = std::min<std::int64_t>(static_cast<std::int64_t>(s.info.multiprocessors) * blocks_per_sm, by_memory);
  }
  s.grid = std::max<std::int64_t>(1, std::min<std::int64_t>(s.grid, 0x7fffffff));
  s.scratch = DeviceBuffer(block_bytes * static_cast<std::size_t>(s.grid), "the per-trial scratch");
  p.scratch = s.scratch.as<char>();
  s.launch_trials =
      options.launch_trials > 0 ? options.launch_trials : s.grid * s.block * kDefaultTrialsPerThreadPerLaunch;
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

void CudaSimulator::download(StatisticsCounters& into) {
  Impl& s = *impl_;
  if (into.bins.size() != s.bin_count || into.sums.size() != s.cell_count || into.minima.size() != s.cell_count ||
      into.maxima.size() != s.cell_count || into.completion.size() != s.completion_count ||
      into.target_hits.size() != s.target_count || into.critical.size() != s.tranche_count) {
    throw RuntimeFailure("CudaSimulator::download: the counters do not have the shape given at construction");
  }
  CAPPLAN_CUDA_CHECK(cudaSetDevice(s.info.device));
  std::vector<unsigned long long> host;
  try {
    host.resize(s.counter_total());
  } catch (const std::bad_alloc&) {
    throw RuntimeFailure("out of memory downloading the GPU statistics (" +
                         mib(s.counter_total() * sizeof(unsigned long long)) + ")");
  }
  CAPPLAN_CUDA_CHECK(cudaMemcpyAsync(host.data(), s.counters.as<void>(), host.size() * sizeof(unsigned long long),
                                     cudaMemcpyDeviceToHost, s.stream));
  CAPPLAN_CUDA_CHECK(cudaStreamSynchronize(s.stream));
  const unsigned long long* next = host.data();
  auto add_all = [&next](std::vector<std::uint64_t>& into_part) {
    for (std::uint64_t& value : into_part) value += *next++;
  };
  add_all(into.bins);
  add_all(into.sums);
  add_all(into.completion);
  add_all(into.target_hits);
  add_all(into.critical);
  for (double& value : into.minima) value = std::min(value, key_to_double(*next++));
  for (double& value : into.maxima) value = std::max(value, key_to_double(*next++));
  into.trials += s.pending_trials;
  s.pending_trials = 0;
  s.reset_counters();
  CAPPLAN_CUDA_CHECK(cudaStreamSynchronize(s.stream));
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
