#!/usr/bin/env bash
# kill -9 before every durability point of 'export' writing three volumes (--max-bytes 64K, every
# kind of row) next to an earlier export on the same disk, and of 'export --resend' to a new disk:
# rerun, and every exported row is in exactly one complete archive that verifies (edgectl verify,
# sha256sum -c), is marked with that archive's sequence, and has its complete ledger row; nothing
# else is on the target (no .partial, no .tmp-, no archive without its ledger row).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_crash.sh"
include=anomalies,insights,items,quarantine,summary

new_store
signed_sample_package "$WORK/model.tar.zst"
expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst" --activate
mkdir "$RUN/disk" "$RUN/disk2"
# An earlier export on the disk: the sample site's rows (sequence 1).
expect_exit 3 "$EDGECTL" ingest "$SAMPLE/inbox"
expect_exit 3 "$EDGECTL" score
expect_exit 0 "$EDGECTL" export --to "$RUN/disk" --include "$include"
# Then 480 new items, scored, each with 300 random letters that do not compress away: three volumes
# of at most 64 KiB (few rows keep each of the many runs short).
feature_csv "$WORK/features.csv" 480
python3 - "$WORK/features.csv" "$WORK/many.csv" <<'PY'
import random, sys
random.seed(7)
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.write(lines[0] + ",note\n")
    for line in lines[1:]:
        out.write(line + "," + "".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(300)) + "\n")
    out.write("ragged,row\n" * 2)  # two quarantine rows for the last volume
PY
expect_exit 3 "$EDGECTL" ingest "$WORK/many.csv"
expect_exit 0 "$EDGECTL" score
crash_save_pre

state_of() { crash_state --store "$RUN/store" --target "$RUN/disk" --target "$RUN/disk2"; }
# Nested: killed again while the rerun finishes volume 2 from its partial archive (its digest was
# recorded before the kill) and forgets volume 3.
CRASH_NESTED="export.archive:rename#2" CRASH_NESTED_UNTIL=export.plan:commit \
    crash_enumerate "export (3 volumes)" "$EDGECTL" export --to "$RUN/disk" --max-bytes 64K --include "$include"
# Where a volume ends depends on how well zstd compresses its rows, which moves with the library's
# build: the uninterrupted export has three complete volumes, the anomalies and insights in the
# first, the 480 items spread over all three, and the two quarantine rows in the last.
volumes=$(sed -n '/^== exports$/,/^==/p' "$WORK/ref.state" | grep -E '^  [234]\|test-site-00000[234]\|complete\|')
assert_eq "$(wc -l <<<"$volumes")" 3 "complete volumes of the uninterrupted export"
assert_contains "$volumes" '{"anomalies":108,"insights":372,"items":' "the second export's first rows"
assert_eq "$(grep -oE '"items":[0-9]+' <<<"$volumes" | awk -F: '{ n += $2 } END { print n }')" 480 "items over the three volumes"
assert_contains "$(grep '^  4|' <<<"$volumes")" '"quarantine":2}' "the quarantine rows of the last volume"
assert_eq "$(grep -c $'^export.mark:commit\t' "$WORK/ref.trace")" 3 "volumes of the uninterrupted export"

# --resend of the middle volume to another disk (its archive was lost): no ledger change, an
# archive with the same rows.
crash_reset
expect_exit 0 "$EDGECTL" export --to "$RUN/disk" --max-bytes 64K --include "$include"
crash_save_pre
CRASH_NESTED="" crash_enumerate "export --resend" "$EDGECTL" export --to "$RUN/disk2" --resend 3
crash_finish
