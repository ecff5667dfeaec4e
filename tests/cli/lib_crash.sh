# Shared by the crash_*.sh tests (sourced after lib.sh). They prove the crash safety docs/guarantees.md promises by
# enumeration, not sampling: every durability point a command passes (core/util/crash.hpp) is, in turn,
# where the real binary kills itself; then the same command runs again, and the end state must be
# the one an uninterrupted run leaves. Killing just before each point, plus a normal finish, covers
# every distinct durable state a process kill can leave (a kill "after" X is a kill before the next).
#
# A test builds its pre-state in $RUN (stores, inboxes, targets), calls crash_save_pre, defines
# state_of (prints the canonical end state, normally through crash_state.py), then calls
#   crash_enumerate LABEL COMMAND...
# which:
#   1. runs COMMAND once on a copy of the pre-state with EDGECTL_CRASH_TRACE, keeps its end state
#      as the reference, and runs it again (the rerun of a finished run: its exit code is the other
#      one a rerun may give; with CRASH_IDEMPOTENT=1, the default, it must change nothing);
#   2. for every point NAME and every pass N (all passes up to $CRASH_CAP, default 5; beyond, the
#      first two, the middle one and the last two: see passes), on a fresh copy: runs COMMAND with
#      EDGECTL_CRASH_AT=NAME#N and requires death by SIGKILL (exit 137: a point not reached is a
#      failure), runs COMMAND again, and requires the reference state, no 'PROBLEM:' line, and an
#      exit code of a first run or of a rerun (CRASH_POINTS='NAME...' limits this to those points);
#   3. for every point that only the reruns pass (recovery: sweeping, forgetting, finishing what a
#      killed run left), kills the rerun there too (its first and last pass), then runs once more;
#   4. for each spec in $CRASH_NESTED (NAME#N), kills the rerun after that kill at every point
#      it passes (capped likewise; with CRASH_NESTED_UNTIL=POINT only those before the rerun's
#      first POINT), then runs once more;
# and checks every trace with fsync_check.py and against docs/guarantees.md. Failures are gathered
# and reported together; the test fails if there is any.

CRASH_DIR="$EDGECTL_SOURCE/tests/cli"
# The checkers run a few hundred times: Debian's python3 starts in 0.04 s, where a version
# manager's shim in PATH may take 0.3 s.
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
RUN="$WORK/run"
PRE="$WORK/pre"
CASES="$WORK/cases"
mkdir -p "$RUN" "$CASES"
# The store the commands work on is the one in $RUN (lib.sh's helpers use $STORE too).
STORE="$RUN/store"
export EDGECTL_STORE="$STORE"
: "${CRASH_CAP:=5}"
: "${CRASH_IDEMPOTENT:=1}"
: "${CRASH_NESTED:=}"
# Directories outside $RUN that a command writes (e.g. a tmpfs mount point), reset with it.
CRASH_EXTRA_DIRS=()
CRASH_KILLS=0
CRASH_CASES=0
CRASH_FAILURES=()
CRASH_START=$SECONDS
CRASH_ALL_NAMES="$WORK/all-names"
: >"$CRASH_ALL_NAMES"

# crash_save_pre: keeps the pre-state (all of $RUN, and the extra directories) for every case.
crash_save_pre() {
    rm -rf "$PRE"
    cp -a "$RUN" "$PRE"
    local i=0 d
    for d in "${CRASH_EXTRA_DIRS[@]}"; do
        rm -rf "$WORK/pre-extra-$i"
        cp -a "$d" "$WORK/pre-extra-$i"
        i=$((i + 1))
    done
}

# crash_reset: puts the pre-state back (no edgectl process runs at this point).
crash_reset() {
    rm -rf "$RUN"
    cp -a "$PRE" "$RUN"
    local i=0 d
    for d in "${CRASH_EXTRA_DIRS[@]}"; do
        find "$d" -mindepth 1 -delete
        cp -a "$WORK/pre-extra-$i/." "$d/"
        i=$((i + 1))
    done
}

# run_traced TRACE [ENV=VALUE...] -- COMMAND...: runs COMMAND with its points traced to TRACE, then
# appends '#exit RC' (one trace file per process); RC holds the exit code, $RUN_LOG its output.
RUN_LOG="$WORK/run.log"
run_traced() {
    local trace=$1
    shift
    local env=()
    while [ "$1" != -- ]; do env+=("$1"); shift; done
    shift
    : >"$trace"
    RC=0
    # In a subshell that is not replaced by the command (': ;' keeps bash from exec'ing it), which
    # reports a SIGKILL ("Killed") to its own stderr, not to the test's.
    (: ; env "${env[@]}" EDGECTL_CRASH_TRACE="$trace" "$@" </dev/null >"$RUN_LOG" 2>&1; exit $?) 2>/dev/null || RC=$?
    echo "#exit $RC" >>"$trace"
}

# trace_counts TRACE: 'NAME COUNT' per point, in the order first passed.
trace_counts() {
    awk -F'\t' '!/^#/ { if (!($1 in c)) order[++n] = $1; c[$1]++ } END { for (i = 1; i <= n; i++) print order[i], c[order[i]] }' "$1"
}

