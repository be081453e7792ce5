# Benchmarks (Google Benchmark), built on request: `cmake --build B --target bench_csv`.
find_package(benchmark QUIET)
if(benchmark_FOUND)
  add_executable(bench_csv EXCLUDE_FROM_ALL ${CMAKE_CURRENT_LIST_DIR}/bench_csv.cpp)
  target_link_libraries(bench_csv PRIVATE mb_core benchmark::benchmark)
endif()
