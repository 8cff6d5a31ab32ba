#!/usr/bin/env bash
# Builds the target-library sysroot for one board triple without multiarch installs (which break
# whenever the host's installed packages differ in version from the archive's): downloads the
# -dev and runtime packages the firmware links with `apt-get download` and unpacks them with
# `dpkg -x` into build/sysroot/<triple>. Idempotent, and does nothing when the sysroot is already
# there for the same package list.
#   usage: toolchains/build-sysroot.sh arm-linux-gnueabihf|aarch64-linux-gnu [SYSROOT_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
triple=${1:?usage: build-sysroot.sh TRIPLE [DIR]}
case "$triple" in
  arm-linux-gnueabihf) arch=armhf ;;
  aarch64-linux-gnu) arch=arm64 ;;
  *) echo "build-sysroot: unknown triple $triple" >&2; exit 2 ;;
esac
sysroot=${2:-$top/build/sysroot/$triple}

# What the firmware links: SQLite (cache, journal), mbedTLS (signatures, TLS), libnfc and the
# libusb it needs (NFC readers).
packages=(libsqlite3-dev libsqlite3-0 libmbedtls-dev libmbedcrypto7 libmbedtls14 libmbedx509-1
          libnfc-dev libnfc6 libusb-0.1-4 libusb-1.0-0)
stamp="$sysroot/.packages"
want="${packages[*]}"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi

as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
  "${as_root[@]}" dpkg --add-architecture "$arch"
fi
have_lists() { apt-cache policy "libsqlite3-dev:$arch" 2>/dev/null | grep -q 'Candidate: [0-9]'; }
if ! have_lists; then
  # One index failing transiently must not stop us: retry; the download below says if it matters.
  for attempt in 1 2 3; do
    "${as_root[@]}" apt-get update -q >/dev/null 2>&1 && break
    echo "build-sysroot: apt-get update failed (attempt $attempt)" >&2
  done
fi

work=$(mktemp -d)
chmod 755 "$work"  # apt downloads as the _apt user
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -q "${packages[@]/%/:$arch}" >/dev/null)
rm -rf "$sysroot"
mkdir -p "$sysroot"
for deb in "$work"/*.deb; do dpkg -x "$deb" "$sysroot"; done
echo "$want" > "$stamp"
echo "build-sysroot: $triple sysroot ready in $sysroot" >&2
