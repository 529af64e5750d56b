# The optional CUDA backend (backends/cuda_backend.cu), included from
# CMakeLists.txt after the capplan_backends target is defined. It adds to
# capplan_backends either the backend or, without CUDA, its stand-in
# backends/cuda_unavailable.cpp (same interface, backends/cuda_backend.h).
#
#   CAPPLAN_ENABLE_CUDA = AUTO (default): on when nvcc is found (on PATH, via
#                         CUDACXX / CMAKE_CUDA_COMPILER, or /usr/local/cuda/bin)
#                       = ON:  required; configuring fails without a CUDA toolkit
#                       = OFF: CPU only (backends/cuda_unavailable.cpp:
#                              cuda_compiled() == false)
#
# Floating point: the per-trial code must give the same bits as the CPU build
# (-ffp-contract=off), so device code is compiled with -fmad=false (no FMA
# contraction), IEEE division and square root (-prec-div/-prec-sqrt keep their
# defaults, true) and never --use_fast_math.
set(CAPPLAN_ENABLE_CUDA AUTO CACHE STRING "CUDA backend: AUTO (when nvcc is found), ON (required), OFF")
set_property(CACHE CAPPLAN_ENABLE_CUDA PROPERTY STRINGS AUTO ON OFF)
string(TOUPPER "${CAPPLAN_ENABLE_CUDA}" _capplan_cuda_mode)
if(NOT _capplan_cuda_mode MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "CAPPLAN_ENABLE_CUDA must be AUTO, ON or OFF, got '${CAPPLAN_ENABLE_CUDA}'")
endif()

set(CAPPLAN_HAVE_CUDA OFF)
set(_capplan_cuda_why "disabled (CAPPLAN_ENABLE_CUDA=OFF)")
if(NOT _capplan_cuda_mode STREQUAL "OFF")
  # nvcc is often installed off PATH: fall back to the default toolkit location.
  if(NOT DEFINED CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX})
    find_program(_capplan_nvcc_on_path nvcc)
    if(NOT _capplan_nvcc_on_path AND EXISTS "/usr/local/cuda/bin/nvcc")
      set(CMAKE_CUDA_COMPILER "/usr/local/cuda/bin/nvcc" CACHE FILEPATH "CUDA compiler")
    endif()
    unset(_capplan_nvcc_on_path CACHE)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(CAPPLAN_HAVE_CUDA ON)
  elseif(_capplan_cuda_mode STREQUAL "ON")
    message(FATAL_ERROR "CAPPLAN_ENABLE_CUDA=ON but no working CUDA compiler (nvcc) was found; "
                        "set CUDACXX or CMAKE_CUDA_COMPILER, or configure with -DCAPPLAN_ENABLE_CUDA=OFF")
  else()
    set(_capplan_cuda_why "no CUDA compiler (nvcc) found")
  endif()
endif()

if(CAPPLAN_HAVE_CUDA)
  # 90 = sm_90 machine code (H100/H200) plus compute_90 PTX for newer GPUs.
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
    set(CMAKE_CUDA_ARCHITECTURES 90 CACHE STRING "CUDA architectures (CMake syntax; 90 = sm_90 + compute_90 PTX)")
  endif()
  enable_language(CUDA)
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  set(CMAKE_CUDA_EXTENSIONS OFF)
  find_package(CUDAToolkit REQUIRED)

  target_sources(capplan_backends PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/backends/cuda_backend.cu)
  # capplan_backends was created before CUDA was enabled: set its CUDA properties here.
  set_target_properties(capplan_backends PROPERTIES
    CUDA_ARCHITECTURES "${CMAKE_CUDA_ARCHITECTURES}"
    CUDA_STANDARD 17
    CUDA_STANDARD_REQUIRED ON
    CUDA_EXTENSIONS OFF)
  target_compile_options(capplan_backends PRIVATE
    # Bit-identical with the CPU: no FMA contraction; IEEE div/sqrt (defaults); no fast math.
    $<$<COMPILE_LANGUAGE:CUDA>:-fmad=false>
    $<$<COMPILE_LANGUAGE:CUDA>:-prec-div=true>
    $<$<COMPILE_LANGUAGE:CUDA>:-prec-sqrt=true>
    $<$<COMPILE_LANGUAGE:CUDA>:-ftz=false>
    # Host code in the .cu follows the host build's contract too.
    $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-ffp-contract=off,-fno-fast-math,-Wall,-Wextra>
    # Source lines in compute-sanitizer reports; no effect on the generated code.
    $<$<COMPILE_LANGUAGE:CUDA>:-lineinfo>)
  if(CAPPLAN_WARNINGS_AS_ERRORS)
    target_compile_options(capplan_backends PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:--Werror=all-warnings -Xcompiler=-Werror>)
  endif()
  target_link_libraries(capplan_backends PUBLIC CUDA::cudart_static)
  target_compile_definitions(capplan_backends PUBLIC CAPPLAN_HAVE_CUDA=1)
  message(STATUS "  CAPPLAN_ENABLE_CUDA = ${CAPPLAN_ENABLE_CUDA}: CUDA backend ON "
                 "(nvcc ${CMAKE_CUDA_COMPILER_VERSION}, architectures ${CMAKE_CUDA_ARCHITECTURES})")
else()
  target_sources(capplan_backends PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/backends/cuda_unavailable.cpp)
  message(STATUS "  CAPPLAN_ENABLE_CUDA = ${CAPPLAN_ENABLE_CUDA}: CUDA backend OFF, ${_capplan_cuda_why}")
endif()
unset(_capplan_cuda_mode)
unset(_capplan_cuda_why)
