#!/usr/bin/env bash
# An installed model is checked against the registry's digest, not only against the SHA256SUMS lying
# beside it: a model.pt swapped together with a rewritten SHA256SUMS is refused (exit 4).
source "$(dirname "$0")/lib.sh"
sample_site
dir="$STORE/models/wine-cultivar/1.0.0"
chmod u+w "$dir" "$dir"/* 2>/dev/null || true
flip_byte "$dir/model.pt" 200
(cd "$dir" && sha256sum model.json model.pt golden.ndjson > SHA256SUMS)
expect_exit 4 "$EDGECTL" score
assert_contains "$ERR" "installed model wine-cultivar@1.0.0 is damaged: '$dir/SHA256SUMS' is not the one imported"
assert_eq "$(sql 'SELECT count(*) FROM insights')" 0 "insights"
echo ok
