#!/usr/bin/env bash
# The label-free threshold study of docs/identities.md for one input and one training seed: folders
# without tracks.csv -> DAL training and the untrained network -> exports -> dal_tf.score_identities
# (the estimated threshold against the best one), as it comes and with --max_per_camera=1 and
# --debias_cameras, then its tables and how each estimate was made (or why it abstained) copied into
# experiments/results/threshold/FLAGS/INPUT_seedSEED.csv and .log, each variant in a folder below.
# Each step is skipped where its output exists, so a killed study resumes;
# `python experiments/threshold_table.py --results=experiments/results/threshold/FLAGS[/VARIANT]` makes
# the table from what is there.
#
#   bash experiments/threshold_study.sh OUT split|prid_like|prid_unmatched SEED [FLAGS] [STEPS]
#
# FLAGS: the training's flag file in experiments/flags, synthetic_demo (command 1's, the default)
#   or synthetic_release (the release's recipe at the same size).
# STEPS: the PRID-like sets' training steps on themselves (default 400); other than 400, the
#   results go to experiments/results/threshold/FLAGS_STEPS_steps.
# split: the built-in synthetic data set's test split as folders (60 people, 120 tracklets), scored
#   with the training of command 1's data (the other people);
# prid_like: a PRID-like data set rendered from seed 5 (120 people, each once in both cameras),
#   trained on itself for STEPS steps (--dataset=folders), as on one's own footage;
# prid_unmatched: as prid_like, rendered from seed 6: 100 people in both cameras and 100 more in
#   one camera only (50 each), so that a third of the tracklets have no match, as most of PRID
#   2011's (200 of 934 people pass both cameras).
# Uses the ImageNet MobileNet of ../shared/weights (or DAL_WEIGHTS).
set -euo pipefail
out=$1 input=$2 seed=$3 recipe=${4:-synthetic_demo} steps=${5:-400}
weights=${DAL_WEIGHTS:-../shared/weights/mobilenet_v1_1.0_no_top.weights.h5}
results=$(dirname "$0")/results/threshold/$recipe
[[ $steps =~ ^[1-9][0-9]*$ ]] || { echo "STEPS must be a positive whole number, not $steps" >&2; exit 2; }
[ "$steps" = 400 ] || results=${results}_${steps}_steps
flagfile=$(dirname "$0")/flags/$recipe.flags
[ -f "$flagfile" ] || { echo "FLAGS must name a file of experiments/flags without .flags, not $recipe" >&2; exit 2; }
flags=(--flagfile="$flagfile" --weights="$weights")
case $input in
  split) [ "$steps" = 400 ] || { echo "STEPS is for the PRID-like sets: split is scored with command 1's training" >&2; exit 2; };;
  prid_like) render=(--seed=5 --people=120);;
  prid_unmatched) render=(--seed=6 --people=100 --single_camera=100);;
  *) echo "INPUT must be split, prid_like or prid_unmatched, not $input" >&2; exit 2;;
esac
if [ "$input" = split ]; then
  [ -d "$out/folders" ] || python experiments/synthetic_as_folders.py --out="$out/folders"
else
  [ -d "$out/folders" ] || python experiments/synthetic_as_folders.py --out="$out/folders" "${render[@]}" \
      --render_dir="$out/render"
  flags+=(--dataset=folders --data_dir="$out/folders" --max_steps="$steps")
fi
[ -d "$out/run" ] || python -m dal_tf.train "${flags[@]}" --train_dir="$out/run" --seed="$seed"
[ -d "$out/untrained_run" ] || python -m dal_tf.train "${flags[@]}" --train_dir="$out/untrained_run" --max_steps=0
[ -d "$out/export" ] || python -m dal_tf.export --train_dir="$out/run" --out="$out/export"
[ -d "$out/untrained" ] || python -m dal_tf.export --train_dir="$out/untrained_run" --out="$out/untrained"
# Scored as it comes, and with the identities flags for people who pass each camera once
# (--max_per_camera=1, as both inputs are) and for camera bias, alone and together: each variant's
# tables go to RESULTS/VARIANT (the flags' names and values joined by "+").
for variant in "" --max_per_camera=1 --debias_cameras "--max_per_camera=1 --debias_cameras"; do
  name=$(echo "$variant" | sed 's/--//g; s/=/_/g; s/ /+/g')
  kept=$results/$name scores=$out/scores${name:+_$name}
  # shellcheck disable=SC2086  # the variant is several flags
  python -m dal_tf.score_identities --saved_model="$out/export" --untrained="$out/untrained" \
      --data_dir="$out/folders" $variant --csv="$scores.csv" 2> "$scores.log" || { cat "$scores.log" >&2; exit 1; }
  mkdir -p "$kept"
  cp "$scores.csv" "$kept/${input}_seed${seed}.csv"
  grep "threshold" "$scores.log" > "$kept/${input}_seed${seed}.log"  # how each threshold was found
done
