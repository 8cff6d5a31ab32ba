#!/usr/bin/env bash
# Installs the Debian 12 packages the host build, the simulator and the tests need. Idempotent:
# does nothing when they are all present. Needs root (or sudo) only when something is missing.
#   cmake ninja-build g++        the build
#   libsqlite3-dev               the cache and the journal
#   libmbedtls-dev               ride-code signatures, and TLS for the feed client
#   nlohmann-json3-dev           JSON Lines records in the simulator's loader (header-only)
#   catch2                       the unit tests
#   file                         the package test checks the packaged binary's architecture
#   libnfc-dev                   the NFC reader driver (and the PN532 emulator's tests drive the
#                                emulator through libnfc's own pn532_uart driver)
#   libnfc-bin                   Debian's unmodified nfc-list, run against the emulator
#   openssl                      an independent ECDSA implementation: a test makes ride codes
#                                with it, and ride-code-bench prints its verify rate
#   libqrencode-dev              ride-code mint --png: the QR code (host-only tool)
#   libpng-dev                   ride-code mint --png: the PNG file (host-only tool)
#   zbar-tools                   Debian's zbarimg reads the tool's PNGs back in a test
#   nginx-light                  the feed's HTTPS client is tested against a real nginx; the
#                                tests start their own, unprivileged-style, in a temp dir (the
#                                package's default service is neither needed nor used)
# Extra package names given as arguments are installed too (cross-test.sh: the cross compiler
# and qemu-user).
set -euo pipefail

packages=(cmake ninja-build g++ libsqlite3-dev libmbedtls-dev nlohmann-json3-dev catch2 file
          libnfc-dev libnfc-bin openssl libqrencode-dev libpng-dev zbar-tools nginx-light)
if [ "$#" -gt 0 ]; then packages+=("$@"); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-host-deps: need root to install: ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
echo "install-host-deps: installing ${missing[*]}" >&2
# One index failing transiently must not stop us: retry, then try the install with what we have.
for attempt in 1 2 3; do
  if "${as_root[@]}" apt-get update -q >/dev/null 2>&1; then break; fi
  echo "install-host-deps: apt-get update failed (attempt $attempt)" >&2
done
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -q --no-install-recommends \
  "${missing[@]}" >/dev/null
