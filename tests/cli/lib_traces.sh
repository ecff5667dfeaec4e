# Shared by fsync_discipline.sh and guarantees_doc.sh (sourced after lib.sh): runs every writing
# command of edgectl once with EDGECTL_CRASH_TRACE, plus the recoveries that only a run after a kill
# performs (forgetting or finishing an export, sweeping staging and targets, replacing a version
# directory without its row, finishing a move), and keeps each history of processes as
#   $TRACES/NN-LABEL/K.trace     (K = 1, 2, ... in the order the processes ran; '#exit RC' last)

TRACES="$WORK/traces"
mkdir -p "$TRACES"
_history=0
# The checker's interpreter, for the tests that source this (see lib_crash.sh on why not the first in PATH).
# shellcheck disable=SC2034
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi

# history LABEL: starts a new history; the next traced runs go into it.
history() {
    _history=$((_history + 1))
    HISTORY="$TRACES/$(printf '%02d' "$_history")-$1"
    mkdir -p "$HISTORY"
    _process=0
}

# traced EXPECTED [ENV=VALUE...] -- COMMAND...: one process of the current history, whose exit
# code must be EXPECTED, or one of a list like 0,3 (137: killed at its EDGECTL_CRASH_AT point).
traced() {
    local want=$1 env=() rc=0
    shift
    while [ "$1" != -- ]; do env+=("$1"); shift; done
    shift
    _process=$((_process + 1))
    local trace="$HISTORY/$_process.trace"
    (: ; env "${env[@]}" EDGECTL_CRASH_TRACE="$trace" "$@" </dev/null >"$WORK/.traced" 2>&1; exit $?) 2>/dev/null || rc=$?
    echo "#exit $rc" >>"$trace"
    [[ ",$want," == *",$rc,"* ]] || fail "$(basename "$HISTORY"): expected exit $want, got $rc from: $* $(cat "$WORK/.traced")"
}

