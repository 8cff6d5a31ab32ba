#!/usr/bin/env bash
# Builds the gate-validator Debian package with CPack and checks it as an operator would: its
# contents and control data, the architecture of the packaged binary (`file`), its stripped size
# budget, and the packaged program itself (through the emulator when cross-compiled): --version,
# and --check-config on the packaged default configuration, then on a real cache.
#   usage: package_test.sh BUILD_DIR DEB_ARCH FILE_PATTERN EMULATOR_WORDS GATE_SIM_WORDS SIZE_BUDGET
# EMULATOR_WORDS and GATE_SIM_WORDS are '|'-separated command words (EMULATOR_WORDS may be empty).
set -euo pipefail
build=$1 deb_arch=$2 file_pattern=$3
IFS='|' read -r -a emulator <<<"$4"
IFS='|' read -r -a gate_sim <<<"$5"
size_budget=$6  # bytes; 0 for a sanitizer build, whose instrumented binary says nothing of size
top=$(cd "$(dirname "$0")/../../.." && pwd)
fails=0
check() {  # check DESCRIPTION COMMAND...: one assertion
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; fails=$((fails + 1)); fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cpack --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; echo "FAILED: cpack"; exit 1; }
deb=$(ls "$work"/out/gate-validator_*_"$deb_arch".deb)
echo "package: $(basename "$deb")"

dpkg-deb -c "$deb" >"$work/listing"
awk '{print $6}' "$work/listing" >"$work/contents"
for path in ./usr/sbin/gate-validator ./lib/systemd/system/gate-validator.service \
    ./etc/gate-validator/gate-validator.conf ./var/lib/gate-validator/; do
  check "package contains $path" grep -qx -- "$path" "$work/contents"
done
check "binary is executable" grep -q '^-rwxr-xr-x .*\./usr/sbin/gate-validator$' \
  "$work/listing"
check "Architecture is $deb_arch" test "$(dpkg-deb -f "$deb" Architecture)" = "$deb_arch"
check "Package is gate-validator" test "$(dpkg-deb -f "$deb" Package)" = gate-validator
mkdir "$work/control" "$work/root"
dpkg-deb -e "$deb" "$work/control"
dpkg-deb -x "$deb" "$work/root"
check "the configuration is a conffile" grep -qx /etc/gate-validator/gate-validator.conf \
  "$work/control/conffiles"
check "postinst makes the service user" grep -q 'adduser --system' "$work/control/postinst"
unit=$work/root/lib/systemd/system/gate-validator.service
for line in Type=notify Restart=always WatchdogSec=10s User=gate-validator \
    StateDirectory=gate-validator; do
  check "unit has $line" grep -qx "$line" "$unit"
done
check "unit's WatchdogSec matches the default watchdog_timeout" \
  grep -qx 'watchdog_timeout = 10s' "$work/root/etc/gate-validator/gate-validator.conf"

bin=$work/root/usr/sbin/gate-validator
file -b "$bin" >"$work/file"
echo "file: $(cat "$work/file")"
check "file names $file_pattern" grep -q -- "$file_pattern" "$work/file"
check "packaged binary is stripped" grep -q 'stripped' "$work/file"
check "packaged binary is not 'not stripped'" bash -c "! grep -q 'not stripped' '$work/file'"
size=$(stat -c %s "$bin")
echo "stripped size: $size bytes"
if [ "$size_budget" -gt 0 ]; then
  check "stripped size under $size_budget bytes" test "$size" -lt "$size_budget"
else
  echo "stripped size: no budget for a sanitizer build"
fi

run() { "${emulator[@]}" "$bin" "$@"; }
version=$(run --version)
echo "version: $version"
check "--version names the program and version" grep -q '^gate-validator [0-9]' <<<"$version"

conf=$work/root/etc/gate-validator/gate-validator.conf
set +e
run --check-config --config "$conf" >"$work/check1" 2>&1; rc1=$?
set -e
cat "$work/check1"
check "--check-config on a fresh install exits 1" test "$rc1" -eq 1
check "... and says the gate has not synced yet" grep -q \
  '^PROBLEM: cache: /var/lib/gate-validator/cache.db does not exist' "$work/check1"
check "... and read the gate from the packaged configuration" grep -qx \
  'ok:      gate: L1-S01-G01 entry' "$work/check1"
check "... and serves the packaged scanner with the serial driver" grep -q \
  '^ok:      scanner: serial /dev/ttyACM0 at 9600 baud' "$work/check1"
check "... and says the journal secret is still to be provisioned" grep -q \
  '^PROBLEM: journal_secret: missing' "$work/check1"

"${gate_sim[@]}" cache-build --records "$top/sim/demo/records.jsonl" --out "$work/cache.db" \
  --synced-at 2022-05-23T04:30:00+08:00 >/dev/null 2>&1
printf '%064x\n' 7 >"$work/journal-secret"  # 32 bytes; a test secret, not a real one
set +e
run --check-config --config "$conf" --set "cache=$work/cache.db" \
  --set "journal=$work/journal.db" --set "journal_secret=$work/journal-secret" \
  >"$work/check2" 2>&1; rc2=$?
set -e
cat "$work/check2"
check "--check-config reads the cache's records" grep -q \
  "^ok:      cache: $work/cache.db (schema [0-9]*): [1-9][0-9]* binding" "$work/check2"
check "... and its last good sync" grep -q 'last good sync 2022-05-22T20:30:00.000Z' "$work/check2"
check "... and has no cache or journal problem" bash -c "! grep -q '^PROBLEM: \(cache\|journal\)' '$work/check2'"
exit_matches_problems() {  # exit 0 exactly when no problem was printed, else 1
  if grep -q '^PROBLEM' "$work/check2"; then [ "$rc2" -eq 1 ]; else [ "$rc2" -eq 0 ]; fi
}
check "... and exits 0 exactly when it printed no problem" exit_matches_problems
set +e
run --config "$conf" --set "cache=$work/cache.db" --set "journal=$work/journal.db" \
  --set reader=direct >"$work/run" 2>&1; rc3=$?
set -e
cat "$work/run"
check "the board program refuses the simulator's reader" grep -q 'reader = direct is the simulator' \
  "$work/run"
check "... and does not run" test "$rc3" -ne 0
check "... and wrote no journal" test ! -e "$work/journal.db"

echo "$fails failed"
[ "$fails" -eq 0 ]
