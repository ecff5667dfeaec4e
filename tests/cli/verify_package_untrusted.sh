#!/usr/bin/env bash
# Without a store there is no trust list: verify says a package's signature was not checked, and
# does not deserialise its TorchScript (bytes nobody vouched for) unless --run-model asks, saying so.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
export EDGECTL_STORE="$WORK/no-store"
mkdir p
cp "$SAMPLE/model/model.json" "$SAMPLE/model/golden.ndjson" p/
printf 'not a TorchScript archive, and never to be loaded unasked\n' > p/model.pt
(cd p && sha256sum model.json model.pt golden.ndjson > SHA256SUMS)
repack p garbage.tar.zst model.json model.pt golden.ndjson SHA256SUMS
expect_exit 0 "$EDGECTL" verify garbage.tar.zst
assert_eq "$OUT" "garbage.tar.zst: OK (model-package; signature not checked: no trust list; model not run (--run-model runs it))"
expect_exit 0 "$EDGECTL" verify --json garbage.tar.zst
assert_eq "$(json_get "$OUT" "[(c['check'], c['ok'], c['detail']) for c in d[0]['detail']['checks'] if c['check'] in ('torchscript', 'golden')]")" \
    "[('torchscript', True, 'not run: the signature was not checked against a trust list'), ('golden', True, 'not run')]"
expect_exit 4 "$EDGECTL" verify --run-model garbage.tar.zst
assert_contains "$ERR" "is not a loadable TorchScript model"

# A good package: --run-model reproduces its golden vectors, and says it ran unauthenticated.
expect_exit 0 "$EDGECTL" pack-model --model "$SAMPLE/model/model.pt" --spec "$SAMPLE/model/model.json" \
    --golden "$SAMPLE/model/golden.ndjson" -o good.tar.zst
expect_exit 0 "$EDGECTL" verify --run-model good.tar.zst
assert_eq "$OUT" "good.tar.zst: OK (model-package; signature not checked: no trust list; model run on request)"
echo ok