# passes COUNT: the passes to kill at: all up to CRASH_CAP; beyond, the first two, the middle one
# and the last two (with CRASH_CAP 3 or 4: the first, the middle one and the last).
passes() {
    local n=$1
    if [ "$n" -le "$CRASH_CAP" ]; then
        seq 1 "$n"
    elif [ "$CRASH_CAP" -ge 5 ]; then
        printf '%s\n' 1 2 $(((n + 1) / 2)) $((n - 1)) "$n"
    else
        printf '%s\n' 1 $(((n + 1) / 2)) "$n"
    fi
}

crash_problem() {
    CRASH_FAILURES+=("$1")
    echo "FAIL: $1" >&2
}

# crash_case SPEC...: a fresh pre-state; COMMAND killed at each SPEC (NAME#N) in successive runs,
# then run to its end; the end state compared with the reference. Sets CASE_TRACES (the trace
# files, in order) for the caller.
crash_case() {
    local label="$*" id
    CRASH_CASES=$((CRASH_CASES + 1))
    id=$(printf '%04d' "$CRASH_CASES")
    crash_reset
    CASE_TRACES=()
    local k=0 spec
    for spec in "$@"; do
        k=$((k + 1))
        run_traced "$CASES/$id.$k" EDGECTL_CRASH_AT="$spec" -- "${CRASH_CMD[@]}"
        CASE_TRACES+=("$CASES/$id.$k")
        if [ "$RC" != 137 ]; then
            crash_problem "[$label] run $k was not killed at $spec (exit $RC): the point was not reached; output: $(head -c 400 "$RUN_LOG")"
            CASE_TRACES=()
            return 0
        fi
        CRASH_KILLS=$((CRASH_KILLS + 1))
    done
    k=$((k + 1))
    run_traced "$CASES/$id.$k" -- "${CRASH_CMD[@]}"
    CASE_TRACES+=("$CASES/$id.$k")
    if [ "$RC" != "$CRASH_RC1" ] && [ "$RC" != "$CRASH_RC2" ]; then
        crash_problem "[$label] the rerun exited $RC (a first run exits $CRASH_RC1, a rerun $CRASH_RC2): $(head -c 400 "$RUN_LOG")"
    fi
    state_of </dev/null >"$CASES/$id.state" 2>&1 || true
    if grep -q '^PROBLEM:' "$CASES/$id.state"; then
        crash_problem "[$label] $(grep '^PROBLEM:' "$CASES/$id.state" | head -5 | tr '\n' ' ')"
    fi
    if ! diff -u "$WORK/ref.state" "$CASES/$id.state" >"$CASES/$id.diff"; then
        crash_problem "[$label] end state differs from an uninterrupted run's:
$(grep '^[-+][^-+]' "$CASES/$id.diff" | head -12)"
    fi
    crash_check_traces "[$label]" "${CASE_TRACES[@]}"
}

# crash_check_traces LABEL TRACE...: the fsync discipline over one history of processes, and every
# point named in docs/guarantees.md.
crash_check_traces() {
    local label=$1
    shift
    local why
    if ! why=$("$PYTHON" "$CRASH_DIR/fsync_check.py" "$@" 2>&1); then
        crash_problem "$label fsync discipline: $why"
    fi
    awk -F'\t' '!/^#/ { print $1 }' "$@" | sort -u >>"$CRASH_ALL_NAMES"
}

