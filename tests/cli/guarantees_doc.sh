#!/usr/bin/env bash
# docs/guarantees.md names every durability point: each point that a trace of any command (and of
# the recoveries after kills) shows, and each step that core/ passes to a durable operation, has
# its entry, so that a new point cannot ship undocumented.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_traces.sh"
doc="$EDGECTL_SOURCE/docs/guarantees.md"
[ -f "$doc" ] || fail "docs/guarantees.md is missing"

trace_every_command
missing=()
for name in $(trace_names); do
    grep -qF "\`$name\`" "$doc" || missing+=("$name")
done
# Steps named in the source, reached by a trace above or not: '<step>' in Transaction(..., "step"),
# AtomicFile / write_file_atomic / rename_durably / remove_durably / move_file / name_open_file /
# make_dir / fsync_dir / File::sync calls; each must begin at least one documented point.
mapfile -t steps < <(grep -hoE '(Transaction [a-z_]+\([^;"]*, |emplace\([a-z_]+, |\.sync\(|fsync_dir\([^;]*, |write_file_atomic\([^;]*, |AtomicFile [a-z_]+\([^;]*, |rename_durably\([^;]*, |remove_durably\([^;]*, |move_file\([^;]*, |name_open_file\([^;]*, |make_dir\([^;]*, )"[a-z][a-z.-]*"' \
     "$EDGECTL_SOURCE"/core/*/*.cpp | grep -oE '"[a-z][a-z.-]*"$' | tr -d '"' | sort -u)
[ ${#steps[@]} -ge 25 ] || fail "found only ${#steps[@]} steps in core/: the pattern no longer matches the code"
for step in "${steps[@]}"; do
    grep -qF "\`$step:" "$doc" || missing+=("$step:*")
done
echo "$(trace_names | wc -l) points traced, ${#steps[@]} steps in core/"
[ ${#missing[@]} -eq 0 ] || fail "not in docs/guarantees.md: ${missing[*]}"
echo ok
