# Shared helpers for the end-to-end CLI tests. Each test sources this, runs the real binary
# ($EDGECTL, set by ctest) in a fresh temporary directory, and fails loudly on the first surprise.
set -euo pipefail

: "${EDGECTL:?run through ctest, or set EDGECTL to the edgectl binary}"
: "${EDGECTL_SOURCE:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
SAMPLE="$EDGECTL_SOURCE/scripts/sample-site"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/edgectl-test.XXXXXX")
# at_exit CMD: runs CMD (a string, eval'd) when the test ends, newest first, before $WORK is removed
# (e.g. unmounting a tmpfs inside it, or ending a background process by its id).
_at_exit=()
at_exit() { _at_exit=("$1" "${_at_exit[@]}"); }
_finish() {
    local cmd
    for cmd in "${_at_exit[@]}"; do eval "$cmd" || true; done
    rm -rf "$WORK"
}
trap _finish EXIT
STORE="$WORK/store"
export EDGECTL_STORE="$STORE"

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_exit CODE CMD...: runs CMD, keeps its stdout in $OUT and stderr in $ERR, checks the code.
expect_exit() {
    local want=$1 got=0
    shift
    "$@" >"$WORK/.out" 2>"$WORK/.err" || got=$?
    OUT=$(cat "$WORK/.out")
    ERR=$(cat "$WORK/.err")
    if [ "$got" != "$want" ]; then
        echo "--- stdout:" >&2; echo "$OUT" >&2; echo "--- stderr:" >&2; echo "$ERR" >&2
        fail "expected exit $want, got $got from: $*"
    fi
}

assert_eq() { [ "$1" = "$2" ] || fail "${3:-values differ}: expected '$2', got '$1'"; }
assert_contains() { [[ "$1" == *"$2"* ]] || fail "${3:-missing text}: '$2' not in: $1"; }
assert_not_contains() { [[ "$1" != *"$2"* ]] || fail "${3:-unexpected text}: '$2' in: $1"; }

# sql QUERY: one query against the test store's database (read-only).
sql() { sqlite3 -readonly "$STORE/edgectl.db" "$1"; }

# new_store [SITE]: a fresh store at $STORE.
new_store() { expect_exit 0 "$EDGECTL" init --site "${1:-test-site}"; }

# old_store [SQL]: a test store (a new one, in place of any there) whose database is one as edgectl
# made them at schema version 1 (4 KiB pages), with three items, a quarantine row and an insight in
# it, then SQL.
old_store() {
    rm -rf "$STORE"
    new_store
    rm "$STORE"/edgectl.db*
    local digest other
    digest=$(printf 'a%.0s' $(seq 64)) other=$(printf 'b%.0s' $(seq 64))
    {
        echo "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;"
        cat "$EDGECTL_SOURCE/schemas/store-v1.sql"
        echo "PRAGMA user_version = 1; INSERT INTO meta VALUES ('site', 'old');
        INSERT INTO sources (digest, name, path, format, complete, ingested_at) VALUES ('$digest', 'f', 'f', 'csv', 0, 't1');
        INSERT INTO items (source_key, source, line, ingested_at, payload) VALUES
            ('$digest:1', 'f', 2, 't1', '{\"a\":1}'), ('$digest:2', 'f', 3, 't1', '{\"a\":2}'),
            ('$other:7', 'g', 8, 't2', '{\"b\":3}');
        INSERT INTO quarantine (stage, source, line, source_key, reason, created_at) VALUES ('ingest', 'f', 4, '$digest:3', 'bad', 't1');
        INSERT INTO insights (item_id, model, model_version, score, anomaly, scored_at) VALUES (2, 'm', '1', 0.5, 0, 't');"
        echo "${1:-}"
    } | sqlite3 "$STORE/edgectl.db" >/dev/null
}

# sample_package OUT: packs the committed sample model.
sample_package() {
    expect_exit 0 "$EDGECTL" pack-model --model "$SAMPLE/model/model.pt" --spec "$SAMPLE/model/model.json" \
        --golden "$SAMPLE/model/golden.ndjson" -o "$1"
}

# vendor_key: a signing key pair $WORK/keys/vendor.{key,pub} (made once), trusted by the store as 'vendor'.
vendor_key() {
    if [ ! -f "$WORK/keys/vendor.key" ]; then
        mkdir -p "$WORK/keys"
        expect_exit 0 "$EDGECTL" keygen -o "$WORK/keys/vendor"
    fi
    if [ ! -f "$STORE/trust/vendor.pub" ]; then
        expect_exit 0 "$EDGECTL" trust add "$WORK/keys/vendor.pub" --name vendor
        [ -f "$STORE/trust/vendor.pub" ] || fail "'trust add --name vendor' did not write trust/vendor.pub"
    fi
}

