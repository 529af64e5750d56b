// The simulation backends a run can ask for.
#pragma once

#include <string>

namespace capplan {

enum class Backend {
  kAuto,  // the GPU when a usable one is present, else the CPU
  kCpu,
  kCuda,
};

// "auto", "cpu" or "cuda"; throws UsageError naming `option` for anything else.
Backend parse_backend(const std::string& text, const char* option = "--backend");
// The backend a run uses: kCpu or kCuda as asked, and for kAuto kCuda when
// CUDA device `device` is usable, else kCpu.
Backend resolve_backend(Backend requested, int device);
// The backend's name as parse_backend() reads it and run.json records it.
const char* backend_name(Backend backend);

}  // namespace capplan
