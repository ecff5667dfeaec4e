#!/usr/bin/env bash
# kill -9 before every durability point of 'ack --receipt', then the same command again: the
# exports the hub's receipt names are acknowledged and the receipt is recorded (so that an older
# one is refused later), exactly as after an uninterrupted run; and of 'init --hub' and 'sites add'
# at the hub: a complete hub, the site registered once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_crash.sh"
HUB="$RUN/hub"

sample_site
expect_exit 3 "$EDGECTL" score
mkdir "$RUN/disk"
expect_exit 0 "$EDGECTL" export --to "$RUN/disk" --include anomalies,insights,items
feature_csv "$WORK/second.csv" 20
expect_exit 0 "$EDGECTL" ingest "$WORK/second.csv"
expect_exit 0 "$EDGECTL" score
expect_exit 0 "$EDGECTL" export --to "$RUN/disk" --include anomalies,insights
new_hub
hub_add_site "$STORE" test-site
expect_exit 0 "$EDGECTL" --store "$HUB" receive "$RUN/disk" --receipts "$RUN/back"
"$EDGECTL" --store "$HUB" hub-key >"$WORK/hub.pub"
expect_exit 0 "$EDGECTL" trust add --hub "$WORK/hub.pub" --name cloud
crash_save_pre
state_of() { crash_state --store "$RUN/store"; }
crash_enumerate "ack --receipt" "$EDGECTL" ack --receipt "$RUN/back/test-site.receipt"
grep -q "^  1|test-site-000001|complete|.*|1|1|0$" "$WORK/ref.state" || fail "export 1 not acknowledged"
grep -q "^  2|test-site-000002|complete|.*|1|1|0$" "$WORK/ref.state" || fail "export 2 not acknowledged"
grep -A1 "^== receipts" "$WORK/ref.state" | grep -q "|cloud|2|" || fail "the receipt was not recorded"

# The hub's side: init --hub (its key pair is random: checked, not compared), then sites add.
rm -rf "$RUN/hub"
crash_save_pre
state_of() { crash_state --names "$RUN/hub"; sqlite3 "$RUN/hub/hub.db" \
    "PRAGMA integrity_check; PRAGMA user_version; SELECT key, value FROM meta WHERE key <> 'created_at'" 2>&1; \
    [ -e "$RUN/hub/hub.key" ] && minisign -Sq -s "$RUN/hub/hub.key" -m "$RUN/hub/hub.db" -x "$WORK/probe.sig" </dev/null \
    && minisign -Vqm "$RUN/hub/hub.db" -x "$WORK/probe.sig" -p "$RUN/hub/hub.pub" && echo "key pair matches"; }
crash_enumerate "init --hub" "$EDGECTL" --store "$RUN/hub" init --hub cloud
grep -q "^key pair matches$" "$WORK/ref.state" || fail "the hub's key pair does not match"
grep -qx "hub|cloud" "$WORK/ref.state" || fail "hub id not recorded"

crash_reset
expect_exit 0 "$EDGECTL" --store "$RUN/hub" init --hub cloud
crash_save_pre
state_of() { crash_state --hub "$RUN/hub"; }
crash_enumerate "sites add" "$EDGECTL" --store "$RUN/hub" sites add test-site "$WORK/test-site.pub"
grep -q "^  test-site|" "$WORK/ref.state" || fail "site not registered"
crash_finish
