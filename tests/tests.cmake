# Test executables (see capplan_add_test in CMakeLists.txt).
capplan_add_test(test_date capplan_spec)
capplan_add_test(test_printable capplan_base)
capplan_add_test(test_fmath capplan_kernels)
capplan_add_test(test_binomial capplan_kernels)
capplan_add_test(test_spec_loader capplan_spec)
capplan_add_test(test_trial capplan_analysis)
capplan_add_test(test_determinism capplan_output)
capplan_add_test(test_equivalence capplan_engine)
capplan_add_test(test_cli capplan_app)
capplan_add_test(test_sampling capplan_engine)
capplan_add_test(test_histogram capplan_kernels)
capplan_add_test(test_statistics capplan_engine)
if(CAPPLAN_HAVE_MPI AND MPIEXEC_EXECUTABLE)
  capplan_add_test(test_mpi capplan_app)
  target_compile_definitions(test_mpi PRIVATE CAPPLAN_MPIEXEC="${MPIEXEC_EXECUTABLE}")
else()
  message(STATUS "  MPI tests: skipped (no MPI implementation or mpiexec found)")
endif()
capplan_add_test(test_cuda capplan_output)
capplan_add_test(test_schema capplan_spec)
capplan_add_test(test_regression capplan_app)
capplan_add_test(test_plots capplan_output)
capplan_add_test(test_output_files capplan_output)
capplan_add_test(test_decisions capplan_app)
find_package(Threads REQUIRED)
capplan_add_test(test_aggregate capplan_kernels Threads::Threads)

# Every kernels/ header compiles on its own with the host compiler: one
# translation unit per header, generated at configure time, in an object
# library built with the tests. A kernels/ header must not include a host
# layer (planner/, backends/): configuring fails if one does.
file(GLOB _capplan_kernel_headers CONFIGURE_DEPENDS RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}
     ${CMAKE_CURRENT_SOURCE_DIR}/kernels/*.h)
set(_capplan_header_units)
foreach(_header IN LISTS _capplan_kernel_headers)
  get_filename_component(_name ${_header} NAME_WE)
  set(_unit ${CMAKE_CURRENT_BINARY_DIR}/header_checks/kernels_${_name}.cpp)
  file(CONFIGURE OUTPUT ${_unit} CONTENT "#include \"${_header}\"\n")
  list(APPEND _capplan_header_units ${_unit})
endforeach()
add_library(capplan_kernel_headers OBJECT ${_capplan_header_units})
target_link_libraries(capplan_kernel_headers PRIVATE capplan_kernels)
capplan_add_test(test_layers)  # reads the sources: no library
