#!/usr/bin/env bash
# Cross-builds everything for one board triple with -Werror, runs the whole unit test suite under
# qemu-user through CTest and builds the triple's gate-validator package. Installs Debian's cross
# compiler and qemu-user if missing and builds the target sysroot (toolchains/build-sysroot.sh).
#   usage: toolchains/cross-test.sh arm-linux-gnueabihf|aarch64-linux-gnu
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
triple=${1:?usage: cross-test.sh TRIPLE}
build=${BUILD_ROOT:-$top/build}/$triple
jobs=${JOBS:-$(nproc)}
# Compiles at once (BUILD_JOBS): as many as cores. One more (tried once) did not make the stages
# quicker on a 2-core VM.
build_jobs=${BUILD_JOBS:-$jobs}

"$top/toolchains/install-host-deps.sh" "g++-$triple" qemu-user
"$top/toolchains/build-sysroot.sh" "$triple"
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_TOOLCHAIN_FILE="$top/toolchains/$triple.cmake"
cmake --build "$build" -j "$build_jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs"
(cd "$build" && cpack -B "$build/packages" >/dev/null) && ls "$build"/packages/*.deb
