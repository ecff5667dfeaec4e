#!/usr/bin/env bash
# Bad command lines exit 2 (usage) naming the problem on stderr, write nothing; --version and --help exit 0.
source "$(dirname "$0")/lib.sh"

new_store
mkdir "$WORK/disk"

expect_exit 0 "$EDGECTL" --version
assert_eq "$OUT" "edgectl 0.1.0"
expect_exit 0 "$EDGECTL" --help
for command in init ingest score export verify import-model models pack-model status; do
    assert_contains "$OUT" "$command" "--help lists the commands"
done

# usage NEEDLE ARGS...: edgectl ARGS must exit 2, print nothing on stdout and name NEEDLE on stderr.
# Every case is run and all wrong ones are reported together.
problems=()
usage() {
    local needle=$1 got=0
    shift
    "$EDGECTL" "$@" >"$WORK/.out" 2>"$WORK/.err" || got=$?
    local err
    err=$(tr '\n' ' ' <"$WORK/.err")
    if [ "$got" != 2 ]; then
        problems+=("'edgectl $*': exit $got, expected 2 (stderr: $err)")
    elif [ -s "$WORK/.out" ]; then
        problems+=("'edgectl $*': printed on stdout: $(cat "$WORK/.out")")
    elif [[ "$err" != *"$needle"* ]]; then
        problems+=("'edgectl $*': stderr does not name '$needle': $err")
    fi
}

usage bogus bogus                          # unknown subcommand
usage subcommand                           # no subcommand at all
usage --to export                          # export without --to
usage --site init                          # init without --site
usage PATH ingest                          # ingest without a path
usage xml ingest --format xml "$WORK/x"    # a format that does not exist
usage --no-such-flag --no-such-flag status # an unknown option
usage extra status extra                   # a stray argument
usage subcommand models                    # models without list/activate
usage "'foo' is not NAME@VERSION" models activate foo
usage "--batch must be between 1 and 65536" score --batch 0

# A usage error changes nothing.
assert_eq "$(ls -A "$WORK/disk")" "" "files written by usage errors"
assert_eq "$(sql 'SELECT count(*) FROM exports')$(sql 'SELECT count(*) FROM items')" 00 "rows written by usage errors"

[ ${#problems[@]} = 0 ] || fail "$(printf '\n  %s' "${problems[@]}")"
