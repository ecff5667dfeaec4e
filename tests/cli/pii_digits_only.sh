#!/usr/bin/env bash
# A CSV cell is text, whatever it looks like: a phone number written as digits only is redacted by
# the phone preset like any other, while a measurement the preset leaves alone stays a number. A
# field the policy marks verbatim is stored as it is.
source "$(dirname "$0")/lib.sh"
new_store
cat > "$WORK/policy.json" <<'JSON'
{"schema_version": 1, "fields": {"counter": {"action": "verbatim"}}, "redact": [{"preset": "phone"}]}
JSON
printf 'phone,reading,counter\n4155550123,12.5,900000000123\n' > "$WORK/in.csv"
expect_exit 0 "$EDGECTL" ingest --policy "$WORK/policy.json" "$WORK/in.csv"
assert_eq "$(sql 'SELECT payload FROM items')" '["[phone]",12.5,900000000123]' "payload"
if grep -rFl --binary-files=text 4155550123 "$STORE" >/dev/null; then fail "the phone number reached the store"; fi
echo ok
