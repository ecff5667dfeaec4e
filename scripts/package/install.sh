#!/bin/sh
# Installs edgectl from this offline bundle, with no network, after verifying it:
#
#   ./install.sh --key TRUSTED.pub
#
# 1. SHA256SUMS.minisig must be a good signature of SHA256SUMS by TRUSTED.pub, the key the
#    operator already trusts for edgectl's releases. It is checked with the machine's own minisign,
#    or an installed edgectl's, when there is one; on a machine with neither, with the minisign
#    this bundle carries, unpacked but not installed: that binary is then trusted only as far as the
#    bundle is, and the script says so.
# 2. Every file must match SHA256SUMS (sha256sum -c).
# 3. apt installs edgectl from this directory alone (its Packages index, named in the signed sums).
# 4. A self-check: edgectl --version; a scratch store opens; the sample model's package imports,
#    which loads the LibTorch module and reproduces the model's golden outputs.
# Exit 0 when installed and checked; 1 otherwise, having installed nothing when a check of 1 or 2
# failed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
key=""
while [ $# -gt 0 ]; do
    case $1 in
        --key) key=$2; shift 2 ;;
        *) echo "usage: install.sh --key TRUSTED.pub" >&2; exit 2 ;;
    esac
done
[ -n "$key" ] && [ -f "$key" ] || { echo "install.sh: --key TRUSTED.pub (the minisign key you trust) is required" >&2; exit 2; }
say() { printf 'install.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- 1. the signature -------------------------------------------------------------------------------
if command -v minisign >/dev/null 2>&1; then
    verifier="minisign ($(command -v minisign))"
    minisign -Vm "$here/SHA256SUMS" -x "$here/SHA256SUMS.minisig" -p "$key" -q || die "SHA256SUMS: bad signature for $key"
else
    # The bundle's minisign and libsodium, unpacked in a scratch directory.
    for deb in "$here"/pool/minisign_*.deb "$here"/pool/libsodium23_*.deb; do
        [ -f "$deb" ] || die "no minisign on this machine and none in the bundle: cannot verify it"
        dpkg-deb -x "$deb" "$work/verifier"
    done
    verifier="the bundle's own minisign (no minisign on this machine: trusted as far as the bundle is)"
    LD_LIBRARY_PATH="$work/verifier/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)" \
        "$work/verifier/usr/bin/minisign" -Vm "$here/SHA256SUMS" -x "$here/SHA256SUMS.minisig" -p "$key" -q ||
        die "SHA256SUMS: bad signature for $key"
fi
say "SHA256SUMS: signed by $key (checked with $verifier)"

# --- 2. every file ----------------------------------------------------------------------------------
(cd "$here" && sha256sum --quiet --strict -c SHA256SUMS) || die "a file of the bundle does not match SHA256SUMS"
# Nothing unlisted may reach apt: only the pool's .debs the sums name.
for deb in "$here"/pool/*.deb; do
    grep -q " pool/$(basename "$deb")\$" "$here/SHA256SUMS" || die "$deb is not in SHA256SUMS"
done
say "every file matches SHA256SUMS"

# --- 3. apt, from this directory only -----------------------------------------------------------------
# [trusted=yes]: the index has no apt signature of its own; it is named in the signed SHA256SUMS.
echo "deb [trusted=yes] file:$here ./" >"$work/bundle.list"
set -- -o "Dir::Etc::SourceList=$work/bundle.list" -o Dir::Etc::SourceParts=/dev/null \
    -o "Dir::State::Lists=$work/lists" -o Acquire::Languages=none -o APT::Get::List-Cleanup=false
mkdir -p "$work/lists/partial"
apt-get "$@" -q update >/dev/null || die "apt cannot read the bundle's index"
DEBIAN_FRONTEND=noninteractive apt-get "$@" -q -y --no-install-recommends install edgectl ||
    die "apt could not install edgectl from the bundle"

# --- 4. the self-check --------------------------------------------------------------------------------
edgectl --version
store="$work/store"
edgectl --store "$store" -q init --site self-check || die "self-check: cannot make a store"
sample=/usr/share/edgectl/sample-site/model
edgectl -q pack-model --model "$sample/model.pt" --spec "$sample/model.json" --golden "$sample/golden.ndjson" \
    -o "$work/sample.tar.zst" || die "self-check: cannot pack the sample model"
edgectl --store "$store" -q import-model "$work/sample.tar.zst" --allow-unsigned 2>/dev/null ||
    die "self-check: the sample model does not load or does not reproduce its golden outputs"
edgectl --store "$store" status >/dev/null || die "self-check: the store does not open"
say "self-check passed: the store opens, the LibTorch module loads, the sample model's golden outputs reproduce"
say "next: sudo -u edgectl edgectl init --site SITE-ID, then see /usr/share/doc/edgectl/operations.md"