# signed_sample_package OUT: packs the committed sample model, signed with the vendor key.
signed_sample_package() {
    vendor_key
    expect_exit 0 "$EDGECTL" pack-model --model "$SAMPLE/model/model.pt" --spec "$SAMPLE/model/model.json" \
        --golden "$SAMPLE/model/golden.ndjson" --sign "$WORK/keys/vendor.key" -o "$1"
}

# sample_variant VERSION OUT [PYTHON]: the sample model as another version, signed by the vendor key,
# packed to OUT; PYTHON, when given, first edits `spec` (model.json) and `golden` (its vectors, a
# list of dicts) in place. The model itself is the same network.
sample_variant() {
    vendor_key
    local dir="$WORK/variant-$1"
    mkdir -p "$dir"
    python3 - "$SAMPLE/model" "$dir" "$1" "${3:-}" <<'PY'
import json, sys
src, dst, version, edit = sys.argv[1:]
spec = json.load(open(f"{src}/model.json"))
golden = [json.loads(line) for line in open(f"{src}/golden.ndjson")]
spec["version"] = version
exec(edit)
json.dump(spec, open(f"{dst}/model.json", "w"), indent=1)
open(f"{dst}/golden.ndjson", "w").writelines(json.dumps(g) + "\n" for g in golden)
PY
    expect_exit 0 "$EDGECTL" pack-model --model "$SAMPLE/model/model.pt" --spec "$dir/model.json" \
        --golden "$dir/golden.ndjson" --sign "$WORK/keys/vendor.key" -o "$2"
}

# sign_sums DIR: (re)signs DIR/SHA256SUMS with the vendor key using the minisign tool, not edgectl.
sign_sums() {
    command -v minisign >/dev/null || fail "the minisign tool is needed (Debian package 'minisign')"
    rm -f "$1/SHA256SUMS.minisig"
    minisign -S -s "$WORK/keys/vendor.key" -m "$1/SHA256SUMS" -x "$1/SHA256SUMS.minisig" -t "re-signed by a test" \
        </dev/null >/dev/null || fail "minisign could not sign $1/SHA256SUMS"
}

# sample_site: a store with the (signed) sample model active and the sample inbox ingested.
sample_site() {
    new_store
    signed_sample_package "$WORK/model.tar.zst"
    expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst" --activate
    expect_exit 3 "$EDGECTL" ingest "$SAMPLE/inbox"
}

# signed_camera_package OUT: packs the committed sample camera model (golden images included), signed.
signed_camera_package() {
    vendor_key
    expect_exit 0 "$EDGECTL" pack-model --model "$SAMPLE/camera-model/model.pt" \
        --spec "$SAMPLE/camera-model/model.json" --golden "$SAMPLE/camera-model/golden.ndjson" \
        --sign "$WORK/keys/vendor.key" -o "$1"
}

# camera_site: sample_site, with the camera model active too and the camera's share ingested (exit 3:
# the truncated frame).
camera_site() {
    sample_site
    signed_camera_package "$WORK/camera.tar.zst"
    expect_exit 0 "$EDGECTL" import-model "$WORK/camera.tar.zst" --activate
    expect_exit 3 "$EDGECTL" ingest "$SAMPLE/camera"
}

# repack DIR OUT: a tar.zst of the files in DIR, at the archive root, in the given order.
repack() {
    local dir=$1 out=$2
    shift 2
    tar --zstd -cf "$out" -C "$dir" "$@"
}

# ---- helpers for inspecting results --------------------------------------------------------------

# lines FILE: the number of lines in FILE.
lines() { local n; n=$(wc -l <"$1"); echo "${n//[[:space:]]/}"; }

# json_ok TEXT: TEXT is exactly one JSON document.
json_ok() { printf '%s' "$1" | python3 -c 'import json,sys; json.load(sys.stdin)' || fail "not valid JSON: $1"; }

