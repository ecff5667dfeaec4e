#!/usr/bin/env bash
# Export and verify stream: their peak memory does not grow with the size of the export
# (2,000 vs 150,000 insights with their items). Memory, not time: it does not vary with load.
source "$(dirname "$0")/lib.sh"
[ -x /usr/bin/time ] || fail "/usr/bin/time is needed (scripts/setup.sh installs the 'time' package)"
peak() { /usr/bin/time -f '%M' -o "$WORK/peak" "$@" >/dev/null 2>&1 || fail "failed: $*"; cat "$WORK/peak"; }
declare -A export_kib verify_kib
for n in 2000 150000; do
    store="$WORK/store-$n"
    scored_store "$store" mem "$n"  # rows straight into the schema: this measures export alone
    mkdir "$WORK/out-$n"
    export_kib[$n]=$(EDGECTL_STORE="$store" peak "$EDGECTL" export --to "$WORK/out-$n" --include anomalies,insights,items,summary)
    verify_kib[$n]=$(EDGECTL_STORE="$store" peak "$EDGECTL" verify "$WORK/out-$n/mem-000001.tar.zst")
done
echo "export peak: ${export_kib[2000]} -> ${export_kib[150000]} KiB; verify peak: ${verify_kib[2000]} -> ${verify_kib[150000]} KiB"
# 75x the rows (about 30 MB more if anything held them all) may cost at most a few MiB more memory:
# SQLite's page cache (2 MiB by default) and the allocator's arenas fill up to their bounds, and
# export's zstd compressors (one per payload file, about 3 MiB of window and tables each at level
# 3) touch all of their memory once they have seen a few MiB.
[ $((export_kib[150000] - export_kib[2000])) -le 12288 ] || fail "export memory grows with its size"
[ $((verify_kib[150000] - verify_kib[2000])) -le 6144 ] || fail "verify memory grows with the archive's size"
echo ok
