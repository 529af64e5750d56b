#include "planner/engine/backend.h"

#include "backends/cuda_backend.h"
#include "planner/base/errors.h"

namespace capplan {

Backend parse_backend(const std::string& text, const char* option) {
  if (text == "auto") return Backend::kAuto;
  if (text == "cpu") return Backend::kCpu;
  if (text == "cuda") return Backend::kCuda;
  throw UsageError(std::string(option) + " must be auto, cpu or cuda, got '" + text + "'");
}

Backend resolve_backend(Backend requested, int device) {
  if (requested != Backend::kAuto) return requested;
  return probe_cuda_device(device).available ? Backend::kCuda : Backend::kCpu;
}

const char* backend_name(Backend backend) {
  switch (backend) {
    case Backend::kAuto:
      return "auto";
    case Backend::kCpu:
      return "cpu";
    case Backend::kCuda:
      return "cuda";
  }
  return "auto";
}

}  // namespace capplan