# json_get TEXT EXPR: evaluates a Python expression over the parsed document `d` (e.g. "d['items']").
json_get() { printf '%s' "$1" | python3 -c 'import json,sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"; }

# ndjson_ok FILE: every line of FILE parses as one JSON object.
ndjson_ok() {
    python3 - "$1" <<'PY' || fail "'$1' is not valid NDJSON"
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    for number, line in enumerate(f, 1):
        if not isinstance(json.loads(line), dict):
            sys.exit(f"line {number} is not a JSON object")
PY
}

# unpack ARCHIVE DIR: extracts a .tar.zst into DIR (created) with GNU tar, no edgectl code.
unpack() { mkdir -p "$2" && tar --zstd -xf "$1" -C "$2"; }

# insight_ids FILE: the insight_id of every record of an insights.ndjson, one per line.
insight_ids() { python3 -c 'import json,sys; [print(json.loads(l)["insight_id"]) for l in open(sys.argv[1])]' "$1"; }

# flip_byte FILE OFFSET: inverts every bit of the byte at OFFSET, in place.
flip_byte() {
    local file=$1 offset=$2 old
    old=$(od -An -tu1 -j "$offset" -N1 "$file" | tr -d ' ')
    [ -n "$old" ] || fail "flip_byte: '$file' has no byte at offset $offset"
    # shellcheck disable=SC2059
    printf "$(printf '\\%03o' $((old ^ 0xff)))" | dd of="$file" bs=1 seek="$offset" count=1 conv=notrunc status=none
}

# feature_csv OUT ROWS [FIRST_ID]: a CSV of ROWS records with a 'row_id' column (from FIRST_ID,
# default 0) and the model's 13 feature columns, values cycled from the sample's valid CSV rows.
# Distinct FIRST_IDs give files with distinct contents.
feature_csv() {
    python3 - "$SAMPLE/inbox/lab-north-2026-11-20.csv" "$1" "$2" "${3:-0}" <<'PY'
import csv, sys
src, out, count, first = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rows = list(csv.reader(open(src, newline="", encoding="utf-8")))
header = rows[0]
start = header.index("alcohol")
def numeric(cell):
    try:
        float(cell)
        return True
    except ValueError:
        return False
good = [r[start:] for r in rows[1:] if len(r) == len(header) and all(numeric(c) for c in r[start:])]
with open(out, "w", newline="") as f:
    f.write("row_id," + ",".join(header[start:]) + "\n")
    for i in range(count):
        f.write(f"{first + i}," + ",".join(good[i % len(good)]) + "\n")
PY
}

# scored_store DIR SITE N: a new store at DIR holding N items of one source, each with an insight
# (every fifth an anomaly), written straight into the schema: for tests that measure export alone.
scored_store() {
    EDGECTL_STORE="$1" expect_exit 0 "$EDGECTL" init --site "$2"
    sqlite3 "$1/edgectl.db" "INSERT INTO sources (id, digest, name, path, format, complete, ingested_at)
        VALUES (1, printf('%064d', 0), 'f', 'f', 'ndjson', 1, '2026-01-01T00:00:00Z');
        INSERT INTO ingests (id, source_id, name, ingested_at) VALUES (1, 1, 'f', '2026-01-01T00:00:00Z');
        WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $3)
        INSERT INTO items (ingest_id, source_id, ordinal, line, payload)
        SELECT 1, 1, i, i, json_object('v', i, 'note', hex(randomblob(40))) FROM c;
        INSERT INTO insights (item_id, model, model_version, label, score, anomaly, scored_at)
        SELECT id, 'm', '1.0.0', 'a', 0.5, id % 5 = 0, '2026-01-01T00:00:00Z' FROM items;"
}

# wait_stopped PID WHAT: waits (up to 10 s) until PID is stopped, as EDGECTL_CRASH_STOP stops it;
# fails naming WHAT otherwise.
wait_stopped() {
    for _ in $(seq 100); do
        [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = T ] && return 0
        sleep 0.1
    done
    fail "$2 did not stop"
}

# new_hub [ID]: a hub (the receiving side) at $HUB, by default $WORK/hub.
HUB="$WORK/hub"
new_hub() { expect_exit 0 "$EDGECTL" --store "$HUB" init --hub "${1:-cloud}"; }
hub_sql() { sqlite3 -readonly "$HUB/hub.db" "$1"; }
# hub_add_site STORE ID: registers the site whose store is STORE with the hub.
hub_add_site() {
    EDGECTL_STORE="$1" "$EDGECTL" site-key >"$WORK/$2.pub"
    expect_exit 0 "$EDGECTL" --store "$HUB" sites add "$2" "$WORK/$2.pub"
}
# lake_rows KIND [SITE]: the records the lake holds of KIND (of SITE).
lake_rows() {
    local files
    files=$(find "$HUB/lake/$1" -path "*site=${2:-*}/*" -name '*.ndjson.zst' 2>/dev/null | sort)
    if [ -z "$files" ]; then echo 0; return; fi
    # shellcheck disable=SC2086
    zstd -dcq $files | wc -l | tr -d '[:space:]'
}
