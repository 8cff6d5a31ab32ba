#!/usr/bin/env bash
# The test suite under GCC's sanitizers, on the host:
#   asan  the whole suite built with -fsanitize=address,undefined (build/asan): every test, the
#         simulator and back-office programs the tests start included, but for the full soak
#         (label `soak`, 100,000 transactions: minutes at host speed; the suite's two-day soak runs)
#   tsan  the programs whose tests run threads beside each other built with -fsanitize=thread
#         (build/tsan): the feed syncer beside decisions, the journal uploader beside the journal,
#         the runtime that owns both, the gate loop and the store (see TSAN_TESTS below)
# Both at -O1 with line tables (the sanitizers' advice; quicker to build than -O2 -g). A report
# fails its test: -fno-sanitize-recover=all (CMakeLists.txt) and halt_on_error for TSan.
#   tests/sanitize.sh [asan] [tsan]     (default both)   BUILD_ROOT, JOBS (default nproc)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
root=${BUILD_ROOT:-$top/build}
jobs=${JOBS:-$(nproc)}
# Compiles at once (BUILD_JOBS): as many as cores. One more (tried once) did not make the stages
# quicker on a 2-core VM.
build_jobs=${BUILD_JOBS:-$jobs}
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(asan tsan)

TSAN_TESTS=(gate_sync_tests gate_store_tests gate_app_tests gate_gate_tests)

"$top/toolchains/install-host-deps.sh"

configure() {  # DIR SANITIZERS
  cmake -S "$top" -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DGATE_SANITIZE="$2"
}

for kind in "${kinds[@]}"; do
  case "$kind" in
    asan)
      echo "== ASan+UBSan: the whole suite"
      configure "$root/asan" address,undefined
      cmake --build "$root/asan" -j "$build_jobs"
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir "$root/asan" --output-on-failure -j "$jobs" -LE soak
      ;;
    tsan)
      echo "== TSan: ${TSAN_TESTS[*]}"
      configure "$root/tsan" thread
      cmake --build "$root/tsan" -j "$build_jobs" --target "${TSAN_TESTS[@]}"
      pattern="^($(IFS='|'; echo "${TSAN_TESTS[*]}")):"
      TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
        ctest --test-dir "$root/tsan" --output-on-failure -j "$jobs" -R "$pattern"
      ;;
    *)
      echo "usage: tests/sanitize.sh [asan] [tsan]" >&2
      exit 2
      ;;
  esac
done
