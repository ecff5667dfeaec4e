#!/usr/bin/env bash
# kill -9 before every durability point of 'trust add' (of a package signer's key, and of a hub's)
# and 'trust remove', then the same command
# again: the trust list ends exactly as after an uninterrupted run (the key trusted, or gone), with
# no temporary key file left in trust/.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_crash.sh"
state_of() { crash_state --store "$RUN/store"; }

new_store
mkdir "$RUN/keys"
expect_exit 0 "$EDGECTL" keygen -o "$RUN/keys/cloud"
expect_exit 0 "$EDGECTL" keygen -o "$RUN/keys/other"
expect_exit 0 "$EDGECTL" keygen -o "$RUN/keys/other2"
expect_exit 0 "$EDGECTL" trust add "$RUN/keys/other.pub" --name other
crash_save_pre
crash_enumerate "trust add" "$EDGECTL" trust add "$RUN/keys/cloud.pub" --name cloud

crash_reset
expect_exit 0 "$EDGECTL" trust add "$RUN/keys/cloud.pub" --name cloud
crash_save_pre
crash_enumerate "trust remove" "$EDGECTL" trust remove cloud

# A hub's key, trusted for receipts: the first one makes trust/hubs/.
crash_reset
crash_save_pre
crash_enumerate "trust add --hub" "$EDGECTL" trust add --hub "$RUN/keys/other2.pub" --name hub
ref_has "  trust/hubs/ 0o700"
crash_finish
