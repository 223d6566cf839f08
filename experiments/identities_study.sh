#!/usr/bin/env bash
# The identities table of docs/identities.md for one synthetic input: videos -> tracklets (from the
# ground-truth tracks, or the built-in tracker) -> DAL training and the untrained network ->
# exports -> dal_tf.identities and dal_tf.score_identities.
#
#   bash experiments/identities_study.sh OUT CAMERAS gt|tracker [STEPS] [SEED] [TRAINING FLAGS...]
#
# TRAINING FLAGS go to dal_tf.train after the study's own (e.g. --parts=4 --augment, as
# docs/own_cameras.md recommends).
# Uses the ImageNet MobileNet of ../shared/weights (or DAL_WEIGHTS).
set -euo pipefail
out=$1 cameras=$2 tracks=$3 steps=${4:-400} seed=${5:-0}
shift $(($# < 5 ? $# : 5))
weights=${DAL_WEIGHTS:-../shared/weights/mobilenet_v1_1.0_no_top.weights.h5}
names=$(seq -f "cam%g" 1 "$cameras")
mkdir -p "$out"
[ -d "$out/videos" ] || python -m data_prep.synthetic_videos --out="$out/videos" --cameras="$cameras" --people=10 --frames=240
args=()
for c in $names; do
  args+=(--video="$c=$out/videos/$c.avi" --ground_truth="$c=$out/videos/$c.gt.txt")
  [ "$tracks" = gt ] && args+=(--tracks="$c=$out/videos/$c.gt.txt")
done
[ -d "$out/tracklets" ] || python -m data_prep.tracklets "${args[@]}" --out="$out/tracklets"
common=(--dataset=folders --data_dir="$out/tracklets" --weights="$weights" --image_height=128 --image_width=64
        --batchnorm_decay=0.99 --log_every=100 "$@")
[ -d "$out/run" ] || python -m dal_tf.train "${common[@]}" --train_dir="$out/run" --max_steps="$steps" --seed="$seed"
[ -d "$out/untrained_run" ] || python -m dal_tf.train "${common[@]}" --train_dir="$out/untrained_run" --max_steps=0
[ -d "$out/export" ] || python -m dal_tf.export --train_dir="$out/run" --out="$out/export"
[ -d "$out/untrained" ] || python -m dal_tf.export --train_dir="$out/untrained_run" --out="$out/untrained"
python -m dal_tf.identities --saved_model="$out/export" --data_dir="$out/tracklets" --out="$out/people"
truth=()
for c in $names; do truth+=(--ground_truth="$c=$out/videos/$c.gt.txt"); done
python -m dal_tf.score_identities --saved_model="$out/export" --untrained="$out/untrained" --train_dir="$out/run" \
    --data_dir="$out/tracklets" "${truth[@]}" --csv="$out/scores.csv"
