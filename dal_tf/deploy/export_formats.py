"""The embedding for trackers and devices: ONNX and LiteRT files of a run's EMA network, taking
frames at the trained size in one of INPUTS' conventions (config.EXPORT_INPUTS names them) and
giving l2-normalised features.

Resizing is outside these graphs, as ONNX and LiteRT runtimes expect: crops go in at the trained
size, resized by TF1's legacy bilinear rule (dal_tf.datasets.input_pipeline.legacy_resize; the metadata
says so). Inside, every convention is first turned back into what the network was trained on:
RGB NHWC in [-1, 1].
"""

from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from dal_tf.association import ranking
from dal_tf.utils.errors import UserInputError

ONNX_FILE, LITERT_FILE = "model.onnx", "model.tflite"
# onnxruntime runs every opset to 21 and beyond; TensorRT 8.6 parses opsets up to 17, TensorRT 10 too.
ONNX_OPSET = 17
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
INPUTS = {
    "uint8_nhwc": dict(dtype="uint8", layout="NHWC", channels="RGB", value_range=[0, 255], normalisation="none"),
    "imagenet_nchw": dict(dtype="float32", layout="NCHW", channels="RGB", value_range="(pixel / 255 - mean) / std",
                          normalisation=dict(mean=list(IMAGENET_MEAN), std=list(IMAGENET_STD))),
    "imagenet_nhwc": dict(dtype="float32", layout="NHWC", channels="RGB", value_range="(pixel / 255 - mean) / std",
                          normalisation=dict(mean=list(IMAGENET_MEAN), std=list(IMAGENET_STD))),
}
EXTRA = "pip install '.[export]' (tf2onnx, onnxruntime, ai-edge-litert)"


def input_spec(convention: str, height: int, width: int) -> tf.TensorSpec:
    shape = [None, 3, height, width] if INPUTS[convention]["layout"] == "NCHW" else [None, height, width, 3]
    return tf.TensorSpec(shape, tf.as_dtype(INPUTS[convention]["dtype"]), name="images")


def network_input(images: tf.Tensor, convention: str) -> tf.Tensor:
    """Frames in `convention` as the network's input, RGB NHWC in [-1, 1]."""
    if convention == "uint8_nhwc":
        pixels = tf.image.convert_image_dtype(images, tf.float32)  # as the SavedModel's prepare_frames
    else:
        if INPUTS[convention]["layout"] == "NCHW":
            images = tf.transpose(images, [0, 2, 3, 1])
        pixels = images * tf.constant(IMAGENET_STD) + tf.constant(IMAGENET_MEAN)  # undoes (x - mean) / std
    return (pixels - 0.5) * 2.0


def to_convention(frames: np.ndarray, convention: str) -> np.ndarray:
    """uint8 RGB NHWC frames in `convention`, as a tracker would feed them."""
    if convention == "uint8_nhwc":
        return frames
    x = (frames.astype(np.float32) / 255.0 - np.float32(IMAGENET_MEAN)) / np.float32(IMAGENET_STD)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2) if INPUTS[convention]["layout"] == "NCHW" else x)


def embedding_function(backbone, convention: str, height: int, width: int):
    """images -> {"features": l2-normalised features}, at the trained size, in `convention`."""

    def embed(images):
        return {"features": ranking.l2_normalize(backbone(network_input(images, convention), training=False))}

    return tf.function(embed, input_signature=[input_spec(convention, height, width)], autograph=False)


def write_onnx(function, path: str):
    """function's graph (tf2onnx takes the weights as the backbone holds them now) to path."""
    try:
        import tf2onnx
    except ImportError as error:
        raise UserInputError(f"--format=onnx needs tf2onnx: {EXTRA}") from error
    proto, _ = tf2onnx.convert.from_function(function, input_signature=function.input_signature, opset=ONNX_OPSET)
    for value in list(proto.graph.input) + list(proto.graph.output):
        value.type.tensor_type.shape.dim[0].dim_param = "batch"  # tf2onnx names it unk__N
    with open(path, "wb") as handle:
        handle.write(proto.SerializeToString())


def write_litert(function, path: str, quantize: str):
    """function's graph, its weights frozen as the backbone holds them now, to path."""
    # Through TensorFlow's own freezing: the converter's SavedModel route leaves Keras 3's
    # variables uninitialised in LiteRT (NaN features).
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    frozen = convert_variables_to_constants_v2(function.get_concrete_function())
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen])
    if quantize == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    blob = converter.convert()
    with open(path, "wb") as handle:
        handle.write(blob)


def export_runtime(model, config, out_dir: str, *, fmt: str, convention: str, quantize: str, step: int,
                   training_people: dict) -> dict:
    """Writes out_dir/model.onnx or model.tflite of `model`'s EMA weights and dal_tf_export.json
    beside it (atomically); returns the metadata."""
    from dal_tf.deploy.saved_model import METADATA, export_metadata, refuse_foreign
    from dal_tf.utils.atomic_io import atomic_directory, atomic_write_json

    out_dir = os.path.abspath(out_dir)
    refuse_foreign(out_dir)
    if fmt == "onnx":
        try:
            import tf2onnx  # noqa: F401
        except ImportError as error:
            raise UserInputError(f"--format=onnx needs tf2onnx: {EXTRA}") from error
    if quantize != "none" and fmt != "litert":
        raise UserInputError(f"--quantize={quantize} applies to --format=litert only")
    m = config.model
    name = ONNX_FILE if fmt == "onnx" else LITERT_FILE
    metadata = dict(
        export_metadata(model, config, step=step, training_people=training_people), format=fmt, file=name,
        input=dict(INPUTS[convention], name="images", convention=convention, height=m.image_height,
                   width=m.image_width, batch="dynamic"),
        resize=f"outside the graph: crops resized to {m.image_height}x{m.image_width} by TF1's legacy bilinear rule "
               "(resize_bilinear, align_corners=False, no half-pixel centres; dal_tf.datasets.input_pipeline.legacy_resize), "
               "on the uint8 RGB crop, rounded back to uint8",
        quantize=quantize, threshold=None)
    if fmt == "onnx":
        metadata["onnx_opset"] = ONNX_OPSET
    else:
        metadata["output"] = dict(metadata["output"], tensor="Identity")  # LiteRT keeps the graph's name
    function = embedding_function(model.backbone, convention, m.image_height, m.image_width)
    with atomic_directory(out_dir) as tmp:
        with model.averaged_weights():
            if fmt == "onnx":
                write_onnx(function, os.path.join(tmp, name))
            else:
                write_litert(function, os.path.join(tmp, name), quantize)
        atomic_write_json(os.path.join(tmp, METADATA), metadata)
    return metadata
