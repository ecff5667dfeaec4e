#!/usr/bin/env bash
# kill -9 before every durability point of 'ack', 'purge' and 'exports abandon', then the same
# command again: acknowledgements, the rows purged (and the id floors that keep their ids from
# coming back) and the ledger are exactly as after an uninterrupted run.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_crash.sh"
state_of() { crash_state --store "$RUN/store" --target "$RUN/disk"; }

sample_site
expect_exit 3 "$EDGECTL" score
mkdir "$RUN/disk"
expect_exit 0 "$EDGECTL" export --to "$RUN/disk" --include anomalies,insights,items,quarantine,summary
crash_save_pre
crash_enumerate "ack" "$EDGECTL" ack 1
ref_has "  1|test-site-000001|complete|145|{\"anomalies\":14,\"insights\":56,\"items\":70,\"quarantine\":5}|$RUN/disk|1|1|0"

crash_reset
expect_exit 0 "$EDGECTL" ack 1
crash_save_pre
crash_enumerate "purge" "$EDGECTL" purge --older-than 0
# The acknowledged rows are gone (the 3 items quarantined at score, never exported, stay), their
# ids above the floors.
ref_has "  items 3" "  insights 0" "  quarantine 0" "  items|73" "  insights|70" "  quarantine|5"

# exports abandon: an export killed after its digest was recorded, whose archive never reached
# the disk (the partial one is lost with it), stays pending until abandoned.
crash_reset
feature_csv "$WORK/more.csv" 50
expect_exit 0 "$EDGECTL" ingest "$WORK/more.csv"
expect_exit 0 "$EDGECTL" score
run_traced "$WORK/setup.trace" EDGECTL_CRASH_AT=export.archive:rename -- "$EDGECTL" export --to "$RUN/disk"
assert_eq "$RC" 137 "export killed before naming its archive"
rm "$RUN/disk"/.test-site-000002.tar.zst.*
expect_exit 1 "$EDGECTL" export --to "$RUN/disk"
assert_contains "$ERR" "export test-site-000002 is unfinished"
crash_save_pre
crash_enumerate "exports abandon" "$EDGECTL" exports abandon 2
ref_has "  2|test-site-000002|abandoned|0|{\"anomalies\":11,\"drift\":1,\"insights\":39}|$RUN/disk|1|0|1"
crash_finish
