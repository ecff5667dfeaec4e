#!/usr/bin/env bash
# Personal data cannot slip past the policy through a byte order mark or through names: a UTF-8 BOM
# before the first CSV header name does not hide that field from its rule, and object keys and CSV
# header names are redacted like values.
source "$(dirname "$0")/lib.sh"
new_store
cat > "$WORK/policy.json" <<'JSON'
{"schema_version": 1, "fields": {"operator_email": {"action": "hash"}}, "redact": [{"preset": "email"}]}
JSON
printf '\xef\xbb\xbfoperator_email,v\nplanted.ana@example.org,1\n' > "$WORK/bom.csv"
printf 'id,planted.bob@example.org\n1,2\n' > "$WORK/header.csv"
printf '{"id": 1, "contacts": {"planted.carol@example.org": 1, "x": {"planted.dan@example.org": 2}}}\n' > "$WORK/keys.ndjson"
printf '\xef\xbb\xbf{"id": 2}\r{"id": 3}\r' > "$WORK/bom-cr.ndjson"
# A reason quoting a name (a duplicate column) is stored too: the name in it is redacted.
printf 'planted.eve@example.org,planted.eve@example.org\n1,2\n' > "$WORK/duplicate.csv"
expect_exit 3 "$EDGECTL" ingest --policy "$WORK/policy.json" "$WORK/bom.csv" "$WORK/header.csv" "$WORK/keys.ndjson" \
    "$WORK/bom-cr.ndjson" "$WORK/duplicate.csv"
assert_eq "$(sql "SELECT reason FROM quarantine")" "duplicate column name '[email]' in header row" "reason"
for planted in planted.ana@example.org planted.bob@example.org planted.carol@example.org planted.dan@example.org \
               planted.eve@example.org; do
    if grep -rFl --binary-files=text "$planted" "$STORE" >/dev/null; then fail "'$planted' reached the store"; fi
done
email=$(sql "SELECT json_extract(payload, '$.operator_email') FROM item_records WHERE source LIKE '%bom.csv'")
[[ "$email" == hmac-sha256:* ]] || fail "the BOM hid operator_email from its rule: '$email'"
assert_eq "$(sql "SELECT columns FROM ingests g JOIN sources s ON s.id = g.source_id WHERE s.path LIKE '%header.csv'")" \
    '["id","[email]"]' "header names"
assert_eq "$(sql "SELECT payload FROM item_records WHERE source LIKE '%keys.ndjson'")" \
    '{"contacts":{"[email]":1,"x":{"[email]":2}},"id":1}' "keys"
assert_eq "$(sql "SELECT count(*) FROM item_records WHERE source LIKE '%bom-cr.ndjson'")" 2 "records after a BOM, CR line ends"
echo ok
