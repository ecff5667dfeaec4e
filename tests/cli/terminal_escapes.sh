#!/usr/bin/env bash
# Names from hostile inputs reach the terminal with their control characters escaped: a file name, an
# archive entry, a bag-info value can neither recolour, move nor retitle the operator's terminal.
source "$(dirname "$0")/lib.sh"
new_store
esc=$(printf '\033')
name="$WORK/evil$(printf '\033]0;pwned\007\033[2J').csv"
printf 'a,b\n1,2,3\n' > "$name"
expect_exit 3 "$EDGECTL" ingest "$name"
assert_not_contains "$OUT$ERR" "$esc" "a raw escape character"
assert_contains "$OUT" 'evil\x1b]0;pwned\x07\x1b[2J.csv: ingested (0 items, 1 quarantined)'

# An archive entry with an escape in its name, and a bag-info value.
mkdir -p "$WORK/t/x-000001$(printf '\033[31m')"
echo x > "$WORK/t/x-000001$(printf '\033[31m')/f"
tar --zstd -cf "$WORK/x-000001.tar.zst" -C "$WORK/t" "x-000001$(printf '\033[31m')"
expect_exit 4 "$EDGECTL" verify "$WORK/x-000001.tar.zst"
assert_not_contains "$OUT$ERR" "$esc" "a raw escape character from an entry name"
assert_contains "$ERR" '\x1b[31m'
echo ok
