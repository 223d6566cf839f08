"""Crop people's tracks in one video per camera into tracklets: a folders data set for DAL.

    python -m data_prep.tracklets --video=hall=hall.avi --video=door=door.mp4 --out=my_tracklets
    python -m data_prep.tracklets --video=hall=hall.avi --tracks=hall=hall.txt ... --out=my_tracklets
    python -m data_prep.tracklets --video=left=vtest.avi --region=left=0,0,384,576 \
        --video=right=vtest.avi --region=right=384,0,384,576 --out=vtest_tracklets

Without --tracks, a built-in detector (background subtraction: a static camera) and tracker find
the tracks; --tracks takes your own tracker's output in the MOTChallenge format. Writes
OUT/<camera>/<track>/<frame>.jpg and OUT/tracks.csv in one rename; with --ground_truth, also the
tracks' MOTA / IDF1 and OUT/identities.csv. The flags are the fields of
dal_tf.config.TrackletsConfig.
"""

from __future__ import annotations

from absl import flags

from dal_tf.config import TrackletsConfig, command_line

command_line.define_flags(TrackletsConfig)


def tracklets():
    from dal_tf.tracking.extraction import extract

    config = command_line.config_from_flags(TrackletsConfig, flags.FLAGS)
    summary = extract(config, log=lambda line: print(line, flush=True))
    cameras = {name: counts for name, counts in summary.items() if name != "scores"}
    print(f"wrote {config.out}: " + "; ".join(f"{name}: {c['tracks']} tracklets, {c['crops']} crops"
                                              for name, c in cameras.items()))


if __name__ == "__main__":
    command_line.entry_point("data_prep.tracklets", tracklets, tensorflow=False)
