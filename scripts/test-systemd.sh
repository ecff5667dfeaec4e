#!/usr/bin/env bash
# Proves the package's systemd units under a real systemd: a minimal Debian bookworm with systemd
# and the .deb installed, booted in a container (systemd-nspawn), where the operator's first start
# is followed and the service is then crashed, hung, reloaded and stopped. As root. On 2 cores: 70 to
# 90 seconds with the root cached, about 2.5 minutes without. Not part of scripts/test.sh, which runs
# on every change.
#
#   1. the root: debootstrap --variant=minbase, systemd and the .deb installed with apt (in a chroot,
#      with no systemd running, as an image would be built); cached, then copied fresh for each run
#   2. the root boots (systemd-nspawn --boot) and its systemd reports running; the package enabled
#      edgectl.service and both timers, and the service was skipped at boot as there is no store
#   3. the operator's first start (docs/operations.md): init, trust, import-model, a policy in
#      /etc/default/edgectl; then systemctl enable --now edgectl
#   a. Type=notify: active (running) once it said READY=1, inside its sandbox
#   b. files dropped into the inbox, one by a producer in group edgectl, are committed and moved to
#      done within seconds; the cycle's line is the unit's status
#   c. kill -9 of the main process in the middle of a batch: systemd restarts it, and every item of
#      the batch is in the store exactly once, each scored once
#   g. systemctl reload (SIGHUP): the same process goes on and scores the next file
#   d. the watchdog, at 5 s: the service pings it; stopped with SIGSTOP, it is aborted and restarted
#   e. systemctl stop in the middle of a batch: exit 0 within seconds; started again, it finishes the
#      batch exactly
#   f. edgectl-export.service skips with no disk mounted, then writes a verified archive to one;
#      edgectl-purge.service succeeds
#   h. systemd-analyze security's exposure of the three services
#   i. the maintainer scripts with systemd running: an upgrade restarts the service and leaves a
#      timer the operator disabled disabled; removing the package stops the service cleanly and
#      leaves the store; installed again, the units are enabled and the service goes on
#
# Each check prints PASS or FAIL; the script exits 1 if any failed. XFAIL marks a check of a known
# defect of edgectl itself that is still there (it turns to PASS once fixed).
#
# Needs the .deb: scripts/offline-bundle.sh builds it in build-deb/, or, once build-deb/ is
# configured, nice cmake --build build-deb --target package. EDGECTL_DEB names another one.
# Caches: the minimal root in /tmp/edgectl-bookworm-minbase (EDGECTL_TEST_ROOT, shared with
# test-offline-bundle.sh), the root with systemd and edgectl in /tmp/edgectl-systemd-root-cache
# (EDGECTL_SYSTEMD_ROOT_CACHE, one entry, keyed by the .deb's SHA-256 and this script's recipe), and
# the packages of /tmp/edgectl-bundle-cache (EDGECTL_BUNDLE_CACHE), which apt reuses.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "test-systemd: run as root (debootstrap, chroot, systemd-nspawn)" >&2; exit 1; }
start=$SECONDS
log() { printf 'test-systemd: [%4ds] %s\n' "$((SECONDS - start))" "$*" >&2; }
passed=0 failed=0 xfailed=()
pass() { passed=$((passed + 1)); printf 'PASS  %s\n' "$*" >&2; }
fail() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$*" >&2; }
xfail() { xfailed+=("$*"); printf 'XFAIL %s\n' "$*" >&2; }
# check DESCRIPTION CMD...: PASS when CMD succeeds, FAIL otherwise.
check() {
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
die() {
  fail "$*"
  diagnose
  exit 1
}

pristine=${EDGECTL_TEST_ROOT:-/tmp/edgectl-bookworm-minbase}
root_cache=${EDGECTL_SYSTEMD_ROOT_CACHE:-/tmp/edgectl-systemd-root-cache}
bundle_cache=${EDGECTL_BUNDLE_CACHE:-/tmp/edgectl-bundle-cache}
work=$(mktemp -d /tmp/edgectl-systemd-test.XXXXXX)
root="$work/root"
machine="edgectl-test-$$"
nspawn_pid="" leader=""
mounted=()
cleanup() {
  local m
  for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done
  if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
    # systemd-nspawn turns SIGTERM into a clean power-off of the container.
    kill -TERM "$nspawn_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$nspawn_pid" 2>/dev/null || true
    wait "$nspawn_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  rmdir "/run/systemd/nspawn/propagate/$machine" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ct CMD...: CMD in the container, in all its namespaces (its systemd is PID 1 there), with a clean
# environment. The host runs no systemd, so machinectl and systemd-run -M cannot reach it.
ct() { nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
# as_edgectl ARGS...: edgectl ARGS as the service's user, as an operator runs it.
as_edgectl() { ct runuser -u edgectl -- edgectl "$@"; }
# unit_prop UNIT PROPERTY: its value, from systemctl show.
unit_prop() { ct systemctl show -P "$2" "$1"; }
# wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds; false after SECONDS.
wait_for() {
  local limit=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$limit" ] || return 1
    sleep 0.1
  done
}
diagnose() {
  [ -n "$leader" ] || return 0
  echo "--- the service's journal" >&2
  ct journalctl -u edgectl.service -u edgectl-export.service -u edgectl-purge.service -n 40 --no-pager >&2 || true
  echo "--- the container's console (last lines)" >&2
  tail -n 15 "$work/console.log" >&2 || true
}

# The store's counts, from edgectl's own status: items, insights, and for the active models
# scored, quarantined at score, not yet scored.
items=0 insights=0 scored=0 squar=0 pending=0
snap() {
  local json
  json=$(as_edgectl status --json) || return 1
  read -r items insights scored squar pending < <(jq -r '[.items, .insights, ([.active_models[].scored] | add),
    ([.active_models[].quarantined] | add), ([.active_models[].not_scored] | add)] | @tsv' <<<"$json")
}
# accounted: every item has one insight, or was quarantined by the model, or waits for score, and
# every insight is the active version's. The store's UNIQUE (item_id, model, model_version) rules out
# a second insight of an item, so these sums equal only when none is missing either.
# consistent: accounted, and none waits.
accounted() { snap && [ $((scored + squar + pending)) = "$items" ] && [ "$insights" = "$scored" ]; }
consistent() { accounted && [ "$pending" = 0 ]; }
counts() { echo "items $items, insights $insights, quarantined at score $squar, not scored $pending"; }
inbox_empty() { [ -z "$(ls -A "$root/srv/edgectl/inbox")" ]; }
# Taken in: the inbox empty, nothing waiting, and the same counts twice. status reads its counts one
# query at a time, not from one snapshot, so a single reading taken while score commits can mix
# counts from before and after a commit.
settled() {
  local first
  inbox_empty && consistent || return 1
  first="$items $insights $squar"
  sleep 0.3
  consistent && [ "$first" = "$items $insights $squar" ]
}
main_pid() { unit_prop edgectl.service MainPID; }
running() { [ "$(unit_prop edgectl.service ActiveState)/$(unit_prop edgectl.service SubState)" = active/running ]; }
restarted_from() { local pid; pid=$(main_pid); [ "$pid" != 0 ] && [ "$pid" != "$1" ] && running; }

# Copies of the sample site's north lab file, each with its own sample ids (so its own content and
# items): copies FIRST LAST write lab-kN.csv to a staging folder of the root, on the same file system
# as the inbox, from which a mv lands them at once.
stage="/var/tmp/edgectl-stage"
copies() {
  local k src
  src=$(ls "$root"/usr/share/edgectl/sample-site/inbox/lab-north-*.csv)
  mkdir -p "$root$stage"
  for k in $(seq "$1" "$2"); do
    awk -v p="K$k-" 'NR == 1 { print; next } { print p $0 }' "$src" >"$root$stage/lab-k$k.csv"
  done
}
land() { ct sh -c "mv $stage/*.csv /srv/edgectl/inbox/"; }
# one_more K: copy K lands, and is taken in (items0: the items before).
one_more() {
  copies "$1" "$1"
  snap
  items0=$items
  land
  wait_for 30 settled || true
}

# --- 1. the root ----------------------------------------------------------------------------------
need=()
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v jq >/dev/null || need+=(jq)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]} on this machine"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
deb=${EDGECTL_DEB:-$(ls build-deb/edgectl_*_amd64.deb 2>/dev/null | tail -1)}
[ -n "$deb" ] && [ -f "$deb" ] || {
  echo "test-systemd: no .deb in build-deb/. Build it with scripts/offline-bundle.sh --key KEY (which" \
    "configures build-deb/ as a Release build with Debian's hardening flags), or, once build-deb/ is" \
    "configured, nice cmake --build build-deb --target package" >&2
  exit 1
}

# prepare_root DIR: the minimal root with systemd, D-Bus (for logind, so that the boot ends
# 'running') and the .deb, installed with apt from the network in a chroot where no systemd runs.
prepare_root() {
  local dir=$1 m
  cp -a "$pristine" "$dir"
  rm -f "$dir/etc/apt/sources.list"
  printf 'deb http://deb.debian.org/debian %s main\n' bookworm bookworm-updates >"$dir/etc/apt/sources.list"
  echo "deb http://deb.debian.org/debian-security bookworm-security main" >>"$dir/etc/apt/sources.list"
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  echo edgectl-test >"$dir/etc/hostname"
  # apt takes a package from its archive folder when its name and checksum match its index.
  if compgen -G "$bundle_cache/*.deb" >/dev/null; then cp "$bundle_cache"/*.deb "$dir/var/cache/apt/archives/"; fi
  cp "$deb" "$dir/root/edgectl.deb"
  mount -t proc proc "$dir/proc"
  mounted=("$dir/proc" "${mounted[@]}")
  mount --bind /dev "$dir/dev"
  mounted=("$dir/dev" "${mounted[@]}")
  chroot "$dir" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    sh -c 'apt-get -q update && apt-get -q -y --no-install-recommends install systemd systemd-sysv dbus /root/edgectl.deb &&
      apt-get clean' >"$work/apt.log" 2>&1 || { tail -20 "$work/apt.log" >&2; return 1; }
  for m in "$dir/dev" "$dir/proc"; do umount "$m"; done
  mounted=()
  rm -f "$dir/root/edgectl.deb"
}

log "1. the root: a minimal bookworm with systemd and $(basename "$deb")"
key=$( (sha256sum <"$deb" && declare -f prepare_root) | sha256sum | cut -c1-16)
if [ ! -e "$root_cache/$key/.ready" ]; then
  if [ ! -x "$pristine/bin/sh" ]; then
    log "a minimal bookworm root (debootstrap --variant=minbase) in $pristine"
    rm -rf "$pristine.tmp"
    debootstrap --variant=minbase bookworm "$pristine.tmp" http://deb.debian.org/debian >/dev/null
    mv "$pristine.tmp" "$pristine"
  fi
  log "installing systemd and the .deb in a new root (cached in $root_cache/$key)"
  rm -rf "$root_cache"
  mkdir -p "$root_cache"
  prepare_root "$root_cache/$key.tmp" || die "apt could not install systemd and $deb in the root"
  touch "$root_cache/$key.tmp/.ready"
  mv "$root_cache/$key.tmp" "$root_cache/$key"
fi
t=$SECONDS
cp -a "$root_cache/$key" "$root"
log "the root is ready (copied from the cache in $((SECONDS - t)) s)"

# --- 2. boot --------------------------------------------------------------------------------------
log "2. booting it (systemd-nspawn --boot)"
boot_start=$SECONDS
# --register=no --keep-unit: with no systemd on the host there is neither machined to register with
# nor a manager to make a scope for the container; nspawn then stays in its own cgroup. A unified
# cgroup hierarchy (cgroup v2) in the container, as on a bookworm host, whatever the host mounts
# (SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0: the host's hierarchy, hybrid on a host that mounts both).
SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=${SYSTEMD_NSPAWN_UNIFIED_HIERARCHY:-1} systemd-nspawn --quiet -D "$root" -M "$machine" --boot --private-network \
  --register=no --keep-unit --console=passive >"$work/console.log" 2>&1 &
nspawn_pid=$!
find_leader() {
  local pid
  kill -0 "$nspawn_pid" 2>/dev/null || die "systemd-nspawn exited: $(tail -5 "$work/console.log")"
  for pid in $(pgrep -P "$nspawn_pid"); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd ] && leader=$pid && return 0
  done
  return 1
}
wait_for 20 find_leader || die "no systemd started in the container: $(tail -5 "$work/console.log")"
booted() {
  local state
  state=$(ct systemctl is-system-running 2>/dev/null) || true
  [ "$state" = running ] || [ "$state" = degraded ]
}
wait_for 60 booted || die "the container's systemd did not finish booting: $(ct systemctl is-system-running 2>&1)"
state=$(ct systemctl is-system-running || true)
if [ "$state" = running ]; then
  pass "the container's systemd booted: running (in $((SECONDS - boot_start)) s)"
else
  fail "the container's systemd booted $state: $(ct systemctl --failed --no-legend --plain | tr '\n' ' ')"
fi
enabled=$(ct systemctl is-enabled edgectl.service edgectl-export.timer edgectl-purge.timer | tr '\n' ' ' || true)
check "the package enabled edgectl.service and both timers when installed with no systemd running ($enabled)" \
  [ "$enabled" = "enabled enabled enabled " ]
timers=$(ct systemctl is-active edgectl-export.timer edgectl-purge.timer | tr '\n' ' ' || true)
check "both timers are active after boot ($timers)" [ "$timers" = "active active " ]
check "edgectl.service was skipped at boot: no store yet (ConditionPathExists)" \
  [ "$(unit_prop edgectl.service ConditionResult)/$(unit_prop edgectl.service ActiveState)" = no/inactive ]

# --- 3. the operator's first start ----------------------------------------------------------------
log "3. the operator's first start: init, trust, import-model, a policy"
# The cloud side: a vendor key and the sample model packed and signed with it.
ct sh -c 'set -e; s=/usr/share/edgectl/sample-site/model; mkdir -p /root/cloud /opt/cloud
  edgectl -q keygen -o /root/cloud/vendor
  edgectl -q pack-model --model $s/model.pt --spec $s/model.json --golden $s/golden.ndjson \
    --sign /root/cloud/vendor.key -o /opt/cloud/wine-cultivar-1.0.0.tar.zst
  cp /root/cloud/vendor.pub /opt/cloud/; chmod -R a+rX /opt/cloud' >/dev/null || die "cannot pack the sample model"
as_edgectl -q init --site systemd-test || die "edgectl init failed"
as_edgectl -q trust add /opt/cloud/vendor.pub --name vendor || die "edgectl trust add failed"
as_edgectl -q import-model /opt/cloud/wine-cultivar-1.0.0.tar.zst --activate || die "edgectl import-model failed"
# The labs' operators are personal data: the service scrubs them at ingest, with a policy given in
# /etc/default/edgectl beside the default options (so $EDGECTL_RUN_OPTIONS must split into words).
mkdir -p "$root/etc/edgectl"
cat >"$root/etc/edgectl/policy.json" <<'JSON'
{"schema_version": 1,
 "fields": {"operator_email": {"action": "hash"}, "operator_phone": {"action": "mask", "keep_last": 3}},
 "redact": [{"preset": "email"}, {"preset": "phone"}]}
JSON
sed -i 's|^EDGECTL_RUN_OPTIONS=.*|EDGECTL_RUN_OPTIONS=--time-budget 300 --policy /etc/edgectl/policy.json --settle 1|' \
  "$root/etc/default/edgectl"
# A producer: a user in group edgectl that drops files into the inbox.
ct useradd --system --no-create-home --groups edgectl producer
# The unit restarts after RestartSec=30; 1 s here, so that each restart below takes a second, not
# half a minute. Only this drop-in is the test's: everything else is the package's unit.
mkdir -p "$root/etc/systemd/system/edgectl.service.d"
printf '[Service]\nRestartSec=1\n' >"$root/etc/systemd/system/edgectl.service.d/test.conf"
ct systemctl daemon-reload

# --- a. Type=notify, in its sandbox ---------------------------------------------------------------
log "a. systemctl enable --now edgectl"
t=$SECONDS
# With Type=notify, systemctl start returns once the service said READY=1 (or fails after
# TimeoutStartSec, 90 s): the unit stays 'activating' until then.
ct systemctl enable --now edgectl.service || die "systemctl enable --now edgectl failed"
check "edgectl.service is active (running) $((SECONDS - t)) s after enable --now: Type=$(unit_prop edgectl.service Type), READY=1 received" \
  running
pid=$(main_pid)
proc_status=$(ct cat "/proc/$pid/status")
sandboxed() {
  grep -q '^NoNewPrivs:[[:space:]]*1$' <<<"$proc_status" && grep -q '^Seccomp:[[:space:]]*2$' <<<"$proc_status" &&
    grep -q '^CapEff:[[:space:]]*0000000000000000$' <<<"$proc_status" &&
    [ "$(ct readlink "/proc/$pid/ns/net")" != "$(ct readlink /proc/1/ns/net)" ] &&
    [ "$(ct sh -c "wc -l </proc/$pid/uid_map")" = 2 ]  # PrivateUsers: root and edgectl only
}
check "it runs in its sandbox: no new privileges, a seccomp filter, no capabilities, its own network and user namespaces" \
  sandboxed
cmdline=$(ct sh -c "tr '\\0' ' ' </proc/$pid/cmdline")
check "its command line is /etc/default/edgectl's: $cmdline" grep -q -- '--watch --time-budget 300 --policy /etc/edgectl/policy.json --settle 1' <<<"$cmdline"

# --- b. the inbox ---------------------------------------------------------------------------------
log "b. files dropped into the inbox"
t=$SECONDS
ct sh -c 'cp /usr/share/edgectl/sample-site/inbox/lab-north-*.csv /srv/edgectl/inbox/'
# The producer writes a file only the group may read: the service reads it through group edgectl.
ct runuser -u producer -- sh -c 'umask 027; cp /usr/share/edgectl/sample-site/inbox/lab-south-*.ndjson /srv/edgectl/inbox/'
if wait_for 30 settled; then
  pass "both files committed and scored $((SECONDS - t)) s after they landed: $(counts)"
else
  fail "the inbox was not taken in 30 s: $(ls "$root/srv/edgectl/inbox" | tr '\n' ' '); $(counts)"
fi
check "both files moved to the done folder" [ "$(ls "$root/srv/edgectl/done" | wc -l)" = 2 ]
check "the store is consistent: $(counts)" consistent
status_text=$(unit_prop edgectl.service StatusText)
check "the cycle's line is the unit's status (STATUS=): '$status_text'" grep -q '^ingested [0-9]* items, scored' <<<"$status_text"
journal_line() { ct journalctl -u edgectl.service -o cat --no-pager | grep -q '^ingested [0-9]* items'; }
check "the cycle's line is in the journal while the service runs" wait_for 3 journal_line

# --- c. kill -9 in the middle of a batch ------------------------------------------------------------
log "c. kill -9 of the main process in the middle of a batch"
batch=300
# One copy first: how many items and insights a copy makes.
copies 0 0
snap
items0=$items insights0=$insights
land
wait_for 30 settled || die "a copy of the north lab's file was not taken in: $(counts)"
per_items=$((items - items0)) per_insights=$((insights - insights0))
[ "$per_items" -gt 0 ] || die "a copy of the north lab's file made no items"
copies 1 "$batch"
snap
items0=$items insights0=$insights restarts0=$(unit_prop edgectl.service NRestarts) pid=$(main_pid)
land
underway() { snap && [ "$items" -gt "$items0" ]; }
wait_for 30 underway || die "the batch was not started in 30 s"
ct sh -c "kill -9 $pid"
left=$(ls "$root/srv/edgectl/inbox" | wc -l)
log "killed it with $((items - items0)) of $((batch * per_items)) items ingested, $left of $batch files left in the inbox"
if wait_for 30 restarted_from "$pid"; then
  pass "systemd restarted it after kill -9 (Restart=on-failure): NRestarts $restarts0 -> $(unit_prop edgectl.service NRestarts)"
else
  fail "no restart 30 s after kill -9: $(unit_prop edgectl.service ActiveState)/$(unit_prop edgectl.service Result)"
fi
wait_for 120 settled || fail "the batch was not finished 120 s after the restart: $(counts)"
check "after the restart, exactly $batch x $per_items items and $batch x $per_insights insights more: $((items - items0)) and $((insights - insights0))" \
  eval '[ $((items - items0)) = $((batch * per_items)) ] && [ $((insights - insights0)) = $((batch * per_insights)) ]'
check "the store is consistent: $(counts)" consistent
done_copies=("$root"/srv/edgectl/done/lab-k*.csv)
check "every file of the batch in the done folder" [ "${#done_copies[@]}" = $((batch + 1)) ]

# --- g. reload --------------------------------------------------------------------------------------
log "g. systemctl reload edgectl (SIGHUP)"
pid=$(main_pid) restarts0=$(unit_prop edgectl.service NRestarts)
if ct systemctl reload edgectl.service; then pass "systemctl reload returned 0"; else fail "systemctl reload failed"; fi
sleep 1
check "the same process goes on after SIGHUP (MainPID $pid, no restart)" \
  eval '[ "$(main_pid)" = "$pid" ] && [ "$(unit_prop edgectl.service NRestarts)" = "$restarts0" ] && running'
one_more $((batch + 1))
check "after the reload it scores the next file: $(counts)" \
  eval '[ $((items - items0)) = "$per_items" ] && consistent'

# --- d. the watchdog ----------------------------------------------------------------------------------
log "d. the watchdog: WatchdogSec=5s, then SIGSTOP"
printf 'WatchdogSec=5s\n' >>"$root/etc/systemd/system/edgectl.service.d/test.conf"
ct systemctl daemon-reload
ct systemctl restart edgectl.service
pid=$(main_pid) restarts0=$(unit_prop edgectl.service NRestarts)
sleep 8
check "it pings the watchdog: the same process after 8 s with WatchdogSec=$(unit_prop edgectl.service WatchdogUSec)" \
  eval '[ "$(main_pid)" = "$pid" ] && [ "$(unit_prop edgectl.service NRestarts)" = "$restarts0" ]'
t=$SECONDS
ct sh -c "kill -STOP $pid"
if wait_for 20 restarted_from "$pid"; then
  pass "stopped with SIGSTOP, it was restarted $((SECONDS - t)) s later: NRestarts $restarts0 -> $(unit_prop edgectl.service NRestarts)"
else
  fail "not restarted 20 s after SIGSTOP: $(unit_prop edgectl.service ActiveState)/$(unit_prop edgectl.service Result)"
fi
abort_seen() { ct journalctl -u edgectl.service -o cat --no-pager | grep -q 'Watchdog timeout'; }
check "systemd says why: watchdog timeout, then SIGABRT" abort_seen
one_more $((batch + 2))
check "the restarted service takes the next file; the store is consistent: $(counts)" \
  eval '[ $((items - items0)) = "$per_items" ] && consistent'
# Back to the unit's own watchdog (15 min): the batch of e. takes longer than 5 s to ingest.
printf '[Service]\nRestartSec=1\n' >"$root/etc/systemd/system/edgectl.service.d/test.conf"
ct systemctl daemon-reload
ct systemctl restart edgectl.service

# --- e. stop in the middle of a batch -------------------------------------------------------------------
log "e. systemctl stop in the middle of a batch"
copies $((batch + 3)) $((2 * batch + 2))
snap
items0=$items insights0=$insights
land
wait_for 30 underway || die "the batch was not started in 30 s"
t=$(date +%s.%N)
ct systemctl stop edgectl.service
took=$(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
left=$(ls "$root/srv/edgectl/inbox" | wc -l)
check "systemctl stop took $took s, with $left of $batch files left in the inbox" awk -v s="$took" 'BEGIN { exit !(s < 10) }'
result="$(unit_prop edgectl.service Result) $(unit_prop edgectl.service ExecMainCode) $(unit_prop edgectl.service ExecMainStatus)"
# ExecMainCode 1: CLD_EXITED, an exit rather than a signal.
check "it exited by itself with status 0 (Result, code, status: $result)" [ "$result" = "success 1 0" ]
check "what it committed before it stopped is consistent, each item scored or waiting: $(counts)" accounted
ct systemctl start edgectl.service
wait_for 120 settled || fail "the rest of the batch was not finished 120 s after the start: $(counts)"
check "started again, it finishes the batch: exactly $batch x $per_items items and $batch x $per_insights insights more" \
  eval '[ $((items - items0)) = $((batch * per_items)) ] && [ $((insights - insights0)) = $((batch * per_insights)) ]'
check "the store is consistent: $(counts)" consistent

# --- f. the timers' services --------------------------------------------------------------------------
log "f. edgectl-export.service and edgectl-purge.service"
ct systemctl start edgectl-export.service
# A skipped unit never starts its process: no start time.
check "with no disk mounted at /media/edgectl-export, the export is skipped (ConditionPathIsMountPoint)" \
  eval '[ "$(unit_prop edgectl-export.service ExecMainStartTimestampMonotonic)" = 0 ] &&
    [ "$(unit_prop edgectl-export.service Result)" = success ]'
# A stand-in for the removable disk: a file system mounted there, writable by the service's user.
ct sh -c 'mkdir -p /media/edgectl-export &&
  mount -t tmpfs -o mode=0750,uid=$(id -u edgectl),gid=$(id -g edgectl) edgectl-disk /media/edgectl-export'
ct systemctl start edgectl-export.service || true
result="$(unit_prop edgectl-export.service Result) $(unit_prop edgectl-export.service ExecMainStatus)"
archive=$(ct sh -c 'ls /media/edgectl-export/*.tar.zst 2>/dev/null' | head -1)
check "edgectl-export.service: Result success, status 0 ($result); wrote ${archive:-nothing}" \
  eval '[ "$result" = "success 0" ] && [ -n "$archive" ]'
[ -z "$archive" ] || check "the archive verifies against the site's key (edgectl verify)" as_edgectl -q verify "$archive"
snap
check "nothing left waiting for export" [ "$(as_edgectl status --json | jq .waiting_for_export)" = 0 ]
ct systemctl start edgectl-purge.service || true
result="$(unit_prop edgectl-purge.service Result) $(unit_prop edgectl-purge.service ExecMainStatus)"
check "edgectl-purge.service: Result success, status 0 ($result)" [ "$result" = "success 0" ]
check "edgectl.service still running beside them" running

# --- h. systemd-analyze security ----------------------------------------------------------------------
log "h. systemd-analyze security"
ct systemd-analyze security --no-pager edgectl.service edgectl-export.service edgectl-purge.service |
  grep 'Overall exposure' >&2 || true

# --- i. the maintainer scripts, with systemd running --------------------------------------------------
log "i. the package upgraded, removed and installed again, with systemd running"
cp "$deb" "$root/var/tmp/edgectl.deb"
# The operator turned the purge off; an upgrade must leave it off.
ct systemctl disable --now edgectl-purge.timer 2>/dev/null
pid=$(main_pid)
# The same .deb again is an upgrade to dpkg: prerm upgrade, then postinst configure OLD-VERSION.
ct dpkg -i /var/tmp/edgectl.deb >"$work/dpkg.log" 2>&1 || fail "dpkg -i of the package again: $(tail -5 "$work/dpkg.log")"
check "an upgrade restarts the running service onto the new binary (postinst)" wait_for 20 restarted_from "$pid"
check "a timer the operator disabled stays disabled across an upgrade" \
  [ "$(ct systemctl is-enabled edgectl-purge.timer || true)" = disabled ]
ct systemctl enable --now edgectl-purge.timer 2>/dev/null
ct dpkg -r edgectl >"$work/dpkg.log" 2>&1 || fail "dpkg -r edgectl: $(tail -5 "$work/dpkg.log")"
result="$(unit_prop edgectl.service ActiveState) $(unit_prop edgectl.service Result) $(unit_prop edgectl.service ExecMainStatus)"
check "removing the package stops the service cleanly (prerm): $result" [ "$result" = "inactive success 0" ]
check "and leaves the store, the inbox and the done folder" \
  eval '[ -f "$root/var/lib/edgectl/edgectl.db" ] && [ -d "$root/srv/edgectl/inbox" ] && [ -n "$(ls -A "$root/srv/edgectl/done")" ]'
ct dpkg -i /var/tmp/edgectl.deb >"$work/dpkg.log" 2>&1 || fail "dpkg -i after the removal: $(tail -5 "$work/dpkg.log")"
enabled=$(ct systemctl is-enabled edgectl.service edgectl-export.timer edgectl-purge.timer | tr '\n' ' ' || true)
check "installed again, its units are still enabled ($enabled)" [ "$enabled" = "enabled enabled enabled " ]
ct systemctl start edgectl.service
one_more $((2 * batch + 3))
check "started again, the service takes the next file into the same store: $(counts)" \
  eval 'running && [ $((items - items0)) = "$per_items" ] && consistent'

# --- the end --------------------------------------------------------------------------------------
ct systemctl stop edgectl.service
ct systemctl poweroff
powered_off() { ! kill -0 "$nspawn_pid" 2>/dev/null; }
check "the container powered off" wait_for 30 powered_off
wait "$nspawn_pid" 2>/dev/null || true
nspawn_pid=""
[ "$failed" = 0 ] || diagnose
for x in "${xfailed[@]}"; do log "known defect of edgectl: $x"; done
log "$passed passed, $failed failed, ${#xfailed[@]} known defects of edgectl (XFAIL), in $((SECONDS - start)) s"
[ "$failed" = 0 ]
