#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan; CMake option MB_FUZZ in a build folder of
# its own) and runs each for a bounded time; exits 1 on any finding, naming the input libFuzzer
# saved.  Usage (from anywhere):
#   tests/fuzz/run_fuzzers.sh [TARGET...]        # TARGET: rds rjson pmml onnx csv rexpr (default all)
# Environment:
#   MB_FUZZ_SECONDS  seconds per target (default 60); raise it to fuzz longer, e.g. 3600
#   MB_FUZZ_BUILD    build folder (default build-fuzz beside the sources)
#   MB_FUZZ_JOBS     parallel fuzzing processes per target (default 1; libFuzzer -fork)
#   MB_FUZZ_SEED     libFuzzer's random seed (default 1; runs still differ with corpus order and
#                    time, see docs/fuzzing.md); 0 picks one at random, which is what a long
#                    exploratory run wants
#   MB_FUZZ_ARGS     more libFuzzer options, e.g. "-max_len=100000"
#   MB_FUZZ_CLI      a release modelbridge (default build/modelbridge, when built) that converts the
#                    R models of testdata to PMML and ONNX seeds
# Seeds come from testdata (assembled into $MB_FUZZ_BUILD/seeds/TARGET on each run); what a run
# discovers accumulates in $MB_FUZZ_BUILD/corpus/TARGET, so a later run starts from it.  A
# finding is saved as $MB_FUZZ_BUILD/findings/TARGET-crash-..., -timeout-..., -oom-...; replay
# one with `$MB_FUZZ_BUILD/fuzz_TARGET FILE`.  Fix it and add the file to testdata/malformed/.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${MB_FUZZ_BUILD:-$src/build-fuzz}
seconds=${MB_FUZZ_SECONDS:-60}
jobs=${MB_FUZZ_JOBS:-1}
seed=${MB_FUZZ_SEED:-1}
all=(rds rjson pmml onnx csv rexpr)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for t in "${targets[@]}"; do
  case " ${all[*]} " in *" $t "*) ;; *) echo "run_fuzzers: unknown target '$t' (targets: ${all[*]})" >&2; exit 2 ;; esac
done

cxx=${CXX:-clang++}
case "$("$cxx" --version 2>/dev/null | head -1)" in
  *clang*) ;;
  *) cxx=clang++ ;;
esac
if ! command -v "$cxx" >/dev/null; then
  echo "run_fuzzers: clang++ not found (Debian: apt-get install clang libfuzzer-14-dev libclang-rt-14-dev)" >&2
  exit 1
fi
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$src" -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMB_FUZZ=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}"

# Seeds: a folder per format, from testdata (see make_seeds.py).
seeds=$build/seeds
python3 "$src/tests/fuzz/make_seeds.py" "$src" "$seeds" --cli "${MB_FUZZ_CLI:-$src/build/modelbridge}"

# Sanitizer settings are built into the targets (fuzz_common.hpp); memory and time are
# findings too (-rss_limit_mb, -timeout).
mkdir -p "$build/findings"
failed=()
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t
  mkdir -p "$corpus"
  log=$build/fuzz_$t.log
  echo "run_fuzzers: fuzz_$t for ${seconds} s ($(ls "$seeds/$t" | wc -l) seeds, corpus $corpus)" >&2
  extra=()
  [ "$jobs" -gt 1 ] && extra+=(-fork="$jobs" -ignore_crashes=0)
  set +e
  # shellcheck disable=SC2086
  "$build/fuzz_$t" "$corpus" "$seeds/$t" -dict="$src/tests/fuzz/$t.dict" -max_total_time="$seconds" -seed="$seed" \
    -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$build/findings/$t-" "${extra[@]}" ${MB_FUZZ_ARGS:-} >"$log" 2>&1
  rc=$?
  set -e
  grep -E '^stat::number_of_executed_units|^#[0-9]+ *DONE' "$log" | tail -2 >&2 || true
  if [ $rc -ne 0 ]; then
    echo "run_fuzzers: fuzz_$t found a problem (exit $rc); log $log:" >&2
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written|==[0-9]+==|terminate called|what\(\)' "$log" | head -20 >&2
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "run_fuzzers: findings in: ${failed[*]} (inputs in $build/findings)" >&2
  exit 1
fi
echo "run_fuzzers: no findings in ${targets[*]}" >&2
