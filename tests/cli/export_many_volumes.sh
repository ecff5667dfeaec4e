#!/usr/bin/env bash
# An export of many volumes holds one volume at a time: it runs with few file descriptors
# (ulimit -n 32 for 45 and more volumes), its memory does not grow with the number of volumes, and
# its staging never holds more than one volume. Every volume is complete and verifies.
source "$(dirname "$0")/lib.sh"
[ -x /usr/bin/time ] || fail "/usr/bin/time is needed (scripts/setup.sh installs the 'time' package)"
peak() { /usr/bin/time -f '%M' -o "$WORK/peak" "$@" >"$WORK/.out" 2>"$WORK/.err" || fail "failed: $* ($(cat "$WORK/.err"))"; cat "$WORK/peak"; }
declare -A kib volumes
for n in 8000 80000; do
    store="$WORK/store-$n"
    scored_store "$store" many "$n"  # rows straight into the schema: this measures export alone
    mkdir "$WORK/out-$n"
    # A watcher samples what staging holds while the export runs. It must outlive a find that races
    # with a staging directory's removal (which fails, and would end it under errexit).
    ( set +e; while :; do find "$store/staging" -mindepth 1 -maxdepth 1 -name 'export-*' 2>/dev/null | wc -l; sleep 0.02; done ) \
        >"$WORK/staging-$n" &
    watcher=$!
    kib[$n]=$(ulimit -n 32; EDGECTL_STORE="$store" peak "$EDGECTL" --json export --to "$WORK/out-$n" --max-bytes 64K \
        --include anomalies,insights,items,summary)
    kill "$watcher"
    volumes[$n]=$(ls "$WORK/out-$n" | grep -c '\.tar\.zst$')
    assert_eq "$(sqlite3 "$store/edgectl.db" "SELECT count(*) FROM exports WHERE state = 'complete'")" "${volumes[$n]}" \
        "volumes complete at $n rows"
    assert_eq "$(sqlite3 "$store/edgectl.db" "SELECT count(*) FROM insights WHERE export_seq IS NULL")" "0" \
        "insights left unexported at $n rows"
    staged=$(sort -n "$WORK/staging-$n" | tail -1)
    [ "$(wc -l <"$WORK/staging-$n")" -ge 5 ] || fail "the watcher did not see the export run"
    [ "${staged:-0}" -le 1 ] || fail "staging held ${staged} volumes at once during an export of $n rows"
    for k in 1 "${volumes[$n]}"; do
        name=$(printf 'many-%06d' "$k")
        EDGECTL_STORE="$store" expect_exit 0 "$EDGECTL" verify "$WORK/out-$n/$name.tar.zst"
        unpack "$WORK/out-$n/$name.tar.zst" "$WORK/x-$n-$k"
        assert_eq "$(grep '^Bag-Count:' "$WORK/x-$n-$k/$name/bag-info.txt")" "Bag-Count: $k of ${volumes[$n]}" "$name count"
    done
done
echo "volumes: ${volumes[8000]} -> ${volumes[80000]}; export peak: ${kib[8000]} -> ${kib[80000]} KiB"
[ "${volumes[80000]}" -ge 45 ] || fail "expected at least 45 volumes, got ${volumes[80000]}"
# Ten times the volumes may cost at most 6 MiB more memory (SQLite's cache, the allocator's arenas).
[ $((kib[80000] - kib[8000])) -le 6144 ] || fail "export memory grows with the number of volumes"
echo ok
