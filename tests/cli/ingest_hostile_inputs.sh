#!/usr/bin/env bash
# Whatever devices drop into the inbox: each bad record is quarantined with its reason, the rest
# is ingested, and the run ends with exit 3.
source "$(dirname "$0")/lib.sh"
new_store
d="$WORK/in"
mkdir "$d"
printf 'a,b\n1,\xff\xfe\n2,ok\n' > "$d/utf8.csv"                        # invalid UTF-8 in a cell
printf '{"a":"\xff"}\n{"a":"ok"}\n' > "$d/utf8.ndjson"                  # invalid UTF-8 in JSON
printf 'a,b\n1,x\0y\n2,ok\n' > "$d/nul.csv"                              # NUL byte
python3 -c "print('a,b'); print('1,' + 'x' * 1100000); print('2,ok')" > "$d/long.csv"   # over-long record
python3 -c "print('{\"a\":\"' + 'x' * 1100000 + '\"}'); print('{\"a\":1}')" > "$d/long.ndjson"
printf 'a,b,c\n1,2\n3,4,5\n6,7,8,9\n' > "$d/ragged.csv"                   # ragged rows
printf 'a,b,a\n1,2,3\n' > "$d/dupe.csv"                                  # duplicate header names
: > "$d/empty.csv"; : > "$d/empty.ndjson"                                 # empty files
printf 'a,b\n1,1e999\n2,123456789012345678901234567890\n' > "$d/huge.csv" # huge numbers (kept as text)
python3 -c "print('{\"a\":' + '[' * 5000 + ']' * 5000 + '}'); print('{\"a\":2}')" > "$d/deep.ndjson"
printf '[1,2]\n"text"\n{"ok":true}\n' > "$d/notobj.ndjson"              # JSON that is not an object
printf '{"a":1e400}\n{"a":3}\n' > "$d/huge.ndjson"                        # a number beyond double (found by fuzzing)

expect_exit 3 "$EDGECTL" ingest "$d"
reason() { sql "SELECT reason FROM quarantine WHERE source = '$d/$1' ORDER BY line LIMIT 1 OFFSET ${2:-0}"; }
assert_eq "$(reason utf8.csv)" "text is not valid UTF-8" "utf8.csv"
assert_contains "$(reason utf8.ndjson)" "invalid JSON at byte"
assert_eq "$(reason nul.csv)" "NUL byte in record" "nul.csv"
assert_eq "$(reason long.csv)" "record is longer than 1048576 bytes" "long.csv"
assert_eq "$(reason long.ndjson)" "line is longer than 1048576 bytes" "long.ndjson"
assert_eq "$(reason ragged.csv)" "expected 3 fields, found 2" "ragged.csv"
assert_eq "$(reason ragged.csv 1)" "expected 3 fields, found 4" "ragged.csv"
assert_eq "$(reason dupe.csv)" "duplicate column name 'a' in header row" "dupe.csv"
assert_eq "$(reason deep.ndjson)" "JSON nested deeper than 64 levels" "deep.ndjson"
assert_eq "$(reason notobj.ndjson)" "expected a JSON object, found array" "notobj.ndjson"
assert_eq "$(reason notobj.ndjson 1)" "expected a JSON object, found string" "notobj.ndjson"
assert_eq "$(reason huge.ndjson)" "a number in the JSON is out of range" "huge.ndjson"
# The good records of every file made it; huge numbers stay text rather than turning into inf.
assert_eq "$(sql "SELECT count(*) FROM items")" 11 "items ingested"
assert_eq "$(sql "SELECT json_extract(payload, '$.b') FROM item_records WHERE source = '$d/huge.csv' ORDER BY line LIMIT 1")" "1e999" "huge number"
# (the two empty files have the same digest: one source)
assert_eq "$(sql "SELECT count(*) FROM sources WHERE complete = 1")" 12 "files completed"
echo ok
