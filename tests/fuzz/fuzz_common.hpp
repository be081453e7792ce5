// What every fuzz target shares.  A target feeds its bytes to one reader the way the tool does;
// an mb::Error is the reader refusing bad input (exit 2 in the tool), so it is caught.  Anything
// else is a finding, reported by libFuzzer: a sanitizer report (memory error, undefined
// behaviour), any other exception (exit 3 in the tool: std::length_error, std::out_of_range,
// std::bad_alloc, ...), a crash, a timeout (-timeout) or too much memory (-rss_limit_mb).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "lib/util/error.hpp"

// Sanitizer settings built in, so that a target run by hand (replaying a finding) behaves as in
// run_fuzzers.sh; ASAN_OPTIONS / UBSAN_OPTIONS add to them.  Leaks are not findings: the tool is
// a short-lived process, and R environments may form reference cycles.
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:suppressions=" MB_FUZZ_UBSAN_SUPP;
}

#define MB_FUZZ_GUARD(body)    \
  try {                        \
    body;                      \
  } catch (const mb::Error&) { \
  }                            \
  return 0

inline std::string fuzz_bytes(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}
