"""Export a trained run's EMA weights as a SavedModel, an ONNX or a LiteRT file that needs
neither dal_tf nor the data set, with dal_tf_export.json beside it.

    python -m dal_tf.export --train_dir=runs/demo --out=exports/demo
    python -m dal_tf.export --train_dir=runs/demo --out=exports/demo_onnx --format=onnx --input=imagenet_nchw
    python -m dal_tf.export --train_dir=runs/demo --out=exports/demo_litert --format=litert --quantize=float16

The SavedModel's signatures are described in dal_tf/deploy/saved_model.py; the ONNX and LiteRT files
(OUT/model.onnx, OUT/model.tflite) in dal_tf/deploy/export_formats.py. An existing --out that a previous
export wrote (it holds dal_tf_export.json) is replaced; any other existing path is refused. The flags
are the fields of dal_tf.config.ExportConfig.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from dal_tf.config import ExportConfig, command_line  # noqa: E402

command_line.define_flags(ExportConfig)


def export():
    from dal_tf.deploy.exporting import export_run

    config = command_line.config_from_flags(ExportConfig, flags.FLAGS)
    checkpoint, metadata = export_run(config)
    print(f"exported {checkpoint} (EMA weights, {metadata['feature_dim']}-d) as {config.format} to "
          f"{os.path.abspath(config.out)}")


if __name__ == "__main__":
    command_line.entry_point("dal_tf.export", export)
