#!/usr/bin/env bash
# Builds the fuzz targets with clang's libFuzzer (build/fuzz, GATE_FUZZ=ON) and runs each for
# SECONDS (default 60) on a scratch copy of its seed corpus, so the repository's corpus is never
# changed. Fails if any target crashes, leaks or breaks an invariant; the input that did it is
# left in the scratch dir (printed) for corpus/<target>/ and a unit test.
#   tests/fuzz/run.sh [SECONDS]       BUILD_DIR, JOBS (default nproc), TARGETS (default all)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
build=${BUILD_DIR:-$top/build/fuzz}
jobs=${JOBS:-$(nproc)}

"$top/toolchains/install-host-deps.sh" clang libclang-rt-14-dev
CC=clang-14 CXX=clang++-14 cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGATE_FUZZ=ON -DGATE_BUILD_TESTS=OFF
targets=${TARGETS:-$(cat "$build/fuzz_targets.txt")}
programs=()
for t in $targets; do programs+=("${t}_fuzz"); done
cmake --build "$build" -j "$jobs" --target "${programs[@]}"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/gate-fuzz.XXXXXX")
failed=()
for t in $targets; do
  work="$scratch/$t"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp "$top/tests/fuzz/corpus/$t/"* "$work/corpus/"
  echo "== $t (${seconds}s)"
  # Run in the scratch dir: a target that writes anything writes it there.
  if (cd "$work" && "$build/tests/fuzz/${t}_fuzz" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
        corpus >"$work/log" 2>&1); then
    tail -n 12 "$work/log" | grep -E "stat::number_of_executed_units|cov:" | tail -n 2 || true
  else
    failed+=("$t")
    tail -n 40 "$work/log"
    echo "== $t FAILED: input in $work/artifacts/, log $work/log"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]} (scratch kept: $scratch)"
  exit 1
fi
rm -rf "$scratch"
echo "fuzz: every target ran ${seconds}s without a crash"
