#!/usr/bin/env bash
# A hub's receipt acknowledges exports at the site only when everything holds: signed by a key the
# site trusts as a hub (a package signer's key is not one), unaltered, this site's, not older than
# one applied before, and naming only bags this site wrote. Anything else exits 4 and changes
# nothing. Applied, it lists what the hub misses; purge then frees exactly what the hub confirmed.
source "$(dirname "$0")/lib.sh"
sample_site
expect_exit 3 "$EDGECTL" score
for n in 1 2 3; do
    mkdir "$WORK/d$n"
    expect_exit 0 "$EDGECTL" export --to "$WORK/d$n" --include anomalies,insights,items
    feature_csv "$WORK/m$n.csv" 30 "$((n * 1000))"
    expect_exit 0 "$EDGECTL" ingest "$WORK/m$n.csv"
    expect_exit 0 "$EDGECTL" score
done
new_hub
hub_add_site "$STORE" test-site
other="$WORK/other"
EDGECTL_STORE="$other" expect_exit 0 "$EDGECTL" init --site other-site
hub_add_site "$other" other-site
expect_exit 0 "$EDGECTL" --store "$HUB" receive "$WORK/d1" "$WORK/d3" --receipts "$WORK/back"
r="$WORK/back/test-site.receipt"
acked() { sql "SELECT group_concat(acked_at IS NOT NULL) FROM (SELECT acked_at FROM exports ORDER BY seq)"; }
refused() {  # refused FILE TEXT: applying FILE exits 4 naming TEXT and acknowledges nothing
    local before
    before=$(sql "SELECT count(*) FROM receipts")
    expect_exit 4 "$EDGECTL" ack --receipt "$1"
    assert_contains "$ERR" "$2"
    assert_eq "$(acked)" "0,0,0" "acknowledged after a refused receipt"
    assert_eq "$(sql "SELECT count(*) FROM receipts")" "$before" "receipts recorded after a refused one"
}
# resign FILE: signs FILE with the hub's key (a forger holding it, or the hub itself).
resign() { minisign -Sq -s "$HUB/hub.key" -m "$1" -x "$1.minisig" </dev/null; }
# edited EXPR: a copy of the receipt with d changed by EXPR (python), signed by the hub.
edited() {
    mkdir -p "$WORK/edit"
    local f="$WORK/edit/$RANDOM.receipt"
    python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); exec(sys.argv[2]); print(json.dumps(d))' "$r" "$1" >"$f"
    resign "$f"
    echo "$f"
}

refused "$r" "which this site does not trust as a hub: trust the hub's key with 'edgectl trust add --hub HUB.pub'"
# A key trusted for packages does not vouch for receipts.
"$EDGECTL" --store "$HUB" hub-key >"$WORK/hub.pub"
expect_exit 0 "$EDGECTL" trust add "$WORK/hub.pub" --name cloud-as-vendor
refused "$r" "does not trust as a hub"
expect_exit 1 "$EDGECTL" trust add --hub "$WORK/hub.pub" --name cloud
assert_contains "$ERR" "is trusted already, as 'cloud-as-vendor'"
expect_exit 0 "$EDGECTL" trust remove cloud-as-vendor
expect_exit 0 "$EDGECTL" trust add --hub "$WORK/hub.pub" --name cloud
expect_exit 0 "$EDGECTL" trust list --hub
assert_contains "$OUT" "cloud  "

# Altered after signing.
cp "$r" "$WORK/altered.receipt"; cp "$r.minisig" "$WORK/altered.receipt.minisig"
sed -i 's/"serial":\([0-9]*\)/"serial":9\1/' "$WORK/altered.receipt"
refused "$WORK/altered.receipt" "signature"
cp "$r" "$WORK/nosig.receipt"
refused "$WORK/nosig.receipt" "has no signature beside it"
# Signed by the hub's key, but not right for this site.
refused "$(edited 'd["site"] = "other-site"')" "is for site 'other-site', not this site 'test-site'"
expect_exit 0 "$EDGECTL" --store "$HUB" receipts other-site --to "$WORK/back"
refused "$WORK/back/other-site.receipt" "is for site 'other-site'"
refused "$(edited 'd["landed"][0]["tagmanifests"][0] = "0" * 64')" "sequence 1 landed as 0000000000000000, which is not the bag this site wrote"
refused "$(edited 'd["landed"].append({"first": 9, "last": 9, "tagmanifests": ["ab" * 32]})')" "sequence 9 was never exported here"
refused "$(edited 'd["hub_key"] = "0123456789ABCDEF"')" "names hub key 0123456789ABCDEF but is signed by"
refused "$(edited 'd["landed"] = d["landed"][::-1]')" "its landed ranges do not ascend"
refused "$(edited 'del d["missing"]')" "'missing' is not a list"

# The real receipt: 1 and 3 acknowledged, 2 to resend.
expect_exit 0 "$EDGECTL" ack --receipt "$r"
assert_contains "$OUT" "from hub 'cloud' (key 'cloud'): acknowledged 2 export(s)"
assert_contains "$ERR" "the hub misses export 2: resend it with 'edgectl export --resend 2 --to DIR'"
assert_eq "$(acked)" "1,0,1" "acknowledged by the receipt"
expect_exit 0 "$EDGECTL" ack --receipt "$r"   # the same receipt again changes nothing
assert_eq "$(json_get "$(EDGECTL_STORE=$STORE "$EDGECTL" ack --receipt "$r" --json)" "(d['reapplied'], d['acked'], d['acked_before'])")" \
    "(True, [], 2)" "reapplied"
refused_after() {  # like refused, but once receipts were applied
    local before; before=$(acked)
    expect_exit 4 "$EDGECTL" ack --receipt "$1"
    assert_contains "$ERR" "$2"
    assert_eq "$(acked)" "$before" "acknowledged after a refused receipt"
}
refused_after "$(edited 'd["issued_at"] = "2000-01-01T00:00:00Z"')" "differs from the receipt of the same serial"

# purge frees exactly what the hub confirmed.
in2=$(sql 'SELECT count(*) FROM insights WHERE export_seq = 2')
expect_exit 0 "$EDGECTL" purge --older-than 0
assert_eq "$(sql 'SELECT count(*) FROM insights WHERE export_seq IN (1, 3)')" 0 "confirmed rows left"
assert_eq "$(sql 'SELECT count(*) FROM insights WHERE export_seq = 2')" "$in2" "unconfirmed rows purged"

# The resent 2 lands; the newer receipt acknowledges it; the older one is then a replay.
mkdir "$WORK/resend"
cp "$r" "$WORK/old.receipt"; cp "$r.minisig" "$WORK/old.receipt.minisig"
expect_exit 0 "$EDGECTL" export --resend 2 --to "$WORK/resend"
expect_exit 0 "$EDGECTL" --store "$HUB" receive "$WORK/resend" --receipts "$WORK/back"
expect_exit 0 "$EDGECTL" ack --receipt "$r"
assert_contains "$OUT" "acknowledged 1 export(s), 2 acknowledged before"
assert_eq "$(acked)" "1,1,1" "acknowledged"
refused_after "$WORK/old.receipt" "older than receipt"

# By hand, for emergencies, with a warning.
mkdir "$WORK/d4"
expect_exit 0 "$EDGECTL" export --to "$WORK/d4"
expect_exit 0 "$EDGECTL" ack 4
assert_contains "$ERR" "acknowledging by hand: no receipt proves the hub landed these"
expect_exit 2 "$EDGECTL" ack
assert_eq "$(sql 'PRAGMA integrity_check')" ok "integrity_check"
echo ok
