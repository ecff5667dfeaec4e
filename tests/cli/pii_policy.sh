#!/usr/bin/env bash
# A PII policy scrubs records before they touch the store: no planted original appears anywhere in
# the store's bytes (database, WAL, every file), hashed values still join, the digest is recorded.
source "$(dirname "$0")/lib.sh"
new_store
cat > "$WORK/in.csv" <<'CSV'
sample_id,operator_email,operator_phone,badge,notes,alcohol
S-1,planted.alice@example.org,+44 7700 900111,B-99817,"call planted.bob@example.net or +1 555 010 9999",13.1
S-2,planted.alice@example.org,+44 7700 900222,B-99818,fine,12.9
S-3,"broken
CSV
printf '{"sample_id":"S-4","operator_email":"planted.carol@example.com","notes":"ok","extra":"keep me","alcohol":12}\n' > "$WORK/in.ndjson"
printf '{"sample_id":"S-5","operator_email":"planted.dave@example.com", broken\n' >> "$WORK/in.ndjson"
cat > "$WORK/policy.json" <<'JSON'
{"schema_version": 1,
 "fields": {"operator_email": {"action": "hash"}, "operator_phone": {"action": "mask", "keep_last": 3},
            "badge": {"action": "drop"}},
 "redact": [{"preset": "email"}, {"preset": "phone"}]}
JSON
expect_exit 3 "$EDGECTL" ingest --policy "$WORK/policy.json" "$WORK/in.csv" "$WORK/in.ndjson"

# Nothing planted survives anywhere under the store, in any file, in any encoding SQLite uses.
for planted in planted.alice@example.org planted.bob@example.net planted.carol@example.com \
               planted.dave@example.com "7700 900111" "555 010 9999" B-99817; do
    if grep -rFl --binary-files=text "$planted" "$STORE" >/dev/null; then
        fail "'$planted' reached the store: $(grep -rFl --binary-files=text "$planted" "$STORE")"
    fi
done
# What is kept is scrubbed as the policy says.
p1=$(sql "SELECT payload FROM item_records WHERE line = 2")
assert_contains "$p1" '"operator_phone":"************111"'
assert_contains "$p1" '"notes":"call [email] or [phone]"'
assert_not_contains "$p1" '"badge"'
h1=$(sql "SELECT json_extract(payload, '$.operator_email') FROM item_records WHERE line = 2")
h2=$(sql "SELECT json_extract(payload, '$.operator_email') FROM item_records WHERE line = 3")
assert_eq "$h1" "$h2" "the same address hashes to the same token"
[[ "$h1" == hmac-sha256:* ]] || fail "hashed value is '$h1'"
assert_contains "$(sql "SELECT payload FROM item_records WHERE source LIKE '%ndjson'")" '"extra":"keep me"'
assert_eq "$(sql "SELECT count(DISTINCT policy_digest) FROM item_records")" 1 "policy digests"
assert_eq "$(sql "SELECT policy_digest FROM item_records LIMIT 1")" "$(python3 -c 'import json,hashlib,sys; print(hashlib.sha256(json.dumps(json.load(open(sys.argv[1])), sort_keys=True, separators=(",", ":")).encode()).hexdigest())' "$WORK/policy.json")" "policy digest"
# Quarantined text cannot be scrubbed field by field: it is withheld.
assert_eq "$(sql "SELECT count(*) FROM quarantine WHERE raw IS NOT NULL")" 0 "quarantine rows with raw text"

# Allowlist mode keeps only what it names.
rm -rf "$STORE" && new_store
echo '{"schema_version": 1, "mode": "allowlist", "fields": {"sample_id": {"action": "keep"}, "alcohol": {"action": "keep"}}}' > "$WORK/allow.json"
expect_exit 3 "$EDGECTL" ingest --policy "$WORK/allow.json" "$WORK/in.ndjson"
assert_eq "$(sql "SELECT payload FROM item_records WHERE line = 1")" '{"alcohol":12,"sample_id":"S-4"}' "allowlisted payload"

# A policy that breaks its schema is a usage error naming where.
echo '{"schema_version": 1, "fields": {"x": {"action": "shred"}}}' > "$WORK/bad.json"
expect_exit 2 "$EDGECTL" ingest --policy "$WORK/bad.json" "$WORK/in.csv"
assert_contains "$ERR" "does not match the policy schema at /fields/x/action"
echo ok
