// The CUDA backend's interface (backends/cuda_backend.h) in a build without
// CUDA (CAPPLAN_ENABLE_CUDA=OFF or no toolkit; cmake/cuda.cmake compiles this
// file instead of backends/cuda_backend.cu): cuda_compiled() is false, the
// probe says why, and a CudaSimulator cannot be constructed.
#include <cstdint>
#include <string>

#include "backends/cuda_backend.h"
#include "planner/base/errors.h"

namespace capplan {

bool cuda_compiled() { return false; }

CudaDeviceInfo probe_cuda_device(int device) {
  CudaDeviceInfo info;
  info.device = device;
  info.reason = "capplan was built without CUDA support (CAPPLAN_ENABLE_CUDA=OFF or no CUDA toolkit at build time)";
  return info;
}

struct CudaSimulator::Impl {
  CudaDeviceInfo info;
};

CudaSimulator::CudaSimulator(const HostModel&, const CounterLayout&, int device, const CudaOptions&) {
  throw RuntimeFailure("the CUDA backend is not available: " + probe_cuda_device(device).reason);
}
CudaSimulator::~CudaSimulator() = default;
CudaSimulator::CudaSimulator(CudaSimulator&&) noexcept = default;
CudaSimulator& CudaSimulator::operator=(CudaSimulator&&) noexcept = default;

void CudaSimulator::run(std::uint64_t, std::uint64_t, std::uint64_t) {
  throw RuntimeFailure("the CUDA backend is not available in this build");
}
std::uint64_t CudaSimulator::download(const CounterView&) {
  throw RuntimeFailure("the CUDA backend is not available in this build");
}
const CudaDeviceInfo& CudaSimulator::device_info() const { return impl_->info; }
int CudaSimulator::block_size() const { return 0; }
std::int64_t CudaSimulator::trials_in_flight() const { return 0; }
std::size_t CudaSimulator::scratch_bytes_per_trial() const { return 0; }
std::size_t CudaSimulator::device_bytes() const { return 0; }
std::string CudaSimulator::describe() const { return "cuda (not built)"; }

}  // namespace capplan
