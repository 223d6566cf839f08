"""The options of dal_tf.export: which run, where to, in which format and input convention."""

from __future__ import annotations

import dataclasses

from dal_tf.config.options import Checked, option, require

# The names of dal_tf.deploy.export_formats.INPUTS (a test keeps them equal).
EXPORT_INPUTS = ("uint8_nhwc", "imagenet_nchw", "imagenet_nhwc")


@dataclasses.dataclass(frozen=True)
class ExportConfig(Checked):
    train_dir: str = option("", "Training run to export (its latest checkpoint).")
    out: str = option("", "Directory to write the export and its dal_tf_export.json to.")
    format: str = option("saved_model", "saved_model (uint8 frames of any size, resized inside), onnx or litert "
                         "(frames at the trained size in the --input convention, resized outside).",
                         ("saved_model", "onnx", "litert"))
    input: str = option("uint8_nhwc", "--format=onnx, litert: uint8 RGB NHWC as the SavedModel takes, or float RGB "
                        "/255 normalised with ImageNet's mean and std, NCHW (BoxMOT's and torchreid's ONNX) or NHWC "
                        "(BoxMOT's TFLite).", EXPORT_INPUTS)
    quantize: str = option("none", "--format=litert: float16 weights (half the file).", ("none", "float16"))

    def __post_init__(self):
        super().__post_init__()
        # absl's words for a required flag, as this command gave them when absl checked it.
        require(bool(self.train_dir), "--train_dir must have a value: the training run to export")
        require(bool(self.out), "--out must have a value: the directory to write the export to")
        require(self.format != "saved_model" or (self.input, self.quantize) == ("uint8_nhwc", "none"),
                "--input and --quantize apply to --format=onnx and litert; the SavedModel takes uint8 frames")
