#!/usr/bin/env bash
# import-model without --activate installs inactive; 'models activate' switches; unknown versions fail; a repeated import says 'already installed'.
source "$(dirname "$0")/lib.sh"

new_store
signed_sample_package "$WORK/model.tar.zst"
expect_exit 0 "$EDGECTL" models list
assert_eq "$OUT" "no models installed"

# Installed, not active.
expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst"
assert_eq "$OUT" "imported wine-cultivar@1.0.0 (16 golden vectors reproduced)"
assert_eq "$ERR" "" "stderr of a clean import"
[ -f "$STORE/models/wine-cultivar/1.0.0/model.pt" ] || fail "model.pt not installed under models/wine-cultivar/1.0.0/"
expect_exit 0 "$EDGECTL" models list
[[ "$OUT" == "  wine-cultivar@1.0.0  imported "* ]] || fail "models list should show an inactive version: $OUT"
assert_not_contains "$OUT" "*" "active marker before activation"
assert_contains "$OUT" "signed by vendor"
assert_eq "$(sql 'SELECT count(*) FROM active_models')" 0 "active models before activation"
expect_exit 0 "$EDGECTL" score
assert_eq "$OUT" "" "score with no active model scores nothing"

# Activated.
expect_exit 0 "$EDGECTL" models activate wine-cultivar@1.0.0
assert_eq "$OUT" "wine-cultivar@1.0.0 is now active"
expect_exit 0 "$EDGECTL" models list
[[ "$OUT" == "* wine-cultivar@1.0.0  imported "* ]] || fail "models list should mark the active version: $OUT"
digest=$(sql "SELECT digest FROM models WHERE name = 'wine-cultivar'")
assert_contains "$OUT" "sha256:${digest:0:16}"

# Versions that are not installed, and references that are not NAME@VERSION.
expect_exit 1 "$EDGECTL" models activate nope@1.0.0
assert_eq "$ERR" "edgectl: error: model nope@1.0.0 is not installed (see 'edgectl models list')"
expect_exit 1 "$EDGECTL" models activate wine-cultivar@9.9.9
assert_eq "$ERR" "edgectl: error: model wine-cultivar@9.9.9 is not installed (see 'edgectl models list')"
expect_exit 2 "$EDGECTL" models activate wine-cultivar
assert_eq "$ERR" "edgectl: error: 'wine-cultivar' is not NAME@VERSION"
assert_eq "$(sql "SELECT name || '@' || version FROM active_models")" "wine-cultivar@1.0.0" "active version after failed activations"

# The registry as JSON.
expect_exit 0 "$EDGECTL" models list --json
json_ok "$OUT"
assert_eq "$(json_get "$OUT" "[(m['name'], m['version'], m['active'], m['digest']) for m in d]")" \
    "[('wine-cultivar', '1.0.0', True, '$digest')]" "models list --json"

# The same package again: nothing changes, exit 0.
expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst"
assert_eq "$OUT" "already installed wine-cultivar@1.0.0 (16 golden vectors reproduced)"
assert_eq "$(sql 'SELECT count(*) FROM models')" 1 "registry rows after a repeated import"
expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst" --activate
assert_eq "$OUT" "already installed wine-cultivar@1.0.0 (16 golden vectors reproduced), active"