# trace_every_command: fills $TRACES (see above). Uses $WORK/t as its work directory.
trace_every_command() {
    local t="$WORK/t" e="$EDGECTL"
    mkdir -p "$t/keys" "$t/inbox" "$t/done" "$t/disk" "$t/disk2"
    export EDGECTL_STORE="$t/store"
    STORE="$t/store"

    history init;            traced 0 -- "$e" init --site trace-site
    history keygen;          traced 0 -- "$e" keygen -o "$t/keys/cloud"
    history trust-add;       traced 0 -- "$e" trust add "$t/keys/cloud.pub" --name cloud
    local version
    for version in 1.0.0 1.1.0 1.2.0; do
        sed "s/\"version\": \"1.0.0\"/\"version\": \"$version\"/" "$SAMPLE/model/model.json" >"$t/spec-$version.json"
        history "pack-model-$version"
        traced 0 -- "$e" pack-model --model "$SAMPLE/model/model.pt" --spec "$t/spec-$version.json" \
            --golden "$SAMPLE/model/golden.ndjson" --sign "$t/keys/cloud.key" -o "$t/m-$version.tar.zst"
    done
    history import-new-model;  traced 0 -- "$e" import-model "$t/m-1.0.0.tar.zst" --activate
    # Killed after the version directory got its name, before its registry row: the rerun replaces it.
    history import-stale-version
    traced 137 EDGECTL_CRASH_AT=import.register:commit -- "$e" import-model "$t/m-1.1.0.tar.zst"
    traced 0 -- "$e" import-model "$t/m-1.1.0.tar.zst"
    # Killed while staging: the next import sweeps staging.
    history import-staging-sweep
    traced 137 EDGECTL_CRASH_AT=import.stage:rename#3 -- "$e" import-model "$t/m-1.2.0.tar.zst" --activate
    traced 0 -- "$e" import-model "$t/m-1.2.0.tar.zst" --activate
    history models-activate;   traced 0 -- "$e" models activate wine-cultivar@1.1.0
    history models-rollback;   traced 0 -- "$e" models rollback wine-cultivar
    history models-remove;     traced 0 -- "$e" models remove wine-cultivar@1.0.0

    cp "$SAMPLE"/inbox/* "$t/inbox/"
    feature_csv "$t/inbox/many.csv" 300
    touch -d '1 hour ago' "$t"/inbox/*
    # Killed after a file moved out of the inbox, before its directories were synced; then killed
    # between the commits of a file; then the rest.
    history ingest-move
    traced 137 EDGECTL_CRASH_AT=ingest.move:fsync-dir -- "$e" ingest --batch 16 --move-to "$t/done" --settle 0 "$t/inbox"
    traced 137 EDGECTL_CRASH_AT=ingest.records:commit#3 -- "$e" ingest --batch 16 --move-to "$t/done" --settle 0 "$t/inbox"
    traced 0,3 -- "$e" ingest --batch 16 --move-to "$t/done" --settle 0 "$t/inbox"
    if [ "$(id -u)" -eq 0 ] && mkdir -p "$t/xfs" && mount -t tmpfs -o size=4m tmpfs "$t/xfs" 2>/dev/null; then
        at_exit "umount '$t/xfs'"
        feature_csv "$t/inbox/east.csv" 20 5000
        feature_csv "$t/inbox/west.csv" 20 6000
        touch -d '1 hour ago' "$t"/inbox/*
        # Across filesystems: killed after the copy got its name, before the source went.
        history ingest-move-other-fs
        traced 137 EDGECTL_CRASH_AT=ingest.move-source:unlink -- "$e" ingest --move-to "$t/xfs" --settle 0 "$t/inbox"
        traced 0 -- "$e" ingest --move-to "$t/xfs" --settle 0 "$t/inbox"
    else
        echo "NOTE: not root (or no tmpfs): no trace of a move across filesystems"
    fi
    history score;  traced 3 -- "$e" score --batch 64

    # Export: three volumes, killed at the points whose reruns recover differently: before the
    # digest (forgotten), before the name (named from the partial), after the name (finished).
    local include=anomalies,insights,items,quarantine,summary
    killed_export() {  # HISTORY POINT: an export killed at POINT, then run again to recover
        history "$1"
        traced 137 EDGECTL_CRASH_AT="$2" -- "$e" export --to "$t/disk" --max-bytes 64K --include "$include"
        traced 0 -- "$e" export --to "$t/disk" --max-bytes 64K --include "$include"
    }
    more_scored() {  # N: another 2000 records from N on, ingested and scored
        feature_csv "$t/more-$1.csv" 2000 "$1"
        traced 0 -- "$e" ingest "$t/more-$1.csv"
        traced 0 -- "$e" score
    }
    killed_export export-forget export.digest:commit
    more_scored 10000
    killed_export export-name-partial export.archive:rename
    more_scored 20000
    killed_export export-finish-named export.sidecar:rename
    history export-resend;   traced 0 -- "$e" export --to "$t/disk2" --resend 1
    history ack
    # shellcheck disable=SC2046  # one argument per sequence
    traced 0 -- "$e" ack $(sqlite3 "$STORE/edgectl.db" "SELECT seq FROM exports WHERE state = 'complete'")
    history purge;           traced 0 -- "$e" purge --older-than 0
    # A pending export whose archive is lost: abandoned.
    feature_csv "$t/more3.csv" 50 30000
    traced 0 -- "$e" ingest "$t/more3.csv"
    traced 0 -- "$e" score
    history exports-abandon
    traced 137 EDGECTL_CRASH_AT=export.archive:rename -- "$e" export --to "$t/disk"
    rm -f "$t"/disk/.trace-site-*.partial
    traced 1 -- "$e" export --to "$t/disk"
    traced 0 -- "$e" exports abandon "$(sqlite3 "$STORE/edgectl.db" "SELECT seq FROM exports WHERE state = 'pending'")"
    history trust-remove;    traced 0 -- "$e" trust remove cloud

    # Opening a version 1 store migrates it forward.
    history migrate
    mkdir "$t/old"
    cp -a "$STORE"/site.* "$STORE"/models "$STORE"/trust "$STORE"/staging "$STORE"/locks "$t/old/"
    { echo "PRAGMA journal_mode = WAL;"; cat "$EDGECTL_SOURCE/schemas/store-v1.sql"
      echo "PRAGMA user_version = 1; INSERT INTO meta VALUES ('site', 'old');"; } | sqlite3 "$t/old/edgectl.db" >/dev/null
    traced 0 -- "$e" --store "$t/old" status
}

# trace_names: every point name in $TRACES, once.
trace_names() { cat "$TRACES"/*/*.trace | awk -F'\t' '!/^#/ { print $1 }' | sort -u; }
