#!/usr/bin/env bash
# Builds the fuzz targets with clang's libFuzzer (build/fuzz, GATE_FUZZ=ON) and runs each for
# SECONDS (default 60) on a scratch copy of its seed corpus, so the repository's corpus is never
# changed. Targets run JOBS at a time (one process each: a libFuzzer run uses one core). Fails if
# any target crashes, leaks or breaks an invariant; the input that did it is left in the scratch
# dir (printed) for corpus/<target>/ and a unit test.
#   tests/fuzz/run.sh [SECONDS]       BUILD_DIR, JOBS (default nproc), TARGETS (default all)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
build=${BUILD_DIR:-$top/build/fuzz}
jobs=${JOBS:-$(nproc)}
# Compiles at once (BUILD_JOBS): as many as cores. One more (tried once) did not make the stages
# quicker on a 2-core VM.
build_jobs=${BUILD_JOBS:-$jobs}

"$top/toolchains/install-host-deps.sh" clang libclang-rt-14-dev
# -O1 with line tables only: what libFuzzer's documentation suggests, and a build a third quicker
# than -O2 -g for the same coverage feedback.
CC=clang-14 CXX=clang++-14 cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
  -DGATE_FUZZ=ON -DGATE_BUILD_TESTS=OFF
targets=${TARGETS:-$(cat "$build/fuzz_targets.txt")}
programs=()
for t in $targets; do programs+=("${t}_fuzz"); done
cmake --build "$build" -j "$build_jobs" --target "${programs[@]}"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/gate-fuzz.XXXXXX")

# One target: its verdict goes to $work/status (0 = no crash), its log to $work/log.
fuzz_one() {
  local t=$1 work="$scratch/$1"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp "$top/tests/fuzz/corpus/$t/"* "$work/corpus/"
  # Run in the scratch dir: a target that writes anything writes it there.
  local status=0
  (cd "$work" && "$build/tests/fuzz/${t}_fuzz" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
      corpus >"$work/log" 2>&1) || status=$?
  echo "$status" >"$work/status"
}

report() {
  local t=$1 work="$scratch/$1"
  if [ "$(cat "$work/status")" = 0 ]; then
    echo "== $t (${seconds}s): $(grep -E "stat::number_of_executed_units" "$work/log" | tail -n 1 |
      sed 's/.*: *//') runs, $(grep -oE "cov: [0-9]+" "$work/log" | tail -n 1)"
  else
    tail -n 40 "$work/log"
    echo "== $t FAILED: input in $work/artifacts/, log $work/log"
    return 1
  fi
}

running=0
for t in $targets; do
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
  fuzz_one "$t" &
  running=$((running + 1))
done
wait

failed=()
for t in $targets; do report "$t" || failed+=("$t"); done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]} (scratch kept: $scratch)"
  exit 1
fi
rm -rf "$scratch"
echo "fuzz: every target ran ${seconds}s without a crash"
