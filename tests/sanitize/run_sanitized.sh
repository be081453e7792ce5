#!/usr/bin/env bash
# The unit tests and the CLI tests under AddressSanitizer and UndefinedBehaviorSanitizer: the tool
# and its tests built with clang in the fuzz build folder (CMake option MB_FUZZ, which instruments
# everything; the libraries are shared with tests/fuzz/run_fuzzers.sh, so running both costs one
# build), then ctest there on the unit and CLI tests.  Any sanitizer report stops the process that
# meets it with a non-zero exit, so the test that ran it fails.  Usage (from anywhere):
#   tests/sanitize/run_sanitized.sh [CTEST_REGEX]   # default: '^(unit|cli)\.'
# Environment:
#   MB_FUZZ_BUILD   build folder (default build-fuzz beside the sources)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${MB_FUZZ_BUILD:-$src/build-fuzz}
regex=${1:-'^(unit|cli)\.'}
cxx=${CXX:-clang++}
case "$("$cxx" --version 2>/dev/null | head -1)" in
  *clang*) ;;
  *) cxx=clang++ ;;
esac
if ! command -v "$cxx" >/dev/null; then
  echo "run_sanitized: clang++ not found (Debian: apt-get install clang libfuzzer-14-dev libclang-rt-14-dev)" >&2
  exit 1
fi
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$src" -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMB_FUZZ=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target modelbridge unit_tests completions

# halt_on_error: the first report ends the process (exit 1 unless the report sets its own code);
# leaks are reported too.  The suppressions name third-party headers only (see the file).
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$src/tests/fuzz/ubsan.supp"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86"
# The CLI tests that bound time and memory (cli.malformed, cli.streaming) drop those bounds here.
export MB_SANITIZED=1
# The CLI tests that ask onnxruntime find it beside the binary (installed in build/ by the main build).
[ -e "$build/node" ] || [ ! -d "$src/build/node" ] || ln -s "$src/build/node" "$build/node"
cd "$build"
ctest -R "$regex" --output-on-failure -j"$(nproc)" --timeout 1800