# crash_enumerate LABEL COMMAND...: the whole enumeration described at the top of this file.
# CRASH_EXPECT: the exit code of the uninterrupted run (default 0).
crash_enumerate() {
    local label=$1
    shift
    CRASH_CMD=("$@")
    local start=$SECONDS kills_before=$CRASH_KILLS cases_before=$CRASH_CASES fails_before=${#CRASH_FAILURES[@]}

    # 1. The reference: one uninterrupted run, and a rerun of it.
    crash_reset
    run_traced "$WORK/ref.trace" -- "${CRASH_CMD[@]}"
    CRASH_RC1=$RC
    [ "$CRASH_RC1" = "${CRASH_EXPECT:-0}" ] || fail "$label: the uninterrupted run exited $CRASH_RC1: $(cat "$RUN_LOG")"
    state_of </dev/null >"$WORK/ref.state"
    if grep -q '^PROBLEM:' "$WORK/ref.state"; then
        fail "$label: the uninterrupted run already breaks a guarantee: $(grep '^PROBLEM:' "$WORK/ref.state")"
    fi
    run_traced "$WORK/ref2.trace" -- "${CRASH_CMD[@]}"
    CRASH_RC2=$RC
    state_of </dev/null >"$WORK/ref2.state"
    if [ "$CRASH_IDEMPOTENT" = 1 ] && ! diff -u "$WORK/ref.state" "$WORK/ref2.state" >"$WORK/ref2.diff"; then
        fail "$label: running the command again after it finished changed the state: $(head -20 "$WORK/ref2.diff")"
    fi
    crash_check_traces "[$label reference]" "$WORK/ref.trace" "$WORK/ref2.trace"
    trace_counts "$WORK/ref.trace" >"$WORK/ref.counts"
    [ -s "$WORK/ref.counts" ] || fail "$label: the command passed no durability point"

    # 2. Every point, every pass (capped).
    local name count n line
    local -a ref_points recovery_points nested_points
    # CRASH_POINTS='NAME...' limits the direct cases to those points (another scenario covers the rest).
    if [ -n "${CRASH_POINTS:-}" ]; then
        local want
        for want in $CRASH_POINTS; do
            awk -v n="$want" '$1 == n { found = 1 } END { exit !found }' "$WORK/ref.counts" ||
                fail "$label: the uninterrupted run does not pass $want"
        done
        mapfile -t ref_points < <(awk -v keep=" $CRASH_POINTS " 'index(keep, " " $1 " ")' "$WORK/ref.counts")
    else
        mapfile -t ref_points <"$WORK/ref.counts"
    fi
    : >"$WORK/recovery"
    for line in "${ref_points[@]}"; do
        read -r name count <<<"$line"
        for n in $(passes "$count"); do
            crash_case "$name#$n"
            # Points only a rerun passes: kept with the kill that led there, and how often it passed them.
            [ ${#CASE_TRACES[@]} -gt 1 ] || continue
            local rname rcount
            while read -r rname rcount; do
                awk -v n="$rname" '$1 == n { found = 1 } END { exit !found }' "$WORK/ref.counts" "$WORK/recovery" && continue
                echo "$rname $rcount $name#$n" >>"$WORK/recovery"
            done < <(trace_counts "${CASE_TRACES[${#CASE_TRACES[@]} - 1]}")
        done
    done
    local direct=$((CRASH_CASES - cases_before))

    # 3. Points of recovery: killed there as well.
    local first
    mapfile -t recovery_points <"$WORK/recovery"
    for line in "${recovery_points[@]}"; do
        read -r name count first <<<"$line"
        for n in $( [ "$count" -gt 1 ] && echo 1 "$count" || echo 1 ); do
            crash_case "$first" "$name#$n"
        done
    done
    local recovery_names
    recovery_names=$(awk '{ printf "%s%s", sep, $1; sep = ", " }' "$WORK/recovery")

    # 4. Every point of the reruns after the kills named in CRASH_NESTED.
    local spec
    for spec in $CRASH_NESTED; do
        crash_case "$spec"
        [ ${#CASE_TRACES[@]} -gt 1 ] || continue
        # With CRASH_NESTED_UNTIL=NAME, only the points the rerun passes before NAME (its recovery,
        # not the new work that the direct cases cover already).
        mapfile -t nested_points < <(awk -v until="${CRASH_NESTED_UNTIL:-}" -F'\t' \
            'until != "" && $1 == until { exit } { print }' "${CASE_TRACES[${#CASE_TRACES[@]} - 1]}" >"$WORK/nested.trace"
            trace_counts "$WORK/nested.trace")
        for line in "${nested_points[@]}"; do
            read -r name count <<<"$line"
            for n in $(passes "$count"); do crash_case "$spec" "$name#$n"; done
        done
    done

    local points=${#ref_points[@]}
    echo "$label: $((CRASH_KILLS - kills_before)) kills in $((CRASH_CASES - cases_before)) cases" \
         "($direct at the $points points of an uninterrupted run${CRASH_POINTS:+ chosen by CRASH_POINTS}, passes capped at $CRASH_CAP per point:" \
         "all up to $CRASH_CAP, else $(passes 99 | wc -l) of them, first and last included; recovery points: ${recovery_names:-none};" \
         "nested: ${CRASH_NESTED:-none}${CRASH_NESTED_UNTIL:+ until $CRASH_NESTED_UNTIL}) in $((SECONDS - start)) s," \
         "$(( ${#CRASH_FAILURES[@]} - fails_before )) failures"
}

# crash_finish: every point seen documented; the verdict over all crash_enumerate calls.
crash_finish() {
    local name missing=()
    for name in $(sort -u "$CRASH_ALL_NAMES"); do
        grep -qF "\`$name\`" "$EDGECTL_SOURCE/docs/guarantees.md" 2>/dev/null || missing+=("$name")
    done
    [ ${#missing[@]} -eq 0 ] || crash_problem "points missing from docs/guarantees.md: ${missing[*]}"
    echo "total: $CRASH_KILLS kills, $CRASH_CASES cases, $((SECONDS - CRASH_START)) s"
    if [ ${#CRASH_FAILURES[@]} -gt 0 ]; then
        fail "${#CRASH_FAILURES[@]} crash cases broke a guarantee (each is printed above)"
    fi
    echo ok
}

# ref_has LINE...: the uninterrupted run's end state holds each LINE exactly (a sanity check that
# the reference is what the test means it to be).
ref_has() {
    local line
    for line in "$@"; do
        grep -qxF -- "$line" "$WORK/ref.state" || fail "the uninterrupted run's end state lacks '$line':
$(cat "$WORK/ref.state")"
    done
}

# crash_state ARGS...: crash_state.py with the given --store/--target/--dir.
crash_state() { "$PYTHON" "$CRASH_DIR/crash_state.py" "$@"; }
