#!/usr/bin/env bash
# A policy's own patterns cannot hang or crash an ingest, whatever the pattern and however long the
# string: they run on RE2, in linear time. With std::regex, '(a|b)*c' overflowed the stack on a
# 30 kB field (the process died, and every cron rerun died again on the same record) and
# '[a-z]+@x' took seconds per 20 kB field. What RE2 cannot run is refused when the policy loads.
source "$(dirname "$0")/lib.sh"
new_store
long_a=$(head -c 200000 /dev/zero | tr '\0' 'a')
{
  echo "sample_id,notes,ref"
  echo "S-1,${long_a}c,PAT-123456"
  echo "S-2,${long_a},PAT-654321"
  echo "S-3,${long_a}@x!,none"
} > "$WORK/long.csv"
cat > "$WORK/policy.json" <<'JSON'
{"schema_version": 1,
 "redact": [{"pattern": "(a|b)*c"}, {"pattern": "[a-z]+@x", "replacement": "[handle]"},
            {"pattern": "PAT-([0-9]{6})", "replacement": "patient $1 ($&, 100$$)"}]}
JSON
expect_exit 0 "$EDGECTL" ingest --policy "$WORK/policy.json" "$WORK/long.csv"
assert_eq "$(sql "SELECT json_extract(payload, '$.notes') FROM item_records WHERE line = 2")" "[redacted]" "S-1 notes"
assert_eq "$(sql "SELECT length(json_extract(payload, '$.notes')) FROM item_records WHERE line = 3")" 200000 "S-2 notes kept whole"
assert_eq "$(sql "SELECT json_extract(payload, '$.notes') FROM item_records WHERE line = 4")" "[handle]!" "S-3 notes"
assert_eq "$(sql "SELECT json_extract(payload, '$.ref') FROM item_records WHERE line = 2")" \
  'patient 123456 (PAT-123456, 100$)' "replacement formats"

# Lookaround and backreferences need backtracking: refused at load, with the reason, nothing stored.
for pattern in '(?=x)y' '(a)\\1' 'a**'; do
  echo "{\"schema_version\": 1, \"redact\": [{\"pattern\": \"$pattern\"}]}" > "$WORK/bad.json"
  expect_exit 2 "$EDGECTL" ingest --policy "$WORK/bad.json" "$WORK/long.csv"
  assert_contains "$ERR" "is not a valid regular expression"
done
echo '{"schema_version": 1, "redact": [{"pattern": "a", "replacement": "$`"}]}' > "$WORK/bad.json"
expect_exit 2 "$EDGECTL" ingest --policy "$WORK/bad.json" "$WORK/long.csv"
assert_contains "$ERR" "the text around the match"
assert_eq "$(sql "SELECT count(*) FROM items")" 3 "items after the refused runs"
echo ok
