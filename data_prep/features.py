"""Embed every box of your detector's or tracker's output, for trackers that take features
computed elsewhere (DeepSORT, StrongSORT, BoxMOT's update(dets, img, embs)).

    python -m data_prep.features --export=exports/mine --video=hall=hall.mp4 --tracks=hall=hall.txt --out=feats

--tracks takes MOTChallenge lines (frame,id,x,y,w,h,conf,...; detections with id -1 too). Writes
OUT/<camera>.npy (DeepSORT's rows), OUT/<camera>.txt and OUT/<camera>.features.npy in one rename
(dal_tf.deploy.detection_features says how). The flags are the fields of dal_tf.config.FeaturesConfig.
"""

from __future__ import annotations

import os

from absl import flags

from dal_tf.config import FeaturesConfig, command_line

command_line.define_flags(FeaturesConfig)


def write_features():
    import numpy as np

    from dal_tf.config import named_values
    from dal_tf.deploy import detection_features as df
    from dal_tf.evaluation.features import saved_model_embedder
    from dal_tf.tracking.frames import CameraFrames, parse_region
    from dal_tf.tracking.mot import read_detections
    from dal_tf.utils.atomic_io import atomic_directory
    from dal_tf.utils.progress import Progress

    config = command_line.config_from_flags(FeaturesConfig, flags.FLAGS)
    embedder, metadata = saved_model_embedder(config.export, "--export")
    height, width = metadata["image_height"], metadata["image_width"]
    regions, tracks = named_values(config.cameras.region, "region"), named_values(config.cameras.tracks, "tracks")
    cameras = []
    for name, path in named_values(config.cameras.video, "video").items():  # every input checked first
        region = parse_region(regions[name], f"--region={name}={regions[name]}") if name in regions else None
        rows, _ = read_detections(tracks[name], f"--tracks={name}={tracks[name]}")
        cameras.append((name, CameraFrames(path, f"--video={name}={path}", region), rows))
    with atomic_directory(config.out) as tmp:
        for name, frames, rows in cameras:
            progress = Progress(frames.count, "frame", lambda line: print(line, flush=True))
            features, outside = df.box_features(frames, rows, embedder.embed, height, width, config.crops_per_batch,
                                                progress)
            np.save(os.path.join(tmp, f"{name}.npy"), df.deepsort_rows(rows, features))
            np.save(os.path.join(tmp, f"{name}.features.npy"), features)
            with open(os.path.join(tmp, f"{name}.txt"), "w") as handle:
                handle.write(df.mot_text(rows))
            print(f"{name}: {len(rows)} boxes, {features.shape[1]}-d features"
                  + (f"; {outside} outside the frames (zero features)" if outside else ""), flush=True)
    print(f"wrote {os.path.abspath(config.out)}")


if __name__ == "__main__":
    command_line.entry_point("data_prep.features", write_features)
