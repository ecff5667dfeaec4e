#!/usr/bin/env bash
# The keyed hash of personal data is HMAC-SHA-256 keyed with the 32 bytes site.secret spells in hex,
# so that the hub can compute the same pseudonym from the same secret with any HMAC tool.
source "$(dirname "$0")/lib.sh"
new_store
printf '{"schema_version": 1, "fields": {"email": {"action": "hash"}}}\n' > "$WORK/policy.json"
printf 'email,v\nana@example.org,1\n' > "$WORK/in.csv"
expect_exit 0 "$EDGECTL" ingest --policy "$WORK/policy.json" "$WORK/in.csv"
want=$(python3 -c 'import hmac,hashlib,sys; key=bytes.fromhex(open(sys.argv[1]).read().strip()); print("hmac-sha256:" + hmac.new(key, b"ana@example.org", hashlib.sha256).hexdigest())' "$STORE/site.secret")
assert_eq "$(sql "SELECT json_extract(payload, '$.email') FROM item_records")" "$want" "keyed hash"
echo ok
