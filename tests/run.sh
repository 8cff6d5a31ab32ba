#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds everything with -Werror and runs every test
# through CTest, in five stages:
#   host     the plain build (build/host): every test, and the host's gate-validator package
#   asan     the whole suite again under ASan+UBSan (tests/sanitize.sh, build/asan)
#   tsan     the threaded parts under TSan (tests/sanitize.sh, build/tsan)
#   fuzz     every libFuzzer target for 60 s (tests/fuzz/run.sh, build/fuzz; FUZZ_SECONDS)
#   armhf, arm64   cross builds, every test under qemu-user, and each board's package
#                  (toolchains/cross-test.sh, build/<triple>)
# Stage times are printed at the end.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build/host}
jobs=${JOBS:-$(nproc)}
# Compiles at once (BUILD_JOBS): as many as cores. One more (tried once) did not make the stages
# quicker on a 2-core VM.
build_jobs=${BUILD_JOBS:-$jobs}
export JOBS=$jobs

times=()
stage() {  # NAME COMMAND...
  local name=$1 start=$SECONDS
  shift
  echo "==== $name"
  "$@"
  times+=("$name $((SECONDS - start))s")
}

host() {
  cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build "$build" -j "$build_jobs"
  ctest --test-dir "$build" --output-on-failure -j "$jobs"
  (cd "$build" && cpack -B "$build/packages" >/dev/null) && ls "$build"/packages/*.deb
}

stage deps "$top/toolchains/install-host-deps.sh"
stage host host
stage asan "$top/tests/sanitize.sh" asan
stage tsan "$top/tests/sanitize.sh" tsan
stage fuzz "$top/tests/fuzz/run.sh" "${FUZZ_SECONDS:-60}"
stage armhf "$top/toolchains/cross-test.sh" arm-linux-gnueabihf
stage arm64 "$top/toolchains/cross-test.sh" aarch64-linux-gnu

echo "==== all passed in $SECONDS s: ${times[*]}"
