#!/usr/bin/env bash
# The simulator demo: the first train of 23 May 2022 at one gate of line 1 (see sim/demo/).
# Installs what it needs, builds gate-sim, builds the demo cache and runs the scenario. Decision
# records go to stdout (JSON lines), the summary to stderr.
#
# sim/demo.sh --backoffice: the same scenario from the back office's side. gate-sim applies
# sim/demo/operations.jsonl to a scratch registry, publishes a signed feed, serves it from a
# loopback HTTPS server and syncs a new cache from it with the gate's own client before the first
# event; the records are the same. Nothing more is installed (mbedTLS is already needed).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build/host}
backoffice=false
if [[ ${1:-} == --backoffice ]]; then
  backoffice=true
  shift
fi

"$top/toolchains/install-host-deps.sh"
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target gate-sim >/dev/null

demo=$top/sim/demo
if $backoffice; then
  exec "$build/sim/gate_sim/gate-sim" run --operations "$demo/operations.jsonl" \
    --gate L1:S07:G03:entry --scenario "$demo/scenario.txt" "$@"
fi
cache=$build/demo/cache.db
mkdir -p "$build/demo"
rm -f "$cache" "$cache-wal" "$cache-shm"
"$build/sim/gate_sim/gate-sim" cache-build --records "$demo/records.jsonl" --out "$cache" \
  --synced-at 2022-05-23T04:30:00+08:00
exec "$build/sim/gate_sim/gate-sim" run --cache "$cache" --gate L1:S07:G03:entry \
  --scenario "$demo/scenario.txt" "$@"
