#!/usr/bin/env bash
# A malformed CSV line (ragged row; bad quotes) is quarantined with its file, line and reason (exit 3); every other row becomes an item.
source "$(dirname "$0")/lib.sh"

new_store
printf '%s\n' 'id,name,value' '1,alpha,10' '2,beta' '3,"gamma, ""the third""",30' '4,delta,40' >"$WORK/ragged.csv"
printf '%s\n' 'id,name,value' '1,alpha,10' '2,"be"ta,20' '3,gamma,30' '4,del"ta,40' '5,"multi' 'line",50' '6,zeta,60' \
    >"$WORK/quotes.csv"

# The ragged row: line 3 has 2 fields where the header has 3.
expect_exit 3 "$EDGECTL" ingest "$WORK/ragged.csv"
assert_eq "$OUT" "$WORK/ragged.csv: ingested (3 items, 1 quarantined)
ingested 3 items, quarantined 1 records"
assert_eq "$(sql "SELECT line || '|' || reason || '|' || raw FROM quarantine WHERE source = '$WORK/ragged.csv'")" \
    "3|expected 3 fields, found 2|2,beta"
assert_eq "$(sql "SELECT group_concat(line || ':' || json_extract(payload, '\$.id') || ':' || json_extract(payload, '\$.name'), ' ')
                  FROM (SELECT * FROM item_records WHERE source = '$WORK/ragged.csv' ORDER BY id)")" \
    '2:1:alpha 4:3:gamma, "the third" 5:4:delta' "items from ragged.csv (line:id:name)"
assert_eq "$(sql "SELECT json_extract(payload, '\$.value') FROM item_records WHERE line = 4 AND source = '$WORK/ragged.csv'")" 30 \
    "a numeric cell becomes a number"

# Bad quotes: a closing quote followed by text (line 3), a quote inside an unquoted field (line 5).
# The reader resynchronises on the next line; a quoted line break (lines 6-7) stays one record.
expect_exit 3 "$EDGECTL" ingest "$WORK/quotes.csv"
assert_eq "$OUT" "$WORK/quotes.csv: ingested (4 items, 2 quarantined)
ingested 4 items, quarantined 2 records"
# (raw is compared without its line end: edgectl currently keeps the '\n' on these two but not on a ragged row)
assert_eq "$(sql "SELECT line || '|' || reason || '|' || rtrim(raw, char(13, 10)) FROM quarantine
                  WHERE source = '$WORK/quotes.csv' ORDER BY line")" \
    '3|unexpected character after a closing quote|2,"be"ta,20
5|quote inside an unquoted field|4,del"ta,40'
assert_eq "$(sql "SELECT group_concat(line || ':' || json_extract(payload, '\$.id'), ' ')
                  FROM (SELECT * FROM item_records WHERE source = '$WORK/quotes.csv' ORDER BY id)")" \
    '2:1 4:3 6:5 8:6' "items from quotes.csv (line:id)"
assert_eq "$(sql "SELECT json_extract(payload, '\$.name') FROM item_records WHERE line = 6 AND source = '$WORK/quotes.csv'")" \
    "multi
line" "quoted line break kept in the field"

# Nothing lost: every data record is an item or a quarantine row.
assert_eq "$(sql 'SELECT count(*) FROM items')" 7 "items"
assert_eq "$(sql "SELECT count(*) FROM quarantine WHERE stage = 'ingest'")" 3 "quarantined records"
assert_eq "$(sql "SELECT records || '/' || quarantined || '/' || complete FROM sources ORDER BY path")" "6/2/1
4/1/1" "sources ledger (records/quarantined/complete)"
