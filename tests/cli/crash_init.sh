#!/usr/bin/env bash
# kill -9 before every durability point of 'init --site ID', then the same command again: a
# complete store (database at the current schema with the site id, directories, secret, key pair),
# and nothing a killed init left half-made: no temporary file, no stray database. The secret and
# keys are random in every run, so they are checked (64 hex digits, a matching pair), not compared.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_crash.sh"
state_of() { crash_state --store "$RUN/store" --fresh-store; }

crash_save_pre   # nothing: init makes $RUN/store itself
crash_enumerate "init" "$EDGECTL" init --site north-1
ref_has "== schema version 10" "  site|north-1" "  site.secret 0o600 64 hex digits" \
        "  site.key 0o600 a matching key pair" "  site.pub 0o644 a matching key pair"
crash_finish
