// Checks of the CUDA launch options; built with or without the CUDA backend,
// since the CLI checks its options before it knows whether a GPU is there.
#include <string>

#include "backends/cuda_backend.h"
#include "planner/base/errors.h"

namespace capplan {

void check_cuda_options(const CudaOptions& options) {
  if (options.block_size < 0 || options.block_size % 32 != 0 || options.block_size > kCudaMaxBlockSize) {
    throw UsageError("the CUDA block size (--cuda-block) must be a multiple of 32 between 32 and " +
                     std::to_string(kCudaMaxBlockSize) + ", got " + std::to_string(options.block_size));
  }
  if (options.registers != 0 && options.registers != 128) {
    throw UsageError("the CUDA register cap (--cuda-registers) must be 0 (none) or 128, got " +
                     std::to_string(options.registers));
  }
}

}  // namespace capplan
