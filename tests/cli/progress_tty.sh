#!/usr/bin/env bash
# A progress line on long work only when stderr is a terminal (docs/commands.md): drawn in place under a
# pseudo-terminal, erased before the summary; absent when stderr is a file or with --quiet.
source "$(dirname "$0")/lib.sh"
command -v script >/dev/null || fail "script(1) is needed (Debian's bsdutils)"
new_store
awk 'BEGIN { print "id,v"; for (i = 1; i <= 1000000; i++) printf "%d,%d.5\n", i, i % 97 }' > "$WORK/big.csv"
cp "$WORK/big.csv" "$WORK/big2.csv" && echo "1000001,1.5" >> "$WORK/big2.csv"
cp "$WORK/big.csv" "$WORK/big3.csv" && echo "1000002,2.5" >> "$WORK/big3.csv"

# Under a terminal: at least one progress line, then the line erased and the summary.
script -qec "'$EDGECTL' ingest '$WORK/big.csv'" /dev/null > "$WORK/tty.out"
grep -aq $'\r\033\[Kingest '"$WORK"'/big.csv: [0-9,]* records, [0-9.]*[kM]\?/s' "$WORK/tty.out" ||
    fail "no progress line on a terminal: $(cat -v "$WORK/tty.out" | head -c 300)"
grep -aq $'\r\033\[K'"$WORK"'/big.csv: ingested (1000000 items, 0 quarantined)' "$WORK/tty.out" ||
    fail "progress line not erased before the summary: $(cat -v "$WORK/tty.out" | tail -c 300)"

# Not a terminal: stderr holds nothing but diagnostics.
expect_exit 0 "$EDGECTL" ingest "$WORK/big2.csv"
assert_eq "$(cat "$WORK/.err")" "" "stderr when it is a file"
# --quiet on a terminal: nothing drawn.
script -qec "'$EDGECTL' -q ingest '$WORK/big3.csv'" /dev/null > "$WORK/quiet.out"
assert_eq "$(cat -v "$WORK/quiet.out")" "" "output of -q on a terminal"
echo ok
