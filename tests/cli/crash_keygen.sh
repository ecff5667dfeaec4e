#!/usr/bin/env bash
# kill -9 before every durability point of 'keygen -o PREFIX', then the same command again: a
# complete key pair, PREFIX.key (0600) matching PREFIX.pub (0644), and nothing else beside them.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_crash.sh"
state_of() { crash_state --keys "$RUN/keys"; }

mkdir "$RUN/keys"
crash_save_pre
crash_enumerate "keygen" "$EDGECTL" keygen -o "$RUN/keys/cloud"
ref_has "  cloud.key 0o600 a matching key pair" "  cloud.pub 0o644 a matching key pair"
crash_finish
