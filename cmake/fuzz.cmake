# libFuzzer targets (tests/fuzz/), included at the end of CMakeLists.txt once
# the libraries are defined.
#
#   CAPPLAN_BUILD_FUZZERS = OFF (default): nothing here
#                         = ON: fuzz_spec_loader, fuzz_baseline, fuzz_overrides;
#                           needs Clang (libFuzzer ships with it; preset `fuzz`,
#                           run by tools/fuzz.sh)
#
# Every capplan library is compiled with -fsanitize=fuzzer-no-link, so the
# fuzzer sees coverage in capplan's code (yaml-cpp, nlohmann-json's templates
# aside, system libraries are not instrumented). CAPPLAN_SANITIZE adds ASan and
# UBSan, and makes every UBSan report fatal, so a finding stops the run.
option(CAPPLAN_BUILD_FUZZERS "Build the libFuzzer targets in tests/fuzz (Clang only)" OFF)
message(STATUS "  CAPPLAN_BUILD_FUZZERS = ${CAPPLAN_BUILD_FUZZERS}")
if(NOT CAPPLAN_BUILD_FUZZERS)
  return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR
    "CAPPLAN_BUILD_FUZZERS=ON needs Clang (libFuzzer), but the C++ compiler is "
    "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER}. Use the `fuzz` preset "
    "(cmake --preset fuzz, which sets clang++-14) or configure a fresh build folder "
    "with -DCMAKE_CXX_COMPILER=clang++; Debian: apt-get install clang libclang-rt-14-dev.")
endif()
if(NOT CAPPLAN_SANITIZE)
  message(WARNING "CAPPLAN_BUILD_FUZZERS without CAPPLAN_SANITIZE finds crashes only, not memory errors or undefined behaviour")
endif()

# Interface properties are read when the build is generated, so this reaches
# the libraries defined above too.
target_compile_options(capplan_flags INTERFACE -fsanitize=fuzzer-no-link)
target_link_options(capplan_flags INTERFACE -fsanitize=fuzzer-no-link)

# One executable per target; `libs` are the capplan libraries it needs.
function(capplan_add_fuzzer name)
  add_executable(${name} tests/fuzz/${name}.cpp)
  target_link_libraries(${name} PRIVATE ${ARGN})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  target_compile_definitions(${name} PRIVATE CAPPLAN_SOURCE_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
endfunction()

capplan_add_fuzzer(fuzz_spec_loader capplan_spec)
capplan_add_fuzzer(fuzz_overrides capplan_spec)
capplan_add_fuzzer(fuzz_baseline capplan_analysis)
