"""Export a trained run's EMA weights as a SavedModel, an ONNX or a LiteRT file that needs
neither dal_tf nor the data set, with dal_tf_export.json beside it.

    python -m dal_tf.export --train_dir=runs/demo --out=exports/demo
    python -m dal_tf.export --train_dir=runs/demo --out=exports/demo_onnx --format=onnx --input=imagenet_nchw
    python -m dal_tf.export --train_dir=runs/demo --out=exports/demo_litert --format=litert --quantize=float16

The SavedModel's signatures are described in dal_tf/deploy/saved_model.py; the ONNX and LiteRT files
(OUT/model.onnx, OUT/model.tflite) in dal_tf/deploy/export_formats.py. An existing --out that a previous
export wrote (it holds dal_tf_export.json) is replaced; any other existing path is refused.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from dal_tf.config import command_line  # noqa: E402

flags.DEFINE_string("train_dir", None, "Training run to export (its latest checkpoint).")
flags.DEFINE_string("out", None, "Directory to write the export and its dal_tf_export.json to.")
flags.DEFINE_enum("format", "saved_model", ["saved_model", "onnx", "litert"],
                  "saved_model (uint8 frames of any size, resized inside), onnx or litert (frames at the trained "
                  "size in the --input convention, resized outside).")
flags.DEFINE_enum("input", "uint8_nhwc", ["uint8_nhwc", "imagenet_nchw", "imagenet_nhwc"],
                  "--format=onnx, litert: uint8 RGB NHWC as the SavedModel takes, or float RGB /255 normalised "
                  "with ImageNet's mean and std, NCHW (BoxMOT's and torchreid's ONNX) or NHWC (BoxMOT's TFLite).")
flags.DEFINE_enum("quantize", "none", ["none", "float16"], "--format=litert: float16 weights (half the file).")
flags.mark_flags_as_required(["train_dir", "out"])

FLAGS = flags.FLAGS


def export():
    from dal_tf.deploy.exporting import export_run

    checkpoint, metadata = export_run(FLAGS.train_dir, FLAGS.out, fmt=FLAGS.format, convention=FLAGS.input,
                                      quantize=FLAGS.quantize)
    print(f"exported {checkpoint} (EMA weights, {metadata['feature_dim']}-d) as {FLAGS.format} to "
          f"{os.path.abspath(FLAGS.out)}")


if __name__ == "__main__":
    command_line.entry_point("dal_tf.export", export)
