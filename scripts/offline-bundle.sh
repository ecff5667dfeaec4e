#!/usr/bin/env bash
# Builds the offline install bundle: everything a site with no network needs to install edgectl on
# a minimal Debian bookworm, verified before anything is installed (docs/operations.md).
#
#   scripts/offline-bundle.sh --key SIGNING.key [-o DIR]      (default DIR: edgectl-bundle-VERSION)
#
# DIR then holds:
#   pool/*.deb            edgectl's .deb (a Release build with Debian's hardening flags, made by
#                         CPack) and every Debian package it needs that a minimal bookworm
#                         (debootstrap --variant=minbase: the packages of priority required) lacks,
#                         with minisign, the bundle's own verifier
#   Packages, Packages.gz the repository index apt installs from
#   install.sh            verifies, installs, checks itself (scripts/package/install.sh)
#   SHA256SUMS            the SHA-256 of every file above
#   SHA256SUMS.minisig    its signature (minisign format) by SIGNING.key, a minisign secret key
#                         without a password (minisign -G -W, or edgectl keygen)
# and DIR.tar, the same as one file. The machine that builds it needs the network (apt-get download).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
key="" out=""
while [ $# -gt 0 ]; do
  case $1 in
    --key) key=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    *) echo "usage: scripts/offline-bundle.sh --key SIGNING.key [-o DIR]" >&2; exit 2 ;;
  esac
done
[ -n "$key" ] && [ -f "$key" ] || { echo "offline-bundle: --key SIGNING.key (a minisign secret key) is required" >&2; exit 2; }
key=$(realpath "$key")
log() { printf 'offline-bundle: %s\n' "$*" >&2; }

scripts/setup.sh
need=()
for p in dpkg-dev help2man minisign; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

# --- the .deb: a Release build with Debian's hardening flags -------------------------------------
log "building the .deb (Release) in build-deb/"
# All of them: bookworm's defaults leave out bindnow (the GOT read-only from the start).
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
nice cmake -S . -B build-deb -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGECTL_TESTS=OFF \
  -DCMAKE_CXX_FLAGS="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CXXFLAGS)" \
  -DCMAKE_EXE_LINKER_FLAGS="$(dpkg-buildflags --get LDFLAGS)" \
  -DCMAKE_SHARED_LINKER_FLAGS="$(dpkg-buildflags --get LDFLAGS)" >/dev/null
nice cmake --build build-deb
rm -f build-deb/edgectl_*.deb
(cd build-deb && cpack >/dev/null)
deb=$(ls build-deb/edgectl_*.deb)
version=$(dpkg-deb -f "$deb" Version)
[ -n "$out" ] || out="edgectl-bundle-$version"
rm -rf "$out" "$out.tar"
mkdir -p "$out/pool"
cp "$deb" "$out/pool/"

# --- what a minimal bookworm lacks: the dependency closure, less the packages of priority required -
log "collecting the Debian packages edgectl needs"
closure() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
    --no-enhances "$@" | awk '/^[^ <]/ { print $1 }' | sort -u
}
mapfile -t wanted < <({
  dpkg-deb -f "$deb" Depends | tr ',|' '\n\n' | sed -E 's/\(.*\)//; s/^ +//; s/ +$//' | grep -v '^$' |
    xargs -r -n 50 bash -c "$(declare -f closure); closure \"\$@\"" _
  closure minisign
} | sort -u)
# Each package's candidate version and priority from one apt-cache call (records separated by blank
# lines): NAME_VERSION of those not required.
mapfile -t extra < <(apt-cache show --no-all-versions "${wanted[@]}" 2>/dev/null |
  awk -F': ' '$1 == "Package" { p = $2 } $1 == "Version" { v = $2 } $1 == "Priority" { r = $2 }
    /^$/ { if (p != "" && r != "required") print p "_" v; p = v = r = "" }
    END { if (p != "" && r != "required") print p "_" v }' | sort -u)
# Downloads are kept in a cache (EDGECTL_BUNDLE_CACHE): a rebuild fetches only what changed. apt
# names a file NAME_VERSION_ARCH.deb, with an epoch's colon as %3a.
cache=${EDGECTL_BUNDLE_CACHE:-/tmp/edgectl-bundle-cache}
mkdir -p "$cache"
missing=()
for pv in "${extra[@]}"; do
  compgen -G "$cache/${pv//:/%3a}_*.deb" >/dev/null || missing+=("${pv%%_*}")
done
log "${#extra[@]} packages, ${#missing[@]} of them to download"
[ ${#missing[@]} -eq 0 ] || (cd "$cache" && apt-get download "${missing[@]}" >/dev/null)
for pv in "${extra[@]}"; do
  cp "$cache/${pv//:/%3a}_"*.deb "$out/pool/"
done

# --- the index, the installer, the signed sums ----------------------------------------------------
(cd "$out" && dpkg-scanpackages --multiversion pool /dev/null >Packages 2>/dev/null && gzip -9nk Packages)
cp scripts/package/install.sh "$out/install.sh"
chmod 0755 "$out/install.sh"
(cd "$out" && find . -type f ! -name SHA256SUMS ! -name SHA256SUMS.minisig -printf '%P\n' | LC_ALL=C sort |
  xargs sha256sum >SHA256SUMS)
minisign -S -s "$key" -m "$out/SHA256SUMS" -x "$out/SHA256SUMS.minisig" \
  -t "edgectl $version offline bundle" </dev/null >/dev/null
tar -C "$(dirname "$out")" -cf "$out.tar" "$(basename "$out")"
log "$out: $(ls "$out/pool" | wc -l) packages, $(du -sh "$out" | cut -f1); $out.tar"
