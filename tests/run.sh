#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds everything with -Werror and runs every test
# through CTest, on the host and then for both board triples under qemu-user; builds the
# gate-validator Debian package for each (build/<host|triple>/packages/).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build/host}
jobs=${JOBS:-$(nproc)}

"$top/toolchains/install-host-deps.sh"
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs"
(cd "$build" && cpack -B "$build/packages" >/dev/null) && ls "$build"/packages/*.deb

for triple in arm-linux-gnueabihf aarch64-linux-gnu; do
  echo "== $triple (under qemu-user)"
  "$top/toolchains/cross-test.sh" "$triple"
done
