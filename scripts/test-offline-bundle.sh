#!/usr/bin/env bash
# Proves the offline bundle where it is meant to be used: a fresh minimal Debian bookworm
# (debootstrap --variant=minbase) with no network. As root. On 2 cores: about 35 minutes the first
# time (the .deb's Release build, 300 MB of packages, the root), about 15 with the build cached
# (build-deb/), and about 2.5 with the packages (/tmp/edgectl-bundle-cache) and the root cached too. Not part of
# scripts/test.sh, which runs on every change.
#
#   1. a signing key, and the bundle signed with it (scripts/offline-bundle.sh)
#   2. a copy of the bundle with one byte of a package changed: install.sh refuses it, installs nothing
#   3. the bundle installed in the root, networking off (unshare -n): the signature, the sums, apt
#      from the bundle alone, and the self-check
#   4. the demo (/usr/share/edgectl/demo.sh) in the root, networking off
#   5. a store at /var/lib/edgectl, then the package purged and installed again: the store is intact
#
# The root is kept in /tmp/edgectl-bookworm-minbase (EDGECTL_TEST_ROOT) for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "test-offline-bundle: run as root (chroot, mounts)" >&2; exit 1; }
start=$SECONDS
log() { printf 'test-offline-bundle: [%4ds] %s\n' "$((SECONDS - start))" "$*" >&2; }
fail() { echo "FAIL: $*" >&2; exit 1; }
pristine=${EDGECTL_TEST_ROOT:-/tmp/edgectl-bookworm-minbase}
work=$(mktemp -d /tmp/edgectl-bundle-test.XXXXXX)
root="$work/root"
mounted=()
cleanup() {
  local m
  for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
# in_root CMD...: CMD inside the root, with no network (a new, empty network namespace).
in_root() { unshare -n chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

command -v debootstrap >/dev/null && command -v minisign >/dev/null || {
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap minisign >/dev/null
}

log "1. the bundle"
minisign -G -W -p "$work/release.pub" -s "$work/release.key" >/dev/null
scripts/offline-bundle.sh --key "$work/release.key" -o "$work/bundle"

if [ ! -x "$pristine/bin/sh" ]; then
  log "a minimal bookworm root (debootstrap --variant=minbase) in $pristine"
  rm -rf "$pristine.tmp"
  debootstrap --variant=minbase bookworm "$pristine.tmp" http://deb.debian.org/debian >/dev/null
  mv "$pristine.tmp" "$pristine"
fi
cp -a "$pristine" "$root"
for m in proc dev; do
  if [ $m = proc ]; then mount -t proc proc "$root/proc"; else mount --bind /dev "$root/dev"; fi
  mounted=("$root/$m" "${mounted[@]}")
done
in_root sh -c 'command -v edgectl minisign python3' && fail "the root is not minimal: it has edgectl, minisign or python3"
cp "$work/release.pub" "$root/root/trusted.pub"

log "2. a tampered bundle is refused"
cp -a "$work/bundle" "$root/opt-tampered"
deb=$(ls "$root/opt-tampered/pool/"libzstd1_*.deb)
printf '\x00' | dd of="$deb" bs=1 seek=2000 conv=notrunc status=none
rc=0
in_root /opt-tampered/install.sh --key /root/trusted.pub >"$work/tampered.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "install.sh on a tampered bundle exited $rc: $(cat "$work/tampered.log")"
grep -q "does not match SHA256SUMS" "$work/tampered.log" || fail "the refusal does not say why: $(cat "$work/tampered.log")"
in_root dpkg -s edgectl >/dev/null 2>&1 && fail "a tampered bundle installed edgectl"
rm -rf "$root/opt-tampered"

log "3. the bundle installed with no network"
cp -a "$work/bundle" "$root/opt/bundle"
in_root sh -c 'cat /proc/net/route; ip -o link 2>/dev/null' >"$work/net.txt" || true
[ "$(wc -l <"$work/net.txt")" -le 1 ] || fail "the root has a route: $(cat "$work/net.txt")"
in_root /opt/bundle/install.sh --key /root/trusted.pub 2>&1 | tee "$work/install.log"
grep -q "self-check passed" "$work/install.log" || fail "install.sh did not pass its self-check"
in_root edgectl --version

log "4. the demo in the root, with no network"
in_root bash /usr/share/edgectl/demo.sh /root/demo >"$work/demo.log" 2>&1 || fail "the demo failed: $(tail -20 "$work/demo.log")"
grep -q "== 10. Where things stand" "$work/demo.log" || fail "the demo did not reach its end"
tail -12 "$work/demo.log"

log "5. purge and install again: the store stays"
in_root runuser -u edgectl -- edgectl --store /var/lib/edgectl init --site test-site >/dev/null
before=$(in_root sha256sum /var/lib/edgectl/edgectl.db /var/lib/edgectl/site.pub)
in_root apt-get -q -y purge edgectl >/dev/null
[ -f "$root/var/lib/edgectl/edgectl.db" ] || fail "purging the package removed the store"
in_root /opt/bundle/install.sh --key /root/trusted.pub >/dev/null 2>&1 || fail "the second install failed"
after=$(in_root sha256sum /var/lib/edgectl/edgectl.db /var/lib/edgectl/site.pub)
[ "$before" = "$after" ] || fail "installing again changed the store"
in_root runuser -u edgectl -- edgectl --store /var/lib/edgectl status | head -2
log "ok: the bundle ($(du -sh "$work/bundle" | cut -f1), $(ls "$work/bundle/pool" | wc -l) packages) installs, verifies itself and runs the demo with no network"
