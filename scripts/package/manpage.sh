#!/usr/bin/env bash
# Writes edgectl(1) from the binary's own help, so that the manual never disagrees with it: help2man
# for the synopsis and global options, then one section per subcommand with its --help.
#   manpage.sh EDGECTL OUT
set -euo pipefail
edgectl=$1 out=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
{
    echo "[DESCRIPTION]"
    echo "edgectl brings machine-learning inference to sites with no network: it ingests records and camera"
    echo "frames from a local share, scores them with TorchScript models on the site's CPU, and exports"
    echo "insights as signed archives on a removable disk. /usr/share/doc/edgectl holds the full manual."
    echo "[COMMANDS]"
    "$edgectl" --help | awk '/^Subcommands:/ { on = 1; next } on && NF { print $1 }' | while read -r sub; do
        echo ".SS $sub"
        echo ".nf"
        "$edgectl" "$sub" --help | sed -e 's/\\/\\e/g' -e 's/^\./\\\&./'
        echo ".fi"
    done
    echo "[EXIT STATUS]"
    echo "0 success; 1 error (nothing half-written); 2 usage; 3 done, but some inputs were quarantined or"
    echo "rejected; 4 verification failed; 75 another run holds the store's lock for this command (retry later)."
    echo "[FILES]"
    echo "/var/lib/edgectl (the store, unless --store or EDGECTL_STORE says otherwise);"
    echo "/etc/default/edgectl (the service's and the timers' settings)."
} >"$work/include"
help2man --no-info --section 1 --name "offline ML inference at the edge" --include "$work/include" \
    --output "$out" "$edgectl"
