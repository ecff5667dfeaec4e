#!/usr/bin/env bash
# kill -9 before every commit of 'score' with two active models, each scoring 4,593 items in two
# transactions (score commits every 4096 items), some of them quarantined, and the first with a
# shadow version: rerun, and every item has exactly one insight or one quarantine row per model
# version, and one shadow answer, with the scores, labels and cursors an uninterrupted run gives,
# and the same drift windows, each item counted once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_crash.sh"
state_of() { crash_state --store "$RUN/store"; }

new_store
signed_sample_package "$WORK/model.tar.zst"
expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst" --activate
# A second model: the same network under another name, so that one run scores twice.
sed 's/"name": "wine-cultivar"/"name": "wine-cultivar-b"/' "$SAMPLE/model/model.json" >"$WORK/model-b.json"
expect_exit 0 "$EDGECTL" pack-model --model "$SAMPLE/model/model.pt" --spec "$WORK/model-b.json" \
    --golden "$SAMPLE/model/golden.ndjson" --sign "$WORK/keys/vendor.key" -o "$WORK/model-b.tar.zst"
expect_exit 0 "$EDGECTL" import-model "$WORK/model-b.tar.zst" --activate
# The first model's shadow: the same network with a stricter anomaly rule.
sample_variant 1.1.0 "$WORK/model-1.1.0.tar.zst" 'spec["anomaly"][0]["threshold"] = 0.95'
expect_exit 0 "$EDGECTL" import-model "$WORK/model-1.1.0.tar.zst"
expect_exit 0 "$EDGECTL" models shadow wine-cultivar@1.1.0
expect_exit 3 "$EDGECTL" ingest "$SAMPLE/inbox"
feature_csv "$WORK/many.csv" 4520
expect_exit 0 "$EDGECTL" ingest "$WORK/many.csv"
assert_eq "$(sql 'SELECT count(*) FROM items')" 4593 "items to score"
crash_save_pre

CRASH_EXPECT=3 crash_enumerate "score (two models, two commits each)" "$EDGECTL" score --batch 512
# Per model: 4590 insights, 3 items quarantined, the cursor on the last item.
ref_has "  insights 9180" "  score|wine-cultivar|1.0.0|3" "  score|wine-cultivar-b|1.0.0|3" \
    "  wine-cultivar|1.0.0|4593" "  wine-cultivar-b|1.0.0|4593"
assert_eq "$(grep -c $'^score.insights:commit\t' "$WORK/ref.trace")" 4 "commits of an uninterrupted score"
# The shadow answered every item its active version was given: 4590 (the 3 quarantined at reading
# never reach a model).
grep -q "^== shadow answers 4590 " "$WORK/ref.state" || fail "shadow answers of the reference run: $(grep '== shadow' "$WORK/ref.state")"
grep -q "^  wine-cultivar-b|1.0.0|4501|4593|93|" "$WORK/ref.state" || fail "no open drift window in the reference run"
crash_finish
