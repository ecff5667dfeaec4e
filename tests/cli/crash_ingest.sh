#!/usr/bin/env bash
# kill -9 before every durability point of 'ingest --policy P --move-to DIR' over three files (CSV
# and NDJSON, with quarantined records spread over several transactions), then the same command
# again: every record is an item or a quarantine row exactly once, scrubbed by the policy, each file
# moved out of the inbox exactly once, and no personal value reaches the store.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_crash.sh"

new_store
mkdir "$RUN/inbox" "$RUN/done"
cp "$SAMPLE"/inbox/* "$RUN/inbox/"
# A third file: 30 records, every sixth of them broken, so quarantine rows come in several commits.
python3 - "$SAMPLE/inbox/lab-south-2026-11-21.ndjson" "$RUN/inbox/lab-west.ndjson" <<'PY'
import json, sys
def parses(line):
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False
good = [l for l in open(sys.argv[1], encoding="utf-8") if parses(l)]
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for i in range(30):
        out.write('{"sample_id": "W-%d", broken\n' % i if i % 6 == 5 else good[i % len(good)].replace('"S-', '"W-'))
PY
cat >"$RUN/policy.json" <<'JSON'
{"schema_version": 1,
 "fields": {"operator_email": {"action": "hash"}, "operator_phone": {"action": "mask", "keep_last": 4},
            "notes": {"action": "redact"}},
 "redact": [{"preset": "email"}, {"preset": "phone"}]}
JSON
touch -d '1 hour ago' "$RUN"/inbox/*
crash_save_pre

# Personal values of the inbox that must never be stored.
mapfile -t personal < <(grep -ohE '[a-z.]+@example\.org|\+44 7700 9[0-9]{5}' "$SAMPLE"/inbox/* | sort -u)
[ ${#personal[@]} -ge 4 ] || fail "found only ${#personal[@]} personal values in the sample inbox"
state_of() {
    crash_state --store "$RUN/store" --dir "$RUN/inbox" --dir "$RUN/done"
    local v
    for v in "${personal[@]}"; do
        if grep -rqF --binary-files=text "$v" "$RUN/store"; then echo "PROBLEM: '$v' reached the store"; fi
    done
}

CRASH_EXPECT=3 crash_enumerate "ingest --policy --move-to" \
    "$EDGECTL" ingest --batch 8 --policy "$RUN/policy.json" --move-to "$RUN/done" --settle 0 "$RUN/inbox"

# What an uninterrupted run leaves: 41 + 32 + 25 items, 1 + 1 + 5 records quarantined, the three
# files moved out of the inbox.
ref_has "  items 98" "  quarantine 7" "  ingest|||7"
assert_eq "$(sed -n "\|^== dir $RUN/inbox\$|,\$p" "$WORK/ref.state" | tr '\n' ' ' | sed 's/ [0-9a-f]\{16\}//g')" \
    "== dir $RUN/inbox == dir $RUN/done   lab-north-2026-11-20.csv 0o644   lab-south-2026-11-21.ndjson 0o644   lab-west.ndjson 0o644 " \
    "the inbox and the done directory after an uninterrupted run"
crash_finish
